#include "cpp_server/db_routes.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include "cpp_server/pg_text.hpp"

namespace cpp_server {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

// The columns of the users table (contract/db/users.sql) in the record's field order.
enum Column {
  kId,
  kName,
  kEmail,
  kUsername,
  kAge,
  kActive,
  kRole,
  kCountry,
  kCity,
  kCreatedAt,
  kFollowers,
  kTags,
  kVerified,
  kBio,
  kColumnCount
};

}  // namespace

std::vector<pg::Statement> database_statements() {
  return {
      {std::string(user_by_id_statement),
       "SELECT id, name, email, username, age, active, role, country, city, created_at, "
       "followers, tags, verified, bio FROM users WHERE id = $1"},
      {std::string(sleep_statement), "SELECT pg_sleep($1)"},
  };
}

std::vector<std::string> user_by_id_params(std::uint64_t id) { return {std::to_string(id)}; }

std::vector<std::string> sleep_params(std::chrono::milliseconds wait) {
  // Exact decimal seconds (no binary fraction on the way): 50 ms is "0.050".
  const auto ms = static_cast<unsigned long long>(wait.count());
  std::string fraction = std::to_string(ms % 1000);
  fraction.insert(0, 3 - fraction.size(), '0');
  return {std::to_string(ms / 1000) + "." + fraction};
}

bool record_from_row(const pg::Result& result, int row, Record& record) {
  if (result.columns() != kColumnCount || row >= result.rows()) return false;
  for (int column = 0; column < kColumnCount; ++column) {
    if (result.is_null(row, column)) return false;
  }
  const auto text = [&](int column) { return result.value(row, column); };
  const auto id = pg::parse_int64(text(kId));
  const auto age = pg::parse_int64(text(kAge));
  const auto active = pg::parse_bool(text(kActive));
  const auto followers = pg::parse_int64(text(kFollowers));
  const auto verified = pg::parse_bool(text(kVerified));
  if (!id || !age || !active || !followers || !verified) return false;
  if (!pg::parse_text_array(text(kTags), record.tags)) return false;
  record.id = *id;
  record.name.assign(text(kName));
  record.email.assign(text(kEmail));
  record.username.assign(text(kUsername));
  record.age = *age;
  record.active = *active;
  record.role.assign(text(kRole));
  record.country.assign(text(kCountry));
  record.city.assign(text(kCity));
  record.created_at.assign(text(kCreatedAt));
  record.followers = *followers;
  record.verified = *verified;
  record.bio.assign(text(kBio));
  return true;
}

void append_database_unavailable_response(std::string& out, Framing framing) {
  append_text_response(out, framing, http::status::service_unavailable, database_unavailable_text);
}

void append_db_user_response(std::string& out, Framing framing, boost::system::error_code ec,
                             const pg::Result& result) {
  if (ec) return append_database_unavailable_response(out, framing);
  if (result.rows() == 0) {
    return append_text_response(out, framing, http::status::not_found, "Not Found");
  }
  // One record per thread, its strings' capacity kept from request to request.
  thread_local Record record;
  if (!record_from_row(result, 0, record)) {
    return append_text_response(out, framing, http::status::internal_server_error,
                                "Internal Server Error");
  }
  // The tree (14 members, the 800-byte bio copied in: about 1.8 KiB) lives on the stack.
  unsigned char tree_storage[4096];
  json::monotonic_resource resource(tree_storage, sizeof tree_storage);
  append_json_response(out, framing, json::value_from(record, &resource));
}

void append_db_sleep_response(std::string& out, Framing framing, boost::system::error_code ec) {
  if (ec) return append_database_unavailable_response(out, framing);
  append_response(out, Endpoint::hello, framing);
}

}  // namespace cpp_server

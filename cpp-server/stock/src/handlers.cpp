#include "cpp_stock/handlers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <charconv>
#include <chrono>
#include <ctime>
#include <optional>

#include "cpp_server/orders.hpp"
#include "cpp_server/pg_text.hpp"
#include "cpp_stock/user.hpp"

namespace cpp_stock {

namespace net = boost::asio;
namespace json = boost::json;
namespace pg = cpp_server::pg;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::string_view text_plain = "text/plain; charset=utf-8";
constexpr std::string_view application_json = "application/json";
constexpr unsigned max_wait_ms = 10'000;

std::string_view origin_form(std::string_view target);

Response make_response(unsigned version, bool keep_alive, http::status status,
                       std::string_view content_type, std::string body) {
  Response response{status, version};
  response.set(http::field::server, "hellobench");
  response.set(http::field::date, http_date());
  response.set(http::field::content_type, content_type);
  response.keep_alive(keep_alive);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response text(const Request& request, http::status status, std::string_view body) {
  return make_response(request.version(), request.keep_alive(), status, text_plain,
                       std::string(body));
}

Response json_answer(const Request& request, const json::value& value) {
  return make_response(request.version(), request.keep_alive(), http::status::ok, application_json,
                       json::serialize(value));
}

Response hello(const Request& request) { return text(request, http::status::ok, "Hello, World!"); }

Response not_found(const Request& request) {
  return text(request, http::status::not_found, "Not Found");
}

Response method_not_allowed(const Request& request, std::string_view allow) {
  Response response = text(request, http::status::method_not_allowed, "Method Not Allowed");
  response.set(http::field::allow, allow);
  return response;
}

Response bad_wait(const Request& request) {
  return text(request, http::status::bad_request, "ms must be an integer 0..10000");
}

Response bad_user_id(const Request& request) {
  return text(request, http::status::bad_request, "id must be a decimal integer");
}

Response database_unavailable(const Request& request) {
  return text(request, http::status::service_unavailable, "database unavailable");
}

// The ms parameter of /io and /db/sleep: the first `ms=`, decimal digits only, 0..10000.
std::optional<std::chrono::milliseconds> parse_wait(std::string_view query) {
  while (!query.empty()) {
    const std::size_t end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view{} : query.substr(end + 1);
    if (!pair.starts_with("ms=")) continue;
    const std::string_view digits = pair.substr(3);
    unsigned ms = 0;
    const auto [end_of_number, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), ms);
    if (digits.empty() || ec != std::errc{} || end_of_number != digits.data() + digits.size() ||
        ms > max_wait_ms) {
      return std::nullopt;
    }
    return std::chrono::milliseconds(ms);
  }
  return std::nullopt;
}

// POST /orders, in the contract's order: method, media type, size, then the service module's
// parse, validation and summary.
Response post_order(const Request& request, const cpp_server::Store& store) {
  if (request.method() != http::verb::post) return method_not_allowed(request, "POST");
  const auto content_type = request[http::field::content_type];
  if (!cpp_server::is_json_media_type(std::string_view(content_type.data(), content_type.size()))) {
    return text(request, http::status::unsupported_media_type,
                cpp_server::unsupported_media_type_text);
  }
  if (request.body().size() > cpp_server::max_order_body_bytes) {
    return text(request, http::status::payload_too_large, cpp_server::body_too_large_text);
  }
  const cpp_server::OrderOutcome outcome = cpp_server::check_order(request.body(), store);
  switch (outcome.verdict) {
    case cpp_server::OrderVerdict::malformed_json:
      return text(request, http::status::bad_request, cpp_server::malformed_json_text);
    case cpp_server::OrderVerdict::invalid_order:
      return text(request, http::status::unprocessable_entity, cpp_server::invalid_order_text);
    case cpp_server::OrderVerdict::accepted:
      break;
  }
  return json_answer(request, json::value_from(outcome.summary));
}

// The columns of user_by_id, in the record's field order.
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

// A user_by_id row as the store's Record, or nullopt when a column is not what users holds.
std::optional<cpp_server::Record> record_from_row(const pg::Result& result) {
  if (result.rows() < 1 || result.columns() != kColumnCount) return std::nullopt;
  for (int column = 0; column < kColumnCount; ++column) {
    if (result.is_null(0, column)) return std::nullopt;
  }
  const auto text = [&](int column) { return result.value(0, column); };
  const auto id = pg::parse_int64(text(kId));
  const auto age = pg::parse_int64(text(kAge));
  const auto active = pg::parse_bool(text(kActive));
  const auto followers = pg::parse_int64(text(kFollowers));
  const auto verified = pg::parse_bool(text(kVerified));
  cpp_server::Record record;
  if (!id || !age || !active || !followers || !verified ||
      !pg::parse_text_array(text(kTags), record.tags)) {
    return std::nullopt;
  }
  record.id = *id;
  record.name = text(kName);
  record.email = text(kEmail);
  record.username = text(kUsername);
  record.age = *age;
  record.active = *active;
  record.role = text(kRole);
  record.country = text(kCountry);
  record.city = text(kCity);
  record.created_at = text(kCreatedAt);
  record.followers = *followers;
  record.verified = *verified;
  record.bio = text(kBio);
  return record;
}

// GET /users/{id} and GET /db/users/{id}: the id rules, before any lookup or query.
enum class IdCheck { ok, not_found, method_not_allowed, bad_id };

IdCheck check_user_id(const Request& request, std::string_view id_text,
                      std::optional<std::uint64_t>& id) {
  if (id_text.find('/') != std::string_view::npos) return IdCheck::not_found;  // /users/1/x
  if (request.method() != http::verb::get) return IdCheck::method_not_allowed;
  id = cpp_server::parse_user_id(id_text);
  return id ? IdCheck::ok : IdCheck::bad_id;
}

std::optional<Response> answer_id_check(const Request& request, IdCheck check) {
  switch (check) {
    case IdCheck::ok:
      return std::nullopt;
    case IdCheck::not_found:
      return not_found(request);
    case IdCheck::method_not_allowed:
      return method_not_allowed(request, "GET");
    case IdCheck::bad_id:
      return bad_user_id(request);
  }
  return std::nullopt;
}

Response get_user_record(const Request& request, std::string_view id_text,
                         const cpp_server::Store& store) {
  std::optional<std::uint64_t> id;
  if (auto answer = answer_id_check(request, check_user_id(request, id_text, id))) return *answer;
  const cpp_server::Record* record = cpp_server::find_record(store, *id);
  if (record == nullptr) return not_found(request);
  return json_answer(request, json::value_from(*record));
}

net::awaitable<Response> get_db_user(const Request& request, std::string_view id_text,
                                     pg::Pool* pool) {
  std::optional<std::uint64_t> id;
  if (auto answer = answer_id_check(request, check_user_id(request, id_text, id))) {
    co_return *answer;
  }
  if (pool == nullptr) co_return database_unavailable(request);
  std::vector<std::string> params{std::to_string(*id)};
  auto [ec, result] =
      co_await pool->async_query(user_by_id_statement, std::move(params), use_tuple);
  if (ec) co_return database_unavailable(request);
  if (result.rows() == 0) co_return not_found(request);
  const std::optional<cpp_server::Record> record = record_from_row(result);
  if (!record)
    co_return text(request, http::status::internal_server_error, "Internal Server Error");
  co_return json_answer(request, json::value_from(*record));
}

net::awaitable<Response> get_db_sleep(const Request& request, std::chrono::milliseconds wait,
                                      pg::Pool* pool) {
  if (pool == nullptr) co_return database_unavailable(request);
  // Exact decimal seconds: 50 ms is "0.050".
  std::string seconds = std::to_string(wait.count() / 1000) + ".";
  const std::string fraction = std::to_string(wait.count() % 1000);
  seconds.append(3 - fraction.size(), '0').append(fraction);
  std::vector<std::string> params{std::move(seconds)};
  auto [ec, result] = co_await pool->async_query(sleep_statement, std::move(params), use_tuple);
  co_return ec ? database_unavailable(request) : hello(request);
}

}  // namespace

std::vector<pg::Statement> database_statements() {
  return {
      {std::string(user_by_id_statement),
       "SELECT id, name, email, username, age, active, role, country, city, created_at, "
       "followers, tags, verified, bio FROM users WHERE id = $1"},
      {std::string(sleep_statement), "SELECT pg_sleep($1)"},
  };
}

net::awaitable<Response> handle_request(Request request, const Services& services) {
  const std::string_view target =
      origin_form(std::string_view(request.target().data(), request.target().size()));
  const std::size_t query_start = target.find('?');
  const std::string_view path = target.substr(0, query_start);
  const std::string_view query =
      query_start == std::string_view::npos ? std::string_view{} : target.substr(query_start + 1);

  if (path == "/orders") co_return post_order(request, services.store);
  if (path.starts_with("/users/")) {
    co_return get_user_record(request, path.substr(7), services.store);
  }
  if (path.starts_with("/db/users/")) {
    co_return co_await get_db_user(request, path.substr(10), services.pool);
  }
  if (path != "/" && path != "/json" && path != "/user" && path != "/io" && path != "/db/sleep") {
    co_return not_found(request);
  }
  if (request.method() != http::verb::get) co_return method_not_allowed(request, "GET");

  if (path == "/") co_return hello(request);
  if (path == "/json") co_return json_answer(request, json::value_from(Message{"Hello, World!"}));
  if (path == "/user") co_return json_answer(request, json::value_from(make_user()));

  const std::optional<std::chrono::milliseconds> wait = parse_wait(query);
  if (!wait) co_return bad_wait(request);
  if (path == "/db/sleep") co_return co_await get_db_sleep(request, *wait, services.pool);
  // GET /io: an asynchronous timer, then the answer of GET /.
  net::steady_timer timer(co_await net::this_coro::executor, *wait);
  co_await timer.async_wait(use_tuple);
  co_return hello(request);
}

Response error_response(http::status status, std::string_view body) {
  return make_response(11, false, status, text_plain, std::string(body));
}

std::string http_date() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[64];
  const std::size_t size = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(text, size);
}

namespace {

std::string_view origin_form(std::string_view target) {
  if (target.empty() || target.front() == '/') return target;
  const std::size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos) return target;
  const std::size_t path_start = target.find_first_of("/?", scheme_end + 3);
  if (path_start == std::string_view::npos || target[path_start] == '?') return "/";
  return target.substr(path_start);
}

}  // namespace

std::string_view request_path(std::string_view target) {
  target = origin_form(target);
  return target.substr(0, target.find('?'));
}

}  // namespace cpp_stock

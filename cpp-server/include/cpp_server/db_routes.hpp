// The database routes, GET /db/users/{id} and GET /db/sleep?ms=N: their SQL, and their answers
// written the way the other routes' are (routes.hpp), straight into the connection's buffer.
#pragma once

#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cpp_server/pg_pool.hpp"
#include "cpp_server/routes.hpp"
#include "cpp_server/store.hpp"

namespace cpp_server {

// The statements every pooled connection prepares.
inline constexpr std::string_view user_by_id_statement = "user_by_id";
inline constexpr std::string_view sleep_statement = "sleep";
std::vector<pg::Statement> database_statements();

// The parameters of user_by_id ($1: the id) and of sleep ($1: seconds, "0.050" for 50 ms).
std::vector<std::string> user_by_id_params(std::uint64_t id);
std::vector<std::string> sleep_params(std::chrono::milliseconds wait);

// Row `row` of a user_by_id result into `record`, reusing its strings; false when a column is
// not what the users table holds.
bool record_from_row(const pg::Result& result, int row, Record& record);

inline constexpr std::string_view database_unavailable_text = "database unavailable";

// 503 `database unavailable`: without --db, or when the query could not run.
void append_database_unavailable_response(std::string& out, Framing framing);

// GET /db/users/{id} once its query has ended: the row as /users/{id} serialises a record, 404
// `Not Found` without a row, 503 when the query failed (ec).
void append_db_user_response(std::string& out, Framing framing, boost::system::error_code ec,
                             const pg::Result& result);

// GET /db/sleep once its query has ended: the answer of GET /, or 503.
void append_db_sleep_response(std::string& out, Framing framing, boost::system::error_code ec);

}  // namespace cpp_server

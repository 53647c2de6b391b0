#include "hellosvc/store.hpp"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>

namespace hellosvc {

void MemoryStore::put(const std::string& table, const std::string& id, std::string body) {
  std::lock_guard lock(mutex_);
  rows_[table + "/" + id] = std::move(body);
}

std::optional<std::string> MemoryStore::get(const std::string& table, const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto it = rows_.find(table + "/" + id);
  if (it == rows_.end()) return std::nullopt;
  return it->second;
}

PostgresStore::PostgresStore(const std::string& conninfo)
    : connection_(PQconnectdb(conninfo.c_str())) {
  if (PQstatus(connection_) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(connection_);
    PQfinish(connection_);
    throw std::runtime_error("PostgreSQL: " + message);
  }
}

PostgresStore::~PostgresStore() { PQfinish(connection_); }

namespace {
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;
}

void PostgresStore::put(const std::string& table, const std::string& id, std::string body) {
  const std::string sql = "INSERT INTO " + table +
                          " (id, body) VALUES ($1::uuid, $2::jsonb) "
                          "ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body";
  const char* values[] = {id.c_str(), body.c_str()};
  std::lock_guard lock(mutex_);
  Result result(PQexecParams(connection_, sql.c_str(), 2, nullptr, values, nullptr, nullptr, 0),
                &PQclear);
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error(PQerrorMessage(connection_));
  }
}

std::optional<std::string> PostgresStore::get(const std::string& table, const std::string& id) {
  const std::string sql = "SELECT body::text FROM " + table + " WHERE id = $1::uuid";
  const char* values[] = {id.c_str()};
  std::lock_guard lock(mutex_);
  Result result(PQexecParams(connection_, sql.c_str(), 1, nullptr, values, nullptr, nullptr, 0),
                &PQclear);
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    throw std::runtime_error(PQerrorMessage(connection_));
  }
  if (PQntuples(result.get()) == 0) return std::nullopt;
  return std::string(PQgetvalue(result.get(), 0, 0));
}

}  // namespace hellosvc

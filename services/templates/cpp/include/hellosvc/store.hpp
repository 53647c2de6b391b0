// The modules' persistence: JSON documents by table and id, kept in memory or in PostgreSQL
// (libpq, one JSONB table per module).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

struct pg_conn;

namespace hellosvc {

class Store {
 public:
  virtual ~Store() = default;
  virtual void put(const std::string& table, const std::string& id, std::string body) = 0;
  virtual std::optional<std::string> get(const std::string& table, const std::string& id) = 0;
};

class MemoryStore final : public Store {
 public:
  void put(const std::string& table, const std::string& id, std::string body) override;
  std::optional<std::string> get(const std::string& table, const std::string& id) override;

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> rows_;
};

// One connection, serialised by a mutex: table <name> (id uuid primary key, body jsonb).
class PostgresStore final : public Store {
 public:
  explicit PostgresStore(const std::string& conninfo);  // throws std::runtime_error
  ~PostgresStore() override;
  void put(const std::string& table, const std::string& id, std::string body) override;
  std::optional<std::string> get(const std::string& table, const std::string& id) override;

 private:
  std::mutex mutex_;
  pg_conn* connection_ = nullptr;
};

}  // namespace hellosvc

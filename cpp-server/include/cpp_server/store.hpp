// The service workload's store: `--live-mb N` user records held in memory, and their JSON.
// Independent of the server loop, so that any C++ server (tuned or stock) can hold the same
// store and answer GET /users/{id} with the same bytes. The rules are contract/README.md's.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cpp_server {

// One user record. Every string is owned (std::string, heap-allocated when longer than the
// small-string buffer), as the contract asks: what the store takes in memory is measured.
// Fields are in the JSON's order: the thirteen of /user, then bio.
struct Record {
  std::int64_t id = 0;
  std::string name;
  std::string email;
  std::string username;
  std::int64_t age = 0;
  bool active = false;
  std::string role;
  std::string country;
  std::string city;
  std::string created_at;
  std::int64_t followers = 0;
  std::vector<std::string> tags;
  bool verified = false;
  std::string bio;
};

// The store: record i at index i.
using Store = std::vector<Record>;

inline constexpr unsigned max_live_mb = 4096;
inline constexpr std::size_t records_per_live_mb = 1024;
inline constexpr std::size_t bio_bytes = 800;

// Record i, built from the contract's rules.
Record make_record(std::int64_t i);

// `bio-<i>-` repeated and cut to exactly bio_bytes.
std::string make_bio(std::int64_t i);

// live_mb * 1024 records, ids 0 .. live_mb*1024-1 (live_mb at most max_live_mb).
Store build_store(unsigned live_mb);

// The record with this id, or nullptr when the id is not below the store's size.
const Record* find_record(const Store& store, std::uint64_t id);

// The {id} of /users/{id}: 1 to 18 ASCII digits, leading zeros allowed. Anything else (empty,
// a sign, letters, a '.', 19 or more digits, a percent-escape) is nullopt: answered 400.
// Inline, so that routing needs only this header.
inline std::optional<std::uint64_t> parse_user_id(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::uint64_t id = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return id;  // at most 18 digits: below 10^18, no overflow
}

// Boost.JSON conversion, found by argument-dependent lookup from boost::json::value_from:
// the record as a compact object in field order, bio last.
void tag_invoke(boost::json::value_from_tag, boost::json::value& json, const Record& record);

// The record's JSON text (what GET /users/{id} answers), serialised with Boost.JSON.
std::string record_json(const Record& record);

}  // namespace cpp_server

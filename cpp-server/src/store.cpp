#include "cpp_server/store.hpp"

#include <array>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <stdexcept>

namespace cpp_server {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 3> kRoles{"admin", "editor", "viewer"};
constexpr std::array<std::string_view, 5> kCountries{"GB", "US", "DE", "FR", "JP"};
constexpr std::array<std::string_view, 5> kCities{"London", "New York", "Berlin", "Paris", "Tokyo"};

}  // namespace

std::string make_bio(std::int64_t i) {
  const std::string unit = "bio-" + std::to_string(i) + "-";
  std::string bio;
  bio.reserve(bio_bytes);
  while (bio.size() < bio_bytes) bio.append(unit, 0, bio_bytes - bio.size());
  return bio;
}

Record make_record(std::int64_t i) {
  const std::string number = std::to_string(i);
  Record record;
  record.id = i;
  record.name = "user-" + number;
  record.email = "user-" + number + "@example.com";
  record.username = "u" + number;
  record.age = 18 + i % 60;
  record.active = i % 2 == 0;
  record.role = kRoles[static_cast<std::size_t>(i % 3)];
  record.country = kCountries[static_cast<std::size_t>(i % 5)];
  record.city = kCities[static_cast<std::size_t>(i % 5)];
  record.created_at = "2026-01-01T00:00:00Z";
  record.followers = (i * 37) % 10000;
  record.tags = {"tag-" + std::to_string(i % 10), "group-" + std::to_string(i % 4)};
  record.verified = i % 3 == 0;
  record.bio = make_bio(i);
  return record;
}

Store build_store(unsigned live_mb) {
  if (live_mb > max_live_mb) throw std::invalid_argument("live_mb over 4096");
  const std::size_t count = static_cast<std::size_t>(live_mb) * records_per_live_mb;
  Store store;
  store.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    store.push_back(make_record(static_cast<std::int64_t>(i)));
  }
  return store;
}

const Record* find_record(const Store& store, std::uint64_t id) {
  return id < store.size() ? &store[static_cast<std::size_t>(id)] : nullptr;
}

void tag_invoke(json::value_from_tag, json::value& json, const Record& record) {
  json::object& object = json.emplace_object();
  object.reserve(14);
  // One emplace per field, in declaration order; a json::object keeps insertion order.
  object.emplace("id", record.id);
  object.emplace("name", record.name);
  object.emplace("email", record.email);
  object.emplace("username", record.username);
  object.emplace("age", record.age);
  object.emplace("active", record.active);
  object.emplace("role", record.role);
  object.emplace("country", record.country);
  object.emplace("city", record.city);
  object.emplace("created_at", record.created_at);
  object.emplace("followers", record.followers);
  object.emplace("tags", json::value_from(record.tags, object.storage()));
  object.emplace("verified", record.verified);
  object.emplace("bio", record.bio);
}

std::string record_json(const Record& record) { return json::serialize(json::value_from(record)); }

}  // namespace cpp_server

// The records that /json and /user serialise, built afresh for every request.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace cpp_server {

// A macro argument cannot hold the comma of std::array<T, N>, hence the alias.
using Tags = std::array<std::string_view, 2>;

struct Message {
  std::string_view message;
};

// The /user record. Its fields are one X-macro list, so that a field is a single line: the
// member, its JSON key and its place in the output all come from that line. The build benchmark
// inserts one line right after the marker (the line is in README.md); a field added that way
// gets its zero value. Values for the existing fields are set in make_user().
#define CPP_SERVER_USER_FIELDS(FIELD) \
  FIELD(std::int64_t, id)             \
  FIELD(std::string_view, name)       \
  FIELD(std::string_view, email)      \
  FIELD(std::string_view, username)   \
  FIELD(std::int64_t, age)            \
  FIELD(bool, active)                 \
  FIELD(std::string_view, role)       \
  FIELD(std::string_view, country)    \
  FIELD(std::string_view, city)       \
  FIELD(std::string_view, created_at) \
  FIELD(std::int64_t, followers)      \
  FIELD(Tags, tags)                   \
  FIELD(bool, verified)               \
  /* hellobench:add-field */          \
  /* (end of the field list) */

#define CPP_SERVER_DECLARE_FIELD(type, field_name) type field_name{};

struct User {
  CPP_SERVER_USER_FIELDS(CPP_SERVER_DECLARE_FIELD)
};

#undef CPP_SERVER_DECLARE_FIELD

inline User make_user() {
  User user;
  user.id = 42;
  user.name = "Ada Lovelace";
  user.email = "ada@example.com";
  user.username = "ada";
  user.age = 36;
  user.active = true;
  user.role = "admin";
  user.country = "GB";
  user.city = "London";
  user.created_at = "2026-01-01T00:00:00Z";
  user.followers = 1024;
  user.tags = {"math", "computing"};
  user.verified = true;
  return user;
}

}  // namespace cpp_server

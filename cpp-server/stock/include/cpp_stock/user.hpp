// The records that GET /json and GET /user serialise, built afresh for every request.
// Described with Boost.Describe, so that boost::json::value_from converts them member by member,
// in declaration order, with no conversion code of our own (Boost.JSON's "described classes").
#pragma once

#include <boost/describe/class.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace cpp_stock {

struct Message {
  std::string message;
};
BOOST_DESCRIBE_STRUCT(Message, (), (message))

// The /user record: 13 fields. Without reflection in the language, a field is two lines: its
// member in the struct and its name in the BOOST_DESCRIBE_STRUCT list (the incremental-build
// edit inserts one after each marker).
struct User {
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
  // hellobench:add-field
};
BOOST_DESCRIBE_STRUCT(User, (),
                      (id, name, email, username, age, active, role, country, city, created_at,
                       followers, tags, verified
                       // hellobench:describe-field
                       ))

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

}  // namespace cpp_stock

// Built against user.hpp with the add-field line inserted (see CMakeLists.txt): the one-line
// edit of the incremental-build scenario compiles and adds a field to /user.
#include <gtest/gtest.h>

#include <string>

#include "cpp_server/routes.hpp"

namespace cpp_server {
namespace {

TEST(CppServerAddField, InsertedLineAddsExtraFieldWithItsZeroValueAtTheEnd) {
  std::string out;
  append_response(out, Endpoint::user, {});
  const std::string body = out.substr(out.find("\r\n\r\n") + 4);
  EXPECT_EQ(body,
            R"({"id":42,"name":"Ada Lovelace","email":"ada@example.com","username":"ada","age":36,)"
            R"("active":true,"role":"admin","country":"GB","city":"London",)"
            R"("created_at":"2026-01-01T00:00:00Z","followers":1024,"tags":["math","computing"],)"
            R"("verified":true,"extra_field":0})");
}

}  // namespace
}  // namespace cpp_server

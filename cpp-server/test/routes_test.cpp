// Routing decisions and the exact response bytes.
#include "cpp_server/routes.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace cpp_server {
namespace {

namespace http = boost::beast::http;
using namespace std::chrono_literals;

// The Date value changes every second; tests compare everything else byte for byte.
std::string without_date(const std::string& response) {
  return std::regex_replace(response, std::regex("Date: [^\r]*\r\n"), "Date: *\r\n");
}

std::string response_for(Endpoint endpoint, Framing framing = {}) {
  std::string out;
  append_response(out, endpoint, framing);
  return without_date(out);
}

TEST(CppServerRoute, ExactPathsWithGetReachTheirEndpoints) {
  EXPECT_EQ(route(http::verb::get, "/").endpoint, Endpoint::hello);
  EXPECT_EQ(route(http::verb::get, "/json").endpoint, Endpoint::json);
  EXPECT_EQ(route(http::verb::get, "/user").endpoint, Endpoint::user);
  EXPECT_EQ(route(http::verb::get, "/io?ms=5").endpoint, Endpoint::io_wait);
}

TEST(CppServerRoute, QueryStringDoesNotChangeThePath) {
  EXPECT_EQ(route(http::verb::get, "/json?pretty=1").endpoint, Endpoint::json);
  EXPECT_EQ(route(http::verb::get, "/?").endpoint, Endpoint::hello);
}

TEST(CppServerRoute, AbsoluteFormTargetsRouteOnTheirPath) {
  EXPECT_EQ(route(http::verb::get, "http://127.0.0.1:8080/json").endpoint, Endpoint::json);
  EXPECT_EQ(route(http::verb::get, "http://example.com").endpoint, Endpoint::hello);
  EXPECT_EQ(route(http::verb::get, "http://example.com?ms=5").endpoint, Endpoint::hello);
  EXPECT_EQ(route(http::verb::get, "http://h/io?ms=12").io_wait, 12ms);
  EXPECT_EQ(route(http::verb::get, "http://h/nope").endpoint, Endpoint::not_found);
}

TEST(CppServerRoute, OtherPathsAreNotFound) {
  for (const char* target : {"/users", "/json/", "//json", "/JSON", "/io/", "*", ""}) {
    EXPECT_EQ(route(http::verb::get, target).endpoint, Endpoint::not_found) << target;
  }
}

TEST(CppServerRoute, OtherMethodsOnKnownPathsAreNotAllowed) {
  EXPECT_EQ(route(http::verb::post, "/").endpoint, Endpoint::method_not_allowed);
  EXPECT_EQ(route(http::verb::delete_, "/user").endpoint, Endpoint::method_not_allowed);
  EXPECT_EQ(route(http::verb::head, "/json").endpoint, Endpoint::method_not_allowed);
  // An unknown path stays 404 whatever the method.
  EXPECT_EQ(route(http::verb::post, "/nope").endpoint, Endpoint::not_found);
}

TEST(CppServerRoute, IoTakesItsWaitFromTheMsParameter) {
  EXPECT_EQ(route(http::verb::get, "/io?ms=0").io_wait, 0ms);
  EXPECT_EQ(route(http::verb::get, "/io?ms=250").io_wait, 250ms);
  EXPECT_EQ(route(http::verb::get, "/io?ms=10000").io_wait, 10000ms);
  EXPECT_EQ(route(http::verb::get, "/io?x=1&ms=7").io_wait, 7ms);
  EXPECT_EQ(route(http::verb::get, "/io?ms=007").io_wait, 7ms);
}

TEST(CppServerRoute, IoRejectsAWaitThatIsNotAnIntegerFrom0To10000) {
  for (const char* target :
       {"/io", "/io?", "/io?ms=", "/io?ms=10001", "/io?ms=-1", "/io?ms=+5", "/io?ms=1.5",
        "/io?ms=abc", "/io?ms=5x", "/io?ms=%205", "/io?ms=99999999999999999999999", "/io?mss=5"}) {
    EXPECT_EQ(route(http::verb::get, target).endpoint, Endpoint::bad_io_wait) << target;
  }
}

TEST(CppServerRoute, UsersTakeAnIdOf1To18Digits) {
  EXPECT_EQ(route(http::verb::get, "/users/7").endpoint, Endpoint::user_record);
  EXPECT_EQ(route(http::verb::get, "/users/7").user_id, 7u);
  EXPECT_EQ(route(http::verb::get, "/users/007").user_id, 7u);
  EXPECT_EQ(route(http::verb::get, "/users/7?x=1").user_id, 7u);
  EXPECT_EQ(route(http::verb::get, "/users/999999999999999999").user_id, 999999999999999999u);
  for (const char* target : {"/users/", "/users/-1", "/users/+1", "/users/abc", "/users/0x10",
                             "/users/1.5", "/users/1000000000000000000", "/users/%31"}) {
    EXPECT_EQ(route(http::verb::get, target).endpoint, Endpoint::bad_user_id) << target;
  }
}

TEST(CppServerRoute, UsersWithAFurtherSegmentOrNoSlashAreNotFound) {
  for (const char* target : {"/users/1/x", "/users/1/", "/users", "/users?x=/1"}) {
    EXPECT_EQ(route(http::verb::get, target).endpoint, Endpoint::not_found) << target;
  }
}

TEST(CppServerRoute, UsersAreGetOnlyWhateverTheId) {
  EXPECT_EQ(route(http::verb::post, "/users/1").endpoint, Endpoint::method_not_allowed);
  EXPECT_EQ(route(http::verb::delete_, "/users/abc").endpoint, Endpoint::method_not_allowed);
}

TEST(CppServerRoute, DbUsersFollowTheUsersIdRules) {
  EXPECT_EQ(route(http::verb::get, "/db/users/7").endpoint, Endpoint::db_user);
  EXPECT_EQ(route(http::verb::get, "/db/users/0007?x=1").user_id, 7u);
  EXPECT_EQ(route(http::verb::get, "/db/users/1023").user_id, 1023u);
  for (const char* target : {"/db/users/", "/db/users/abc", "/db/users/-1",
                             "/db/users/1000000000000000000", "/db/users/%31"}) {
    EXPECT_EQ(route(http::verb::get, target).endpoint, Endpoint::bad_user_id) << target;
  }
  for (const char* target : {"/db/users", "/db/users/1/x", "/db/user/1", "/db/", "/db"}) {
    EXPECT_EQ(route(http::verb::get, target).endpoint, Endpoint::not_found) << target;
  }
  EXPECT_EQ(route(http::verb::post, "/db/users/1").endpoint, Endpoint::method_not_allowed);
  EXPECT_EQ(route(http::verb::put, "/db/users/abc").endpoint, Endpoint::method_not_allowed);
}

TEST(CppServerRoute, DbSleepFollowsTheIoWaitRules) {
  EXPECT_EQ(route(http::verb::get, "/db/sleep?ms=50").endpoint, Endpoint::db_sleep);
  EXPECT_EQ(route(http::verb::get, "/db/sleep?ms=50").io_wait, 50ms);
  EXPECT_EQ(route(http::verb::get, "/db/sleep?x=1&ms=10000").io_wait, 10000ms);
  for (const char* target :
       {"/db/sleep", "/db/sleep?ms=x", "/db/sleep?ms=10001", "/db/sleep?ms=-1", "/db/sleep?ms="}) {
    EXPECT_EQ(route(http::verb::get, target).endpoint, Endpoint::bad_io_wait) << target;
  }
  EXPECT_EQ(route(http::verb::post, "/db/sleep?ms=1").endpoint, Endpoint::method_not_allowed);
  EXPECT_EQ(route(http::verb::post, "/db/sleep?ms=x").endpoint, Endpoint::method_not_allowed);
  EXPECT_EQ(route(http::verb::get, "/db/sleep/").endpoint, Endpoint::not_found);
}

TEST(CppServerRoute, OrdersArePostOnly) {
  EXPECT_EQ(route(http::verb::post, "/orders").endpoint, Endpoint::orders);
  EXPECT_EQ(route(http::verb::post, "/orders?x=1").endpoint, Endpoint::orders);
  EXPECT_EQ(route(http::verb::get, "/orders").endpoint, Endpoint::orders_method_not_allowed);
  EXPECT_EQ(route(http::verb::put, "/orders").endpoint, Endpoint::orders_method_not_allowed);
  EXPECT_EQ(route(http::verb::post, "/orders/").endpoint, Endpoint::not_found);
}

TEST(CppServerResponse, HelloIsPlainTextWithLengthAndServer) {
  EXPECT_EQ(response_for(Endpoint::hello),
            "HTTP/1.1 200 OK\r\n"
            "Server: hellobench\r\n"
            "Date: *\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 13\r\n"
            "\r\n"
            "Hello, World!");
}

TEST(CppServerResponse, JsonIsTheMessageObject) {
  EXPECT_EQ(response_for(Endpoint::json),
            "HTTP/1.1 200 OK\r\n"
            "Server: hellobench\r\n"
            "Date: *\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 27\r\n"
            "\r\n"
            R"({"message":"Hello, World!"})");
}

TEST(CppServerResponse, UserIsTheThirteenFieldRecordInOrder) {
  const std::string body =
      R"({"id":42,"name":"Ada Lovelace","email":"ada@example.com","username":"ada","age":36,)"
      R"("active":true,"role":"admin","country":"GB","city":"London",)"
      R"("created_at":"2026-01-01T00:00:00Z","followers":1024,"tags":["math","computing"],)"
      R"("verified":true})";
  ASSERT_EQ(body.size(), 240u);
  EXPECT_EQ(response_for(Endpoint::user),
            "HTTP/1.1 200 OK\r\n"
            "Server: hellobench\r\n"
            "Date: *\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 240\r\n"
            "\r\n" +
                body);
}

TEST(CppServerResponse, IoAnswersAsHello) {
  EXPECT_EQ(response_for(Endpoint::io_wait), response_for(Endpoint::hello));
}

TEST(CppServerResponse, MethodNotAllowedNamesTheAllowedMethod) {
  EXPECT_EQ(response_for(Endpoint::method_not_allowed),
            "HTTP/1.1 405 Method Not Allowed\r\n"
            "Server: hellobench\r\n"
            "Date: *\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 18\r\n"
            "Allow: GET\r\n"
            "\r\n"
            "Method Not Allowed");
}

TEST(CppServerResponse, OrdersMethodNotAllowedAllowsPost) {
  EXPECT_EQ(response_for(Endpoint::orders_method_not_allowed),
            "HTTP/1.1 405 Method Not Allowed\r\nServer: hellobench\r\nDate: *\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 18\r\n"
            "Allow: POST\r\n\r\nMethod Not Allowed");
}

TEST(CppServerResponse, BadUserIdSaysWhatAnIdIs) {
  EXPECT_EQ(response_for(Endpoint::bad_user_id),
            "HTTP/1.1 400 Bad Request\r\nServer: hellobench\r\nDate: *\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 28\r\n\r\n"
            "id must be a decimal integer");
}

TEST(CppServerResponse, NotFoundAndBadIoWaitHaveShortTextBodies) {
  EXPECT_EQ(response_for(Endpoint::not_found),
            "HTTP/1.1 404 Not Found\r\nServer: hellobench\r\nDate: *\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\n\r\nNot Found");
  EXPECT_EQ(response_for(Endpoint::bad_io_wait),
            "HTTP/1.1 400 Bad Request\r\nServer: hellobench\r\nDate: *\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 30\r\n\r\n"
            "ms must be an integer 0..10000");
}

TEST(CppServerResponse, ClosingHttp11ResponseSaysConnectionClose) {
  EXPECT_EQ(response_for(Endpoint::hello, Framing{11, false}),
            "HTTP/1.1 200 OK\r\nServer: hellobench\r\nDate: *\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n"
            "Connection: close\r\n\r\nHello, World!");
}

TEST(CppServerResponse, Http10AnswersWithItsVersionAndKeepAliveOnlyWhenAsked) {
  EXPECT_EQ(response_for(Endpoint::hello, Framing{10, false}),
            "HTTP/1.0 200 OK\r\nServer: hellobench\r\nDate: *\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n\r\nHello, World!");
  EXPECT_EQ(response_for(Endpoint::hello, Framing{10, true}),
            "HTTP/1.0 200 OK\r\nServer: hellobench\r\nDate: *\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 13\r\n"
            "Connection: keep-alive\r\n\r\nHello, World!");
}

TEST(CppServerResponse, ParseErrorsCloseTheConnection) {
  std::string out;
  append_error_response(out, http::status::request_header_fields_too_large);
  EXPECT_EQ(without_date(out),
            "HTTP/1.1 431 Request Header Fields Too Large\r\nServer: hellobench\r\nDate: *\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 31\r\n"
            "Connection: close\r\n\r\nRequest Header Fields Too Large");
}

TEST(CppServerResponse, AppendsAfterWhatIsAlreadyInTheBuffer) {
  std::string out = "earlier";
  append_response(out, Endpoint::hello, {});
  EXPECT_EQ(out.rfind("earlierHTTP/1.1 200 OK\r\n", 0), 0u);
}

}  // namespace
}  // namespace cpp_server

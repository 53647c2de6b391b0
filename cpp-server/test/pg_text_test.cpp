// PostgreSQL's text format and the database routes' answers, without a database: rows are
// built with libpq's own result-construction functions (PQsetResultAttrs, PQsetvalue).
#include "cpp_server/pg_text.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "cpp_server/db_routes.hpp"
#include "cpp_server/store.hpp"

namespace cpp_server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

std::vector<std::string> array_of(std::string_view text) {
  std::vector<std::string> elements;
  if (!pg::parse_text_array(text, elements)) return {"(rejected)"};
  return elements;
}

TEST(CppServerPgText, ArraysOfPlainElements) {
  EXPECT_THAT(array_of("{tag-7,group-3}"), ElementsAre("tag-7", "group-3"));
  EXPECT_THAT(array_of("{one}"), ElementsAre("one"));
  EXPECT_THAT(array_of("{}"), ElementsAre());
}

TEST(CppServerPgText, ArraysWithQuotedElementsAndEscapes) {
  // What PostgreSQL prints for ARRAY['a b', 'x"y', 'back\slash', '', 'NULL', 'c,d']:
  EXPECT_THAT(array_of(R"({"a b","x\"y","back\\slash","","NULL","c,d"})"),
              ElementsAre("a b", "x\"y", "back\\slash", "", "NULL", "c,d"));
}

TEST(CppServerPgText, ArraysThatAreNotOneDimensionalTextAreRejected) {
  for (const char* bad : {"", "{", "tag-1", "{a,NULL}", "{a,null}", "{{a,b},{c,d}}", "[0:1]={a,b}",
                          "{a,}", "{,a}", "{\"a}", "{\"a\"b}", "{a b}"}) {
    EXPECT_THAT(array_of(bad), ElementsAre("(rejected)")) << bad;
  }
}

TEST(CppServerPgText, ArraysReuseTheStringsAlreadyThere) {
  std::vector<std::string> elements{"old-first", "old-second", "old-third"};
  ASSERT_TRUE(pg::parse_text_array("{x,y}", elements));
  EXPECT_THAT(elements, ElementsAre("x", "y"));
}

TEST(CppServerPgText, BooleansAndIntegers) {
  EXPECT_EQ(pg::parse_bool("t"), true);
  EXPECT_EQ(pg::parse_bool("f"), false);
  EXPECT_EQ(pg::parse_bool("true"), std::nullopt);
  EXPECT_EQ(pg::parse_int64("1023"), 1023);
  EXPECT_EQ(pg::parse_int64("-5"), -5);
  EXPECT_EQ(pg::parse_int64("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(pg::parse_int64("9223372036854775808"), std::nullopt);
  EXPECT_EQ(pg::parse_int64(""), std::nullopt);
  EXPECT_EQ(pg::parse_int64("1.0"), std::nullopt);
}

TEST(CppServerDbAnswers, SleepSecondsAreExactDecimals) {
  EXPECT_THAT(sleep_params(0ms), ElementsAre("0.000"));
  EXPECT_THAT(sleep_params(5ms), ElementsAre("0.005"));
  EXPECT_THAT(sleep_params(50ms), ElementsAre("0.050"));
  EXPECT_THAT(sleep_params(1234ms), ElementsAre("1.234"));
  EXPECT_THAT(sleep_params(10000ms), ElementsAre("10.000"));
  EXPECT_THAT(user_by_id_params(7), ElementsAre("7"));
}

// A user_by_id result holding record i's row as PostgreSQL would send it, or with one column's
// text replaced.
pg::Result user_row(std::int64_t i, int replaced_column = -1, const char* replacement = "") {
  const char* names[] = {"id",      "name", "email",      "username",  "age",  "active",   "role",
                         "country", "city", "created_at", "followers", "tags", "verified", "bio"};
  PGresAttDesc attributes[14] = {};
  for (int c = 0; c < 14; ++c) {
    attributes[c].name = const_cast<char*>(names[c]);
    attributes[c].format = 0;
  }
  PGresult* result = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
  PQsetResultAttrs(result, 14, attributes);
  const Record record = make_record(i);
  const std::string tags = "{" + record.tags[0] + "," + record.tags[1] + "}";
  std::vector<std::string> values{std::to_string(record.id),
                                  record.name,
                                  record.email,
                                  record.username,
                                  std::to_string(record.age),
                                  record.active ? "t" : "f",
                                  record.role,
                                  record.country,
                                  record.city,
                                  record.created_at,
                                  std::to_string(record.followers),
                                  tags,
                                  record.verified ? "t" : "f",
                                  record.bio};
  if (replaced_column >= 0) values[static_cast<std::size_t>(replaced_column)] = replacement;
  for (int c = 0; c < 14; ++c) {
    auto& value = values[static_cast<std::size_t>(c)];
    PQsetvalue(result, 0, c, value.data(), static_cast<int>(value.size()));
  }
  return pg::Result(result);
}

TEST(CppServerDbAnswers, ARowBecomesTheStoresRecord) {
  Record record;
  ASSERT_TRUE(record_from_row(user_row(7), 0, record));
  EXPECT_EQ(record_json(record), record_json(make_record(7)));
  ASSERT_TRUE(record_from_row(user_row(1023), 0, record));  // reused: every field replaced
  EXPECT_EQ(record_json(record), record_json(make_record(1023)));
}

TEST(CppServerDbAnswers, ARowThatIsNotAUserIsRefused) {
  Record record;
  EXPECT_FALSE(record_from_row(user_row(7, 0, "seven"), 0, record));
  EXPECT_FALSE(record_from_row(user_row(7, 5, "yes"), 0, record));
  EXPECT_FALSE(record_from_row(user_row(7, 11, "tag-7"), 0, record));
  EXPECT_FALSE(
      record_from_row(pg::Result(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK)), 0, record));
}

TEST(CppServerDbAnswers, UserAnswerIsTheRecordsJson) {
  std::string out;
  append_db_user_response(out, Framing{}, {}, user_row(7));
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(out, HasSubstr("Content-Type: application/json\r\n"));
  EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), record_json(make_record(7)));
}

TEST(CppServerDbAnswers, NoRowIsNotFound) {
  std::string out;
  append_db_user_response(out, Framing{}, {},
                          pg::Result(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK)));
  EXPECT_THAT(out, StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), "Not Found");
}

TEST(CppServerDbAnswers, AFailedQueryIsDatabaseUnavailable) {
  for (const pg::Error error : {pg::Error::unavailable, pg::Error::connection_lost,
                                pg::Error::query_failed, pg::Error::pool_closed}) {
    std::string user;
    append_db_user_response(user, Framing{}, error, pg::Result());
    std::string sleep;
    append_db_sleep_response(sleep, Framing{}, error);
    for (const std::string& out : {user, sleep}) {
      EXPECT_THAT(out, StartsWith("HTTP/1.1 503 Service Unavailable\r\n"));
      EXPECT_THAT(out, HasSubstr("Content-Type: text/plain; charset=utf-8\r\n"));
      EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), "database unavailable");
    }
  }
}

TEST(CppServerDbAnswers, SleepAnswersAsHello) {
  std::string out;
  append_db_sleep_response(out, Framing{}, {});
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(out.substr(out.find("\r\n\r\n") + 4), "Hello, World!");
}

TEST(CppServerPgConninfo, ChecksAndDescribesConnectionStrings) {
  std::string reason;
  EXPECT_TRUE(pg::check_conninfo("postgresql://postgres@127.0.0.1:5432/postgres", reason));
  EXPECT_TRUE(pg::check_conninfo("host=/tmp port=5433 dbname=bench", reason));
  EXPECT_FALSE(pg::check_conninfo("host=x port", reason));
  EXPECT_THAT(reason, HasSubstr("port"));
  EXPECT_FALSE(pg::check_conninfo("postgresql://h:notaport/x", reason));
  EXPECT_EQ(reason, "invalid port \"notaport\"");
  EXPECT_FALSE(pg::check_conninfo("host=a,b port=5432,70000", reason));
  EXPECT_TRUE(pg::check_conninfo("host=a,b port=5432,", reason));
  EXPECT_FALSE(pg::check_conninfo("colour=blue", reason));
  EXPECT_THAT(reason, HasSubstr("colour"));
  EXPECT_EQ(reason.find('\n'), std::string::npos);
  EXPECT_EQ(pg::describe_conninfo("postgresql://postgres:secret@127.0.0.1:5432/postgres"),
            "postgresql://postgres@127.0.0.1:5432/postgres");
  EXPECT_EQ(pg::describe_conninfo("host=::1 port=6000 dbname=x"), "postgresql://[::1]:6000/x");
}

TEST(CppServerPgConninfo, PinsAHostNameToItsAddresses) {
  const std::string pinned = pg::pin_host_addresses("host=localhost port=5432 dbname=bench");
  EXPECT_THAT(pinned, HasSubstr("hostaddr='"));
  EXPECT_THAT(pinned, HasSubstr("127.0.0.1"));
  EXPECT_THAT(pinned, HasSubstr("dbname='bench'"));
  EXPECT_THAT(pinned, HasSubstr("port='5432'"));
  std::string reason;
  EXPECT_TRUE(pg::check_conninfo(pinned, reason)) << reason;
  for (const char* unchanged : {"host=127.0.0.1 port=1", "host=/tmp", "host=a,b",
                                "hostaddr=127.0.0.1 host=localhost", "postgresql://[::1]:5432/x"}) {
    EXPECT_EQ(pg::pin_host_addresses(unchanged), unchanged);
  }
}

}  // namespace
}  // namespace cpp_server

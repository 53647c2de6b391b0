// The --live-mb store and the record's JSON, against values worked out by hand from the rules
// in contract/README.md.
#include "cpp_server/store.hpp"

#include <gtest/gtest.h>

#include <string>

namespace cpp_server {
namespace {

// `unit` repeated, then its first `tail` bytes: a bio written out by hand.
std::string repeated(const std::string& unit, int times, std::size_t tail) {
  std::string text;
  for (int i = 0; i < times; ++i) text += unit;
  return text + unit.substr(0, tail);
}

TEST(CppServerStore, HoldsLiveMbTimes1024RecordsWithIdsInOrder) {
  const Store store = build_store(2);
  ASSERT_EQ(store.size(), 2048u);
  EXPECT_EQ(store.front().id, 0);
  EXPECT_EQ(store[1234].id, 1234);
  EXPECT_EQ(store.back().id, 2047);
}

TEST(CppServerStore, ZeroLiveMbIsAnEmptyStore) { EXPECT_TRUE(build_store(0).empty()); }

TEST(CppServerStore, RecordSevenFollowsTheRules) {
  const Record record = make_record(7);
  EXPECT_EQ(record.id, 7);
  EXPECT_EQ(record.name, "user-7");
  EXPECT_EQ(record.email, "user-7@example.com");
  EXPECT_EQ(record.username, "u7");
  EXPECT_EQ(record.age, 25);         // 18 + 7 mod 60
  EXPECT_FALSE(record.active);       // 7 is odd
  EXPECT_EQ(record.role, "editor");  // 7 mod 3 = 1
  EXPECT_EQ(record.country, "DE");   // 7 mod 5 = 2
  EXPECT_EQ(record.city, "Berlin");  // 7 mod 5 = 2
  EXPECT_EQ(record.created_at, "2026-01-01T00:00:00Z");
  EXPECT_EQ(record.followers, 259);  // 7 * 37
  EXPECT_EQ(record.tags, (std::vector<std::string>{"tag-7", "group-3"}));
  EXPECT_FALSE(record.verified);  // 7 mod 3 != 0
}

TEST(CppServerStore, ModuloFieldsWrapAround) {
  const Record record = make_record(300);
  EXPECT_EQ(record.age, 18);  // 300 mod 60 = 0
  EXPECT_TRUE(record.active);
  EXPECT_EQ(record.role, "admin");  // 300 mod 3 = 0
  EXPECT_EQ(record.country, "GB");  // 300 mod 5 = 0
  EXPECT_EQ(record.city, "London");
  EXPECT_EQ(record.followers, 1100);  // 11100 mod 10000
  EXPECT_EQ(record.tags, (std::vector<std::string>{"tag-0", "group-0"}));
  EXPECT_TRUE(record.verified);
}

TEST(CppServerStore, BioIsTheUnitRepeatedAndCutTo800Bytes) {
  // "bio-7-" is 6 bytes: 133 whole units (798 bytes), then "bi".
  EXPECT_EQ(make_bio(7), repeated("bio-7-", 133, 2));
  // "bio-42-" is 7 bytes: 114 units (798), then "bi".
  EXPECT_EQ(make_bio(42), repeated("bio-42-", 114, 2));
  // "bio-1023-" is 9 bytes: 88 units (792), then "bio-1023".
  EXPECT_EQ(make_bio(1023), repeated("bio-1023-", 88, 8));
  // "bio-4194303-" is 12 bytes: 66 units (792), then "bio-4194".
  EXPECT_EQ(make_bio(4194303), repeated("bio-4194303-", 66, 8));
  for (const std::int64_t i : {0, 1, 99999, 4194303}) EXPECT_EQ(make_bio(i).size(), 800u) << i;
}

TEST(CppServerStore, RecordJsonIsCompactInFieldOrderWithBioLast) {
  EXPECT_EQ(record_json(make_record(7)),
            R"({"id":7,"name":"user-7","email":"user-7@example.com","username":"u7","age":25,)"
            R"("active":false,"role":"editor","country":"DE","city":"Berlin",)"
            R"("created_at":"2026-01-01T00:00:00Z","followers":259,"tags":["tag-7","group-3"],)"
            R"("verified":false,"bio":")" +
                repeated("bio-7-", 133, 2) + R"("})");
}

TEST(CppServerStore, FindRecordStopsAtTheStoreSize) {
  const Store store = build_store(1);
  ASSERT_NE(find_record(store, 1023), nullptr);
  EXPECT_EQ(find_record(store, 1023)->name, "user-1023");
  EXPECT_EQ(find_record(store, 1024), nullptr);
  EXPECT_EQ(find_record(store, 999999999999999999u), nullptr);
  EXPECT_EQ(find_record(Store{}, 0), nullptr);
}

TEST(CppServerStore, UserIdIsOneToEighteenDecimalDigits) {
  EXPECT_EQ(parse_user_id("0"), 0u);
  EXPECT_EQ(parse_user_id("007"), 7u);
  EXPECT_EQ(parse_user_id("999999999999999999"), 999999999999999999u);
  for (const char* bad :
       {"", "-1", "+1", "abc", "0x10", "1.5", "1000000000000000000", "%31", " 1", "1 "}) {
    EXPECT_EQ(parse_user_id(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace cpp_server

// Orders: the media type rule, JSON syntax, the shape rules and the answer, against values
// worked out by hand from contract/README.md.
#include "cpp_server/orders.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <string>

namespace cpp_server {
namespace {

// A syntactically valid document, for the shape tests.
boost::json::value document(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value value = parse_json_document(text, ec);
  EXPECT_FALSE(ec) << text;
  return value;
}

bool valid(std::string_view text) { return order_from_json(document(text)).has_value(); }

constexpr std::string_view kOneItem =
    R"({"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1}]})";

TEST(CppServerOrders, MediaTypeIsApplicationJsonIgnoringCaseParametersAndBlanks) {
  for (const char* yes : {"application/json", "Application/JSON", "application/json; charset=utf-8",
                          " \tapplication/json \t;x", "application/json;"}) {
    EXPECT_TRUE(is_json_media_type(yes)) << yes;
  }
  for (const char* no : {"", "text/plain", "application/problem+json", "application/jsonx",
                         "application/x-www-form-urlencoded", "application / json", "json"}) {
    EXPECT_FALSE(is_json_media_type(no)) << no;
  }
}

TEST(CppServerOrders, SyntaxErrorsAreMalformed) {
  for (const std::string& text : std::vector<std::string>{
           "", "   ", R"({"customer_id":7,"items":[)", std::string(kOneItem) + "x",
           std::string(kOneItem) + "{}", "{'customer_id':7}", "order",
           R"({"customer_id":7,"items":[],})", "{\"note\":\"\xC0\x80\"}", "\"\xFF\"",
           "\"\xED\xA0\x80\"" /* a UTF-16 surrogate in UTF-8 */}) {
    boost::system::error_code ec;
    parse_json_document(text, ec);
    EXPECT_TRUE(ec) << text;
  }
}

TEST(CppServerOrders, WhitespaceAroundTheDocumentIsAllowed) {
  boost::system::error_code ec;
  parse_json_document(" \n\t" + std::string(kOneItem) + "\r\n ", ec);
  EXPECT_FALSE(ec);
}

TEST(CppServerOrders, AValidOrderBecomesStructs) {
  const auto order = order_from_json(
      document(R"({"customer_id":7,"items":[{"sku":"A-1","qty":2,"price_cents":1250},)"
               R"({"sku":"B","qty":1000,"price_cents":0}],"note":"leave at the door","x":[1]})"));
  ASSERT_TRUE(order);
  EXPECT_EQ(order->customer_id, 7);
  ASSERT_EQ(order->items.size(), 2u);
  EXPECT_EQ(order->items[0].sku, "A-1");
  EXPECT_EQ(order->items[0].qty, 2);
  EXPECT_EQ(order->items[0].price_cents, 1250);
  EXPECT_EQ(order->items[1].qty, 1000);
  EXPECT_EQ(order->note, "leave at the door");
}

TEST(CppServerOrders, NoteMayBeAbsentOrNull) {
  EXPECT_EQ(order_from_json(document(kOneItem))->note, std::nullopt);
  const auto with_null = order_from_json(
      document(R"({"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1}],"note":null})"));
  ASSERT_TRUE(with_null);
  EXPECT_EQ(with_null->note, std::nullopt);
}

TEST(CppServerOrders, TheDocumentMustBeAnObject) {
  for (const char* text : {"[]", "7", "null", "\"order\"", "true"})
    EXPECT_FALSE(valid(text)) << text;
}

TEST(CppServerOrders, CustomerIdIsAnIntegerFrom0To2Pow63Minus1) {
  const auto order_with = [](const std::string& id) {
    return R"({"customer_id":)" + id + R"(,"items":[{"sku":"A","qty":1,"price_cents":1}]})";
  };
  EXPECT_TRUE(valid(order_with("0")));
  EXPECT_TRUE(valid(order_with("9223372036854775807")));
  for (const char* bad : {"-1", "9223372036854775808", "18446744073709551616", "7.5", "7.0", "7e0",
                          "\"7\"", "null", "true"}) {
    EXPECT_FALSE(valid(order_with(bad))) << bad;
  }
  EXPECT_FALSE(valid(R"({"items":[{"sku":"A","qty":1,"price_cents":1}]})"));
}

TEST(CppServerOrders, ItemsAreAnArrayOf1To100Objects) {
  const auto order_of = [](int count) {
    std::string text = R"({"customer_id":7,"items":[)";
    for (int i = 0; i < count; ++i) {
      text += std::string(i ? "," : "") + R"({"sku":"A","qty":1,"price_cents":1})";
    }
    return text + "]}";
  };
  EXPECT_TRUE(valid(order_of(1)));
  EXPECT_TRUE(valid(order_of(100)));
  EXPECT_FALSE(valid(order_of(0)));
  EXPECT_FALSE(valid(order_of(101)));
  EXPECT_FALSE(valid(R"({"customer_id":7})"));
  EXPECT_FALSE(valid(R"({"customer_id":7,"items":{"sku":"A","qty":1,"price_cents":1}})"));
  EXPECT_FALSE(valid(R"({"customer_id":7,"items":[1]})"));
  EXPECT_FALSE(valid(R"({"customer_id":7,"items":null})"));
}

TEST(CppServerOrders, ItemFieldsHaveTheirTypesAndRanges) {
  const auto item = [](const std::string& members) {
    return R"({"customer_id":7,"items":[{)" + members + "}]}";
  };
  EXPECT_TRUE(valid(item(R"("sku":"S","qty":1,"price_cents":0)")));
  EXPECT_TRUE(valid(
      item(R"("sku":")" + std::string(64, 'S') + R"(","qty":1000,"price_cents":1000000000)")));
  // sku: 1 to 64 bytes; a 2-byte character counts twice ("é" x 32 = 64 bytes, x 33 = 66).
  std::string e_acute_32;
  for (int i = 0; i < 32; ++i) e_acute_32 += "\xC3\xA9";
  EXPECT_TRUE(valid(item(R"("sku":")" + e_acute_32 + R"(","qty":1,"price_cents":1)")));
  EXPECT_FALSE(
      valid(item(R"("sku":")" + e_acute_32 + "\xC3\xA9" + R"(","qty":1,"price_cents":1)")));
  for (const std::string& bad : std::vector<std::string>{
           R"("qty":1,"price_cents":1)", R"("sku":"","qty":1,"price_cents":1)",
           R"("sku":")" + std::string(65, 'S') + R"(","qty":1,"price_cents":1)",
           R"("sku":5,"qty":1,"price_cents":1)", R"("sku":"A","qty":0,"price_cents":1)",
           R"("sku":"A","qty":-2,"price_cents":1)", R"("sku":"A","qty":1001,"price_cents":1)",
           R"("sku":"A","qty":true,"price_cents":1)", R"("sku":"A","qty":1.0,"price_cents":1)",
           R"("sku":"A","qty":1)", R"("sku":"A","qty":1,"price_cents":-1)",
           R"("sku":"A","qty":1,"price_cents":1000000001)",
           R"("sku":"A","qty":1,"price_cents":1e2)"}) {
    EXPECT_FALSE(valid(item(bad))) << bad;
  }
}

TEST(CppServerOrders, NoteIsAStringOfAtMost1000Bytes) {
  const auto with_note = [](const std::string& note) {
    return R"({"customer_id":7,"items":[{"sku":"A","qty":1,"price_cents":1}],"note":)" + note + "}";
  };
  EXPECT_TRUE(valid(with_note(R"("")")));
  EXPECT_TRUE(valid(with_note("\"" + std::string(1000, 'n') + "\"")));
  EXPECT_FALSE(valid(with_note("\"" + std::string(1001, 'n') + "\"")));
  EXPECT_FALSE(valid(with_note("5")));
  EXPECT_FALSE(valid(with_note("[]")));
}

TEST(CppServerOrders, SummaryNamesTheCustomerAndTotalsQtyTimesPrice) {
  const Store store = build_store(1);
  const auto order = order_from_json(
      document(R"({"customer_id":7,"items":[{"sku":"A","qty":2,"price_cents":1250},)"
               R"({"sku":"B","qty":3,"price_cents":5}]})"));
  ASSERT_TRUE(order);
  const OrderSummary summary = summarise_order(*order, store);
  EXPECT_EQ(summary.customer_id, 7);
  EXPECT_EQ(summary.customer_name, "user-7");
  EXPECT_EQ(summary.item_count, 2u);
  EXPECT_EQ(summary.total_cents, 2 * 1250 + 3 * 5);
  EXPECT_EQ(summary_json(summary),
            R"({"customer_id":7,"customer_name":"user-7","item_count":2,"total_cents":2515})");
}

TEST(CppServerOrders, UnknownCustomerIsNull) {
  const Store store = build_store(1);
  const auto order = order_from_json(
      document(R"({"customer_id":1024,"items":[{"sku":"A","qty":1,"price_cents":1}]})"));
  EXPECT_EQ(summary_json(summarise_order(*order, store)),
            R"({"customer_id":1024,"customer_name":null,"item_count":1,"total_cents":1})");
}

TEST(CppServerOrders, LargestTotalFits) {
  std::string text = R"({"customer_id":9223372036854775807,"items":[)";
  for (int i = 0; i < 100; ++i) {
    text += std::string(i ? "," : "") + R"({"sku":"Z","qty":1000,"price_cents":1000000000})";
  }
  const auto order = order_from_json(document(text + "]}"));
  ASSERT_TRUE(order);
  EXPECT_EQ(summary_json(summarise_order(*order, Store{})),
            R"({"customer_id":9223372036854775807,"customer_name":null,"item_count":100,)"
            R"("total_cents":100000000000000})");
}

// RFC 8259 puts no bound on an exponent; Boost.JSON stops at one beyond its counter, and is
// asked again with it shortened (found by the Rust and Go fuzzers: 422 and 200 there).
TEST(CppServerOrders, ExponentsBeyondBoostJsonsCounterAreStillWellFormed) {
  const Store store = build_store(1);
  EXPECT_EQ(check_order(R"({"customer_id":9e23372036854775807,"items":[{"sku":"A","qty":1,)"
                        R"("price_cents":1}]})",
                        store)
                .verdict,
            OrderVerdict::invalid_order);
  const OrderOutcome ignored = check_order(
      R"({"customer_id":0,"items":[{"sku":"e99999999999","qty":1,"price_cents":1}],)"
      R"("x":[1E-99999999999999999999,"1e99999999999"]})",
      store);
  EXPECT_EQ(ignored.verdict, OrderVerdict::accepted);
  EXPECT_EQ(ignored.summary.total_cents, 1);
  // Still malformed when something else is wrong too.
  EXPECT_EQ(check_order(R"({"customer_id":1e99999999999999999999,)", store).verdict,
            OrderVerdict::malformed_json);
}

TEST(CppServerOrders, CheckOrderSaysWhichRuleFailed) {
  const Store store = build_store(1);
  EXPECT_EQ(check_order("{", store).verdict, OrderVerdict::malformed_json);
  EXPECT_EQ(check_order(R"({"customer_id":"x","items":[)", store).verdict,
            OrderVerdict::malformed_json);
  EXPECT_EQ(check_order("[]", store).verdict, OrderVerdict::invalid_order);
  const OrderOutcome accepted = check_order(kOneItem, store);
  EXPECT_EQ(accepted.verdict, OrderVerdict::accepted);
  EXPECT_EQ(accepted.summary.total_cents, 1);
}

TEST(CppServerOrders, OrderSerialisesBackToCompactJson) {
  const std::string text =
      R"({"customer_id":7,"items":[{"sku":"A-1","qty":2,"price_cents":1250}],"note":"..."})";
  const auto order = order_from_json(document(text));
  ASSERT_TRUE(order);
  EXPECT_EQ(boost::json::serialize(boost::json::value_from(*order)), text);
  Order without_note = *order;
  without_note.note.reset();
  EXPECT_EQ(boost::json::serialize(boost::json::value_from(without_note)),
            R"({"customer_id":7,"items":[{"sku":"A-1","qty":2,"price_cents":1250}]})");
}

}  // namespace
}  // namespace cpp_server

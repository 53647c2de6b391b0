// The service workload's orders: POST /orders bodies parsed with Boost.JSON, validated into
// Order and Item structs, and answered from the store. Independent of the server loop, so that
// any C++ server (tuned or stock) gives the same answers. The rules are contract/README.md's.
#pragma once

#include <boost/json/fwd.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cpp_server/store.hpp"

namespace cpp_server {

struct Item {
  std::string sku;
  std::int64_t qty = 0;
  std::int64_t price_cents = 0;
};

struct Order {
  std::int64_t customer_id = 0;
  std::vector<Item> items;
  std::optional<std::string> note;  // absent and null are the same
};

// The 200 answer.
struct OrderSummary {
  std::int64_t customer_id = 0;
  std::optional<std::string_view> customer_name;  // the store record's name; null when absent
  std::size_t item_count = 0;
  std::int64_t total_cents = 0;
};

// The contract's limits and the error answers' bodies (all text/plain; charset=utf-8).
inline constexpr std::size_t max_order_body_bytes = 64 * 1024;
inline constexpr std::size_t max_items = 100;
inline constexpr std::size_t max_sku_bytes = 64;
inline constexpr std::int64_t max_qty = 1000;
inline constexpr std::int64_t max_price_cents = 1'000'000'000;
inline constexpr std::size_t max_note_bytes = 1000;
inline constexpr std::string_view unsupported_media_type_text =
    "Content-Type must be application/json";                                 // 415
inline constexpr std::string_view body_too_large_text = "body over 64 KiB";  // 413
inline constexpr std::string_view malformed_json_text = "malformed JSON";    // 400
inline constexpr std::string_view invalid_order_text = "invalid order";      // 422

// Rule 2: the media type (the value up to the first ';', spaces and tabs trimmed) is
// application/json, ignoring ASCII case; parameters are ignored.
bool is_json_media_type(std::string_view content_type);

// Rule 4: exactly one JSON document (RFC 8259, valid UTF-8, whitespace around it allowed,
// nothing after it). Sets ec on any syntax error; an empty text is one. The tree's memory comes
// from `storage` (the default resource when null).
boost::json::value parse_json_document(std::string_view text, boost::system::error_code& ec,
                                       boost::json::storage_ptr storage = {});

// Rule 5: the document as an Order, or nullopt when its shape or a value is wrong (422).
// Integers are JSON numbers without fraction or exponent (Boost.JSON's int64 and uint64 kinds,
// never double); lengths are in bytes. Members other than the order's are ignored.
std::optional<Order> order_from_json(const boost::json::value& document);

// Rule 6: the answer for a valid order.
OrderSummary summarise_order(const Order& order, const Store& store);

enum class OrderVerdict { accepted, malformed_json, invalid_order };

struct OrderOutcome {
  OrderVerdict verdict = OrderVerdict::malformed_json;
  OrderSummary summary;  // when accepted
};

// Rules 4 to 6 for a body that passed rules 1 to 3 (method, media type, size).
OrderOutcome check_order(std::string_view body, const Store& store,
                         boost::json::storage_ptr storage = {});

// Boost.JSON conversions, found by argument-dependent lookup from boost::json::value_from.
// OrderSummary: {"customer_id":..,"customer_name":..|null,"item_count":..,"total_cents":..}.
// Order and Item: the order back as JSON, note omitted when absent.
void tag_invoke(boost::json::value_from_tag, boost::json::value& json, const OrderSummary& summary);
void tag_invoke(boost::json::value_from_tag, boost::json::value& json, const Item& item);
void tag_invoke(boost::json::value_from_tag, boost::json::value& json, const Order& order);

// The summary's JSON text (what POST /orders answers with 200), serialised with Boost.JSON.
std::string summary_json(const OrderSummary& summary);

}  // namespace cpp_server

// libFuzzer target for the order parser (orders.hpp): check_order on arbitrary bytes never
// throws, and its verdict agrees with what the body is. Malformed JSON exactly when Boost.JSON's
// strict parse fails; a 200 answer's summary serialises to JSON that re-parses to the same four
// members, with the item count and total worked again from the document itself.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_to.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "cpp_server/orders.hpp"
#include "cpp_server/store.hpp"

namespace {

namespace json = boost::json;
using namespace cpp_server;

void check(bool condition, const char* what, std::string_view body) {
  if (condition) return;
  std::fprintf(stderr, "orders_fuzz: %s\nbody: %.*s\n", what, static_cast<int>(body.size()),
               body.data());
  std::abort();
}

const Store& store() {
  static const Store the_store = build_store(1);
  return the_store;
}

void check_accepted(std::string_view body, const OrderSummary& summary) {
  const std::string answer = summary_json(summary);
  boost::system::error_code ec;
  const json::value reparsed = json::parse(answer, ec);
  check(!ec, "the 200 answer must re-parse as JSON", body);
  const json::object* object = reparsed.if_object();
  check(object != nullptr && object->size() == 4, "the 200 answer is an object of 4 members", body);
  check(object->contains("customer_id") && object->contains("customer_name") &&
            object->contains("item_count") && object->contains("total_cents"),
        "the 200 answer names customer_id, customer_name, item_count, total_cents", body);
  check(json::value_to<std::int64_t>(object->at("customer_id")) == summary.customer_id,
        "customer_id round-trips", body);

  // The figures again, from the request document (parse_json_document accepted it).
  const json::value document = parse_json_document(body, ec);
  check(!ec, "an accepted body is one JSON document", body);
  const json::array& items = document.as_object().at("items").as_array();
  check(items.size() >= 1 && items.size() <= max_items, "1..100 items", body);
  std::int64_t total = 0;
  for (const json::value& item : items) {
    total += item.at("qty").to_number<std::int64_t>() *
             item.at("price_cents").to_number<std::int64_t>();
  }
  check(summary.item_count == items.size(), "item_count is the number of items", body);
  check(summary.total_cents == total && total >= 0 && total <= 100'000'000'000'000,
        "total_cents is the sum of qty * price_cents, at most 10^14", body);
  const std::uint64_t id = static_cast<std::uint64_t>(summary.customer_id);
  const bool in_store = id < store().size();
  check(summary.customer_name.has_value() == in_store, "customer_name is null off the store",
        body);
  if (in_store) {
    check(object->at("customer_name") == json::value("user-" + std::to_string(id)),
          "customer_name is user-<id>", body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  try {
    const OrderOutcome outcome = check_order(body, store());
    boost::system::error_code ec;
    json::parse(json::string_view(body.data(), body.size()), ec);
    check((outcome.verdict == OrderVerdict::malformed_json) == static_cast<bool>(ec),
          "400 exactly when the body is not one JSON document", body);
    if (outcome.verdict == OrderVerdict::accepted) check_accepted(body, outcome.summary);
    // The media-type rule on the same bytes: it must not read past them.
    if (is_json_media_type(body)) {
      check(body.size() >= 16, "application/json needs at least 16 bytes", body);
    }
  } catch (const std::exception& e) {
    check(false, e.what(), body);
  } catch (...) {
    check(false, "check_order threw something", body);
  }
  return 0;
}

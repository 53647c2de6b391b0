#include "cpp_server/service_routes.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <memory>

#include "cpp_server/orders.hpp"

namespace cpp_server {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

// A parsed order's tree lives in a per-thread arena: json::parse then takes nothing from the
// heap for an ordinary order (order-100's tree is about 20 KiB). A larger tree (a 64 KiB body
// of one long string) spills over to the heap for that request only.
constexpr std::size_t kOrderArenaBytes = 64 * 1024;

unsigned char* order_arena() {
  thread_local const std::unique_ptr<unsigned char[]> arena(new unsigned char[kOrderArenaBytes]);
  return arena.get();
}

}  // namespace

void append_user_record_response(std::string& out, Framing framing, const Store& store,
                                 std::uint64_t id) {
  const Record* record = find_record(store, id);
  if (record == nullptr) {
    append_text_response(out, framing, http::status::not_found, "Not Found");
    return;
  }
  // The tree (14 members, an 800-byte bio copied in: about 1.8 KiB) lives on the stack.
  unsigned char tree_storage[4096];
  json::monotonic_resource resource(tree_storage, sizeof tree_storage);
  append_json_response(out, framing, json::value_from(*record, &resource));
}

void append_order_response(std::string& out, Framing framing, const Store& store,
                           const OrderRequest& request) {
  if (!request.content_type || !is_json_media_type(*request.content_type)) {
    append_text_response(out, framing, http::status::unsupported_media_type,
                         unsupported_media_type_text);
    return;
  }
  if (request.body_over_limit || request.body.size() > max_order_body_bytes) {
    append_text_response(out, framing, http::status::payload_too_large, body_too_large_text);
    return;
  }
  OrderOutcome outcome;
  {
    json::monotonic_resource resource(order_arena(), kOrderArenaBytes);
    outcome = check_order(request.body, store, &resource);
  }  // the tree is gone before the arena is reused
  switch (outcome.verdict) {
    case OrderVerdict::malformed_json:
      append_text_response(out, framing, http::status::bad_request, malformed_json_text);
      return;
    case OrderVerdict::invalid_order:
      append_text_response(out, framing, http::status::unprocessable_entity, invalid_order_text);
      return;
    case OrderVerdict::accepted: {
      unsigned char tree_storage[1024];
      json::monotonic_resource resource(tree_storage, sizeof tree_storage);
      append_json_response(out, framing, json::value_from(outcome.summary, &resource));
      return;
    }
  }
}

}  // namespace cpp_server

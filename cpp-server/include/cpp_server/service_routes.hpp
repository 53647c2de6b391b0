// The answers of the service routes, GET /users/{id} and POST /orders, written the way the
// hello routes are (routes.hpp): straight into the connection's output buffer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cpp_server/routes.hpp"
#include "cpp_server/store.hpp"

namespace cpp_server {

// GET /users/{id} with a well-formed id: 200 and the record's JSON, or 404 `Not Found` when id
// is not below the store's size. Allocates nothing: the JSON tree is built on the stack.
void append_user_record_response(std::string& out, Framing framing, const Store& store,
                                 std::uint64_t id);

// What POST /orders needs of its request (the method is already known to be POST).
struct OrderRequest {
  std::optional<std::string_view> content_type;  // the Content-Type value, if any
  std::string_view body;                         // empty when body_over_limit
  bool body_over_limit = false;                  // more than max_order_body_bytes arrived
};

// POST /orders, checked in the contract's order: media type (415), size (413), syntax (400),
// shape (422), then 200 with the summary. Every error is text/plain and keeps the connection.
void append_order_response(std::string& out, Framing framing, const Store& store,
                           const OrderRequest& request);

}  // namespace cpp_server

// libFuzzer target for the order parser (orders.hpp): check_order on arbitrary bytes never
// throws, and its verdict agrees with what the body is. Malformed JSON exactly when Boost.JSON's
// strict parse fails (or, where Boost.JSON stops at an exponent beyond its counter, where the
// grammar check below fails); a 200 answer's summary serialises to JSON that re-parses to the same four
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

// An RFC 8259 grammar check written apart from the server's code, for the one error the server
// works around (Boost.JSON stops at an exponent beyond its counter; the grammar has no bound).
// It holds Boost.JSON's other limits too: nesting depth 32, UTF-8 validated, \\u escapes paired.
class Grammar {
 public:
  explicit Grammar(std::string_view text) : s_(text) {}
  bool document() {
    space();
    if (!value(0)) return false;
    space();
    return i_ == s_.size();
  }

 private:
  bool more() const { return i_ < s_.size(); }
  char peek() const { return more() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (peek() != c || !more()) return false;
    ++i_;
    return true;
  }
  bool word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  void space() {
    while (more() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  static bool digit(char c) { return c >= '0' && c <= '9'; }
  bool digits() {
    const std::size_t from = i_;
    while (more() && digit(s_[i_])) ++i_;
    return i_ > from;
  }
  bool number() {
    eat('-');
    if (eat('0')) {
      if (digit(peek())) return true;  // "01": the document check fails at the next digit
    } else if (!digits()) {
      return false;
    }
    if (eat('.') && !digits()) return false;
    if (eat('e') || eat('E')) {
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    return true;
  }
  int hex4() {
    int v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = peek();
      int d = -1;
      if (digit(c)) d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) return -1;
      ++i_;
      v = v * 16 + d;
    }
    return v;
  }
  bool utf8() {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s_[i_ + k]); };
    const unsigned char c = b(0);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) n = 1, cp = c & 0x1Fu;
    else if (c >= 0xE0 && c <= 0xEF) n = 2, cp = c & 0x0Fu;
    else if (c >= 0xF0 && c <= 0xF4) n = 3, cp = c & 0x07u;
    else return false;
    if (i_ + n >= s_.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((b(k) & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (b(k) & 0x3Fu);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i_ += n + 1;
    return true;
  }
  bool string() {
    if (!eat('"')) return false;
    while (more()) {
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c >= 0x80) {
        if (!utf8()) return false;
        continue;
      }
      ++i_;
      if (c != '\\') continue;
      const char e = peek();
      if (std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos && more()) {
        ++i_;
        continue;
      }
      if (!eat('u')) return false;
      const int u = hex4();
      if (u < 0 || (u >= 0xDC00 && u <= 0xDFFF)) return false;
      if (u >= 0xD800 && u <= 0xDBFF) {
        if (!word("\\u")) return false;
        const int low = hex4();
        if (low < 0xDC00 || low > 0xDFFF) return false;
      }
    }
    return false;
  }
  bool value(int depth) {
    switch (peek()) {
      case '{': {
        if (depth == 32) return false;
        ++i_;
        space();
        if (eat('}')) return true;
        do {
          space();
          if (!string()) return false;
          space();
          if (!eat(':')) return false;
          space();
          if (!value(depth + 1)) return false;
          space();
        } while (eat(','));
        return eat('}');
      }
      case '[': {
        if (depth == 32) return false;
        ++i_;
        space();
        if (eat(']')) return true;
        do {
          space();
          if (!value(depth + 1)) return false;
          space();
        } while (eat(','));
        return eat(']');
      }
      case '"': return string();
      case 't': return word("true");
      case 'f': return word("false");
      case 'n': return word("null");
      default: return number();
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

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
    const bool malformed =
        ec == json::error::exponent_overflow ? !Grammar(body).document() : static_cast<bool>(ec);
    check((outcome.verdict == OrderVerdict::malformed_json) == malformed,
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

// The request parser: Beast's basic_parser, keeping only what the server uses.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

namespace cpp_server {

// What the server keeps of a request besides method and version. Owned by the connection and
// cleared (not freed) between requests, so that its strings' capacity is reused.
struct RequestParts {
  std::string target;
  // POST only: the first Content-Type value, and the body up to the parser's keep limit.
  bool has_content_type = false;
  std::string content_type;
  std::string body;
  bool body_over_keep_limit = false;  // the body was (or was declared) longer: `body` is empty

  void clear() {
    target.clear();
    has_content_type = false;
    content_type.clear();
    body.clear();
    body_over_keep_limit = false;
  }
};

// A Beast parser that keeps only what routing and the service routes need (method, target,
// version; for POST also Content-Type and the body up to `body_keep_limit` bytes; Beast itself
// tracks keep-alive and the body framing) and discards everything else as it arrives. Beast's
// request_parser would store every header field in a basic_fields (an allocation per field),
// and a whole body of up to its body limit.
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  RequestParser(RequestParts& parts, std::size_t body_keep_limit)
      : parts_(parts), body_keep_limit_(body_keep_limit) {}

  boost::beast::http::verb method() const { return method_; }
  unsigned version() const { return version_; }

 private:
  void on_request_impl(boost::beast::http::verb method, boost::beast::string_view,
                       boost::beast::string_view target, int version,
                       boost::system::error_code& ec) override {
    // Beast reads any HTTP/d.d; only 1.0 and 1.1 are spoken here.
    if (version != 10 && version != 11) {
      ec = boost::beast::http::error::bad_version;
      return;
    }
    method_ = method;
    version_ = static_cast<unsigned>(version);
    parts_.target.assign(target.data(), target.size());
    keep_body_ = method == boost::beast::http::verb::post;
  }
  void on_response_impl(int, boost::beast::string_view, int,
                        boost::system::error_code& ec) override {
    ec = boost::beast::http::error::bad_version;  // unreachable for a request parser
  }
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view,
                     boost::beast::string_view value, boost::system::error_code&) override {
    if (name == boost::beast::http::field::host) ++hosts_;
    if (keep_body_ && name == boost::beast::http::field::content_type && !parts_.has_content_type) {
      parts_.has_content_type = true;
      parts_.content_type.assign(value.data(), value.size());
    }
  }
  // RFC 9112 3.2: an HTTP/1.1 request without Host, or any request with more than one, is 400.
  void on_header_impl(boost::system::error_code& ec) override {
    if (hosts_ > 1 || (version_ == 11 && hosts_ == 0)) ec = boost::beast::http::error::bad_value;
  }
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::system::error_code&) override {
    if (!keep_body_ || !content_length) return;
    if (*content_length > body_keep_limit_) {
      parts_.body_over_keep_limit = true;  // read and discarded from the start
    } else {
      parts_.body.reserve(static_cast<std::size_t>(*content_length));
    }
  }
  std::size_t on_body_impl(boost::beast::string_view body, boost::system::error_code&) override {
    keep(body);
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::system::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                 boost::system::error_code&) override {
    keep(body);
    return body.size();
  }
  void on_finish_impl(boost::system::error_code&) override {}

  void keep(boost::beast::string_view bytes) {
    if (!keep_body_ || parts_.body_over_keep_limit) return;
    if (bytes.size() > body_keep_limit_ - parts_.body.size()) {
      parts_.body_over_keep_limit = true;  // the rest is discarded as it arrives
      parts_.body.clear();
      return;
    }
    parts_.body.append(bytes.data(), bytes.size());
  }

  RequestParts& parts_;
  const std::size_t body_keep_limit_;
  boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
  unsigned version_ = 11;
  unsigned hosts_ = 0;  // Host fields seen
  bool keep_body_ = false;
};

}  // namespace cpp_server

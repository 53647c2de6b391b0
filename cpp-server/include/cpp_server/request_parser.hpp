// The request parser: Beast's basic_parser, keeping only what the server uses.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <string>

namespace cpp_server {

// A Beast parser that keeps only what routing needs (method, target, version; Beast itself
// tracks keep-alive and the body framing) and discards body bytes as they arrive. Beast's
// request_parser would also store every header field in a basic_fields, which the server never
// reads.
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  // `target` is owned by the connection so that its capacity is reused request after request.
  explicit RequestParser(std::string& target) : target_(target) {}

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
    target_.assign(target.data(), target.size());
  }
  void on_response_impl(int, boost::beast::string_view, int,
                        boost::system::error_code& ec) override {
    ec = boost::beast::http::error::bad_version;  // unreachable for a request parser
  }
  void on_field_impl(boost::beast::http::field, boost::beast::string_view,
                     boost::beast::string_view, boost::system::error_code&) override {}
  void on_header_impl(boost::system::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::system::error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view body, boost::system::error_code&) override {
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::system::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                 boost::system::error_code&) override {
    return body.size();
  }
  void on_finish_impl(boost::system::error_code&) override {}

  std::string& target_;
  boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
  unsigned version_ = 11;
};

}  // namespace cpp_server

#include "loadgen/url.hpp"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace loadgen {

Url parse_url(std::string_view text) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos)
    throw std::invalid_argument(
        fmt::format("'{}' is not a URL such as http://127.0.0.1:8080/", text));
  const std::string_view scheme = text.substr(0, scheme_end);
  if (scheme != "http")
    throw std::invalid_argument(fmt::format("scheme '{}' is not supported (only http)", scheme));
  std::string_view rest = text.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view target = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (const auto fragment = target.find('#'); fragment != std::string_view::npos)
    target = target.substr(0, fragment);  // fragments never go on the wire

  if (authority.find('@') != std::string_view::npos)
    throw std::invalid_argument("user information in the URL is not supported");

  Url url;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      throw std::invalid_argument(fmt::format("'{}' has an unclosed '[' in its host", text));
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        throw std::invalid_argument(fmt::format("'{}' has junk after the IPv6 address", text));
      port_text = after.substr(1);
      if (port_text.empty())
        throw std::invalid_argument(fmt::format("'{}' has an empty port", text));
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty())
        throw std::invalid_argument(fmt::format("'{}' has an empty port", text));
    }
  }
  if (url.host.empty()) throw std::invalid_argument(fmt::format("'{}' has no host", text));

  if (!port_text.empty()) {
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 ||
        port > 65535)
      throw std::invalid_argument(fmt::format("port '{}' is not a number in 1..65535", port_text));
    url.port = static_cast<std::uint16_t>(port);
  }

  // A query without a path still needs the "/" in the request line.
  url.target.clear();
  if (target.empty() || target.front() == '?') url.target.push_back('/');
  url.target.append(target);
  const bool ipv6 = url.host.find(':') != std::string::npos;
  url.host_header = ipv6 ? "[" + url.host + "]" : url.host;
  if (url.port != 80) url.host_header += fmt::format(":{}", url.port);
  return url;
}

}  // namespace loadgen

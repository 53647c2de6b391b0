// The target URL: http only (hellobench measures plain HTTP/1.1), host as a name, an IPv4
// address or a bracketed IPv6 address.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

struct Url {
  std::string host;  // without brackets: "127.0.0.1", "::1", "localhost"
  std::uint16_t port = 80;
  std::string target = "/";  // path and query, as sent in the request line
  std::string host_header;   // "127.0.0.1:8080", "[::1]:8080" (port omitted when 80)
};

// Throws std::invalid_argument naming what is wrong ("scheme 'https' is not supported", ...).
Url parse_url(std::string_view text);

}  // namespace loadgen

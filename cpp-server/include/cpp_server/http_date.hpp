// The Date header: RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace cpp_server {

// IMF-fixdate for a point in time, in seconds since the Unix epoch.
std::string format_http_date(std::time_t seconds_since_epoch);

// The Date value for the current second. Formatted at most once per second per thread (a
// thread_local cache), so the hot path pays only for a coarse clock read. The view stays valid
// until the same thread calls this again.
std::string_view current_http_date();

}  // namespace cpp_server

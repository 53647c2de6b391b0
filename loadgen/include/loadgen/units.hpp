// Parsing of the command line's quantities, as wrk's units.c does: durations ("10s", "500ms")
// and counts with an SI suffix ("10k"). Each throws std::invalid_argument with a message that
// says what was expected; the caller adds the flag's name.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace loadgen {

// "250us", "500ms", "10s", "1.5s", "2m", "1h"; a bare number is seconds (as in wrk).
// Must be >= 0.
std::chrono::nanoseconds parse_duration(std::string_view text);

// "10000", "10k", "1.5k", "2M", "1G" (powers of 1000). Must be > 0.
double parse_rate(std::string_view text);

// "0.01", "1%", "0" : a fraction in [0, 1].
double parse_fraction(std::string_view text);

// "12.3ms", "45us", "2.00s": a readable form for reports.
std::string format_duration_us(double microseconds);

}  // namespace loadgen

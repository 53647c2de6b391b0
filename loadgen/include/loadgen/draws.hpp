// Where each request's random values come from: counter-based, so the value of a draw is a
// pure function of (seed, stream, name, index) and never of timing or completion order. The
// n-th request of a stream gets the same target and the same placeholder values against any
// server, however fast. Streams: open loop, one per thread (indexed by the request's position
// in the thread's due-time schedule); closed loop, one per connection (indexed by its count of
// requests). The mixing function is SplitMix64's (Steele, Lea and Flood 2014), whose output
// at counter n passes BigCrush; draws::bits(key, n) is SplitMix64's n-th output from state key.
#pragma once

#include <cstdint>
#include <string_view>

namespace loadgen::draws {

// --seed when none is given: a fixed constant, so that runs are repeatable by default.
inline constexpr std::uint64_t kDefaultSeed = 1;

inline constexpr std::uint64_t kGamma = 0x9e3779b97f4a7c15;

constexpr std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

enum class StreamKind : std::uint64_t {
  thread = 0x7468726561640000,      // "thread"
  connection = 0x636f6e6e00000000,  // "conn"
};

// The key of one stream: (seed, thread 2) or (seed, connection 17).
constexpr std::uint64_t stream_key(std::uint64_t seed, StreamKind kind, std::uint64_t index) {
  return mix(mix(seed ^ static_cast<std::uint64_t>(kind)) + (index + 1) * kGamma);
}

// The key of one named draw within a stream: a variable's name, or kTargetChoice. Keyed by
// name, so that adding a variable does not change the values of the others.
constexpr std::uint64_t name_key(std::uint64_t stream, std::string_view name) {
  std::uint64_t hash = 0xcbf29ce484222325;  // FNV-1a
  for (const char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3;
  return mix(stream ^ mix(hash));
}

// The name under which the target of each request is drawn (no variable can be called so).
inline constexpr std::string_view kTargetChoice = "\x01target";

// The random bits of draw n (n = 0, 1, 2, ...) under a key.
constexpr std::uint64_t bits(std::uint64_t key, std::uint64_t n) {
  return mix(key + (n + 1) * kGamma);
}

// 53 random bits as a double in [0, 1).
constexpr double unit_interval(std::uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1p-53;
}

}  // namespace loadgen::draws

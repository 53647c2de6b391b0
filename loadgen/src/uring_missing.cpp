// Built instead of uring_loop.cpp when liburing is missing: the epoll engine only.
#include <stdexcept>

#include "event_loop.hpp"
#include "loadgen/engine.hpp"

namespace loadgen {

std::string uring_unavailable_reason() {
  return "loadgen was built without liburing (Debian: liburing-dev)";
}

namespace detail {

std::unique_ptr<EventLoop> make_uring_loop(const LoopSetup&, LoopEvents&) {
  throw std::runtime_error(uring_unavailable_reason());
}

}  // namespace detail
}  // namespace loadgen

#include "output/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

namespace hellobench {

Progress::Progress(std::FILE* out) : Progress(out, ::isatty(::fileno(out)) == 1) {}

Progress::Progress(std::FILE* out, bool live) : out_(out), live_(live) {}

std::string Progress::format_duration(double seconds) {
  const long total = std::lround(std::max(0.0, seconds));
  if (total < 60) return fmt::format("{}s", total);
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}h{:02}m", total / 3600, total % 3600 / 60);
}

void Progress::begin(const std::string& phase, int items, double estimate_seconds_per_item) {
  end();
  phase_ = phase;
  items_ = items;
  current_ = 0;
  estimate_ = estimate_seconds_per_item;
  phase_start_ = std::chrono::steady_clock::now();
  if (!live_) {
    fmt::print(out_, "hellobench: {} ({} steps)\n", phase, items);
    std::fflush(out_);
  }
}

void Progress::step(int k, const std::string& what) {
  current_ = k;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - phase_start_).count();
  const int finished = k - 1;
  const double per_item = finished > 0 ? elapsed / finished : estimate_;
  const double eta = per_item * (items_ - finished);
  const std::string eta_text = per_item > 0 ? "ETA " + format_duration(eta) : "ETA ?";
  const std::string line = fmt::format("{} {}/{}: {}  {}", phase_, k, items_, what, eta_text);
  if (live_) {
    draw(line);
  } else {
    fmt::print(out_, "hellobench: {}\n", line);
    std::fflush(out_);
  }
}

void Progress::note(const std::string& message) {
  if (live_ && drawn_) fmt::print(out_, "\r\033[K");
  fmt::print(out_, "hellobench: {}\n", message);
  drawn_ = false;
  std::fflush(out_);
}

void Progress::end() {
  if (live_ && drawn_) {
    fmt::print(out_, "\r\033[K");
    std::fflush(out_);
  }
  drawn_ = false;
}

void Progress::draw(const std::string& line) {
  // Clip to 99 columns so the line never wraps (a wrapped line cannot be redrawn with '\r').
  fmt::print(out_, "\r\033[K{}", line.substr(0, 99));
  std::fflush(out_);
  drawn_ = true;
}

}  // namespace hellobench

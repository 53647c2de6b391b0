// Progress on stderr: on a terminal one live line (phase, item k of n, ETA) rewritten in
// place; otherwise (CI logs, pipes) one plain line per step. stdout stays for the summary.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace hellobench {

class Progress {
 public:
  // live: rewrite one line with '\r'; default: whether stderr is a terminal.
  explicit Progress(std::FILE* out = stderr);
  Progress(std::FILE* out, bool live);

  // A new phase ("builds", "verify", "trials") with n items; estimate: seconds per item until
  // the first one has finished (then the measured mean is used).
  void begin(const std::string& phase, int items, double estimate_seconds_per_item = 0);
  // Item k (1-based) of the current phase starts; what: "go hello r2".
  void step(int k, const std::string& what);
  // A message that must stay on screen (a failure, a skipped scenario).
  void note(const std::string& message);
  void end();

  // "1m05s", "42s": the ETA format.
  static std::string format_duration(double seconds);

 private:
  void draw(const std::string& line);
  std::FILE* out_;
  bool live_;
  bool drawn_ = false;
  std::string phase_;
  int items_ = 0;
  int current_ = 0;
  double estimate_ = 0;
  std::chrono::steady_clock::time_point phase_start_;
};

}  // namespace hellobench

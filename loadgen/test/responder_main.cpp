// The test responders as a program, to reproduce by hand what the tests measure:
//   loadgen-responder --delay 2ms
//   loadgen-responder --freeze-period 1s --freeze-phase 300ms --freeze-length 300ms
//   loadgen-responder --never-answer | --close-every 5 [--abrupt] | --garbage | --chunked
// Prints "listening on ADDR:PORT" (--bind ADDR, default 127.0.0.1); stops after --lifetime
// (default 60s) or on SIGINT/SIGTERM.
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "loadgen/units.hpp"
#include "responders.hpp"

namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"loadgen's test responders as a program"};
  std::string delay = "0", period = "0", phase = "0", length = "0", lifetime = "60s";
  loadgen::test::Behaviour b;
  app.add_option("--delay", delay, "Answer this long after each request arrives");
  app.add_option("--freeze-period", period, "Freeze once per this period");
  app.add_option("--freeze-phase", phase, "Freeze this far into each period");
  app.add_option("--freeze-length", length, "Freeze this long");
  app.add_flag("--never-answer", b.never_answer, "Read requests, answer none");
  app.add_option("--close-every", b.close_every, "Close after every Nth answer on a connection");
  app.add_flag("--abrupt", b.close_abruptly, "Close without announcing Connection: close");
  app.add_flag("--garbage", b.garbage, "Answer with bytes that are not HTTP");
  app.add_flag("--chunked", b.chunked, "Send bodies with Transfer-Encoding: chunked");
  app.add_option("--status-line", b.status_line, "Status line of every answer");
  app.add_option("--io-wait-factor", b.io_wait_factor,
                 "GET /io?ms=N answers after N ms times this (default 1; below 1: early)");
  app.add_option("--lifetime", lifetime, "Stop after this long");
  app.add_option("--bind", b.bind_address, "Listen on this IPv4 address (default 127.0.0.1)");
  CLI11_PARSE(app, argc, argv);
  try {
    using std::chrono::duration_cast;
    b.delay = duration_cast<std::chrono::microseconds>(loadgen::parse_duration(delay));
    b.freeze_period = duration_cast<std::chrono::milliseconds>(loadgen::parse_duration(period));
    b.freeze_phase = duration_cast<std::chrono::milliseconds>(loadgen::parse_duration(phase));
    b.freeze_length = duration_cast<std::chrono::milliseconds>(loadgen::parse_duration(length));
    const auto end = std::chrono::steady_clock::now() + loadgen::parse_duration(lifetime);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    loadgen::test::Responder responder(b);
    std::printf("listening on %s:%u\n", b.bind_address.c_str(), responder.port());
    std::fflush(stdout);
    while (!g_stop && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::fprintf(stderr, "requests %lu, answers %lu, connections %lu, closes %lu\n",
                 static_cast<unsigned long>(responder.requests_received()),
                 static_cast<unsigned long>(responder.answers_sent()),
                 static_cast<unsigned long>(responder.connections_accepted()),
                 static_cast<unsigned long>(responder.closes()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loadgen-responder: %s\n", e.what());
    return 2;
  }
  return 0;
}

#include "loadgen/engine.hpp"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <thread>

#include "worker.hpp"

namespace loadgen {

void ErrorCounts::add(const ErrorCounts& other) {
  connect += other.connect;
  read += other.read;
  write += other.write;
  timeout += other.timeout;
  parse += other.parse;
  status_4xx += other.status_4xx;
  status_5xx += other.status_5xx;
}

Histogram make_latency_histogram() {
  return Histogram(1, std::int64_t{3600} * 1000 * 1000 * 1000, 3);
}

double RunResult::error_rate() const {
  const double attempts = static_cast<double>(requests + errors.transport());
  if (attempts == 0) return 0;
  return static_cast<double>(errors.total()) / attempts;
}

int effective_threads(const Options& options) {
  int threads = options.threads;
  if (threads <= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    threads = sched_getaffinity(0, sizeof set, &set) == 0
                  ? CPU_COUNT(&set)
                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  return std::clamp(threads, 1, options.connections);
}

std::vector<int> spread_connections(int connections, int threads) {
  std::vector<int> spread(static_cast<std::size_t>(threads), connections / threads);
  for (int i = 0; i < connections % threads; ++i) ++spread[static_cast<std::size_t>(i)];
  return spread;
}

RunResult run(const Options& options, const RunHooks& hooks) {
  namespace asio = boost::asio;
  using detail::Clock;

  std::vector<asio::ip::tcp::endpoint> endpoints;
  {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto results = resolver.resolve(options.url.host, std::to_string(options.url.port),
                                    asio::ip::tcp::resolver::numeric_service, ec);
    if (ec)
      throw RunError(
          fmt::format("URL: cannot resolve host '{}': {}", options.url.host, ec.message()));
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    if (endpoints.empty())
      throw RunError(fmt::format("URL: host '{}' has no address", options.url.host));
  }

  const int threads = effective_threads(options);
  const auto spread = spread_connections(options.connections, threads);
  const auto requests = std::make_shared<const RequestSet>(build_request_set(options));

  std::vector<std::unique_ptr<detail::Worker>> workers;
  int first_connection = 0;
  for (int i = 0; i < threads; ++i) {
    detail::WorkerSetup setup;
    setup.endpoints = endpoints;
    setup.requests = requests;
    setup.seed = options.seed;
    setup.index = i;
    setup.first_connection = first_connection;
    setup.connections = spread[static_cast<std::size_t>(i)];
    first_connection += setup.connections;
    setup.pipeline = options.pipeline;
    if (options.rate) {
      // Each thread offers its connections' share of the rate, and the threads' schedules are
      // staggered so that together they are evenly spaced.
      const double share = static_cast<double>(setup.connections) / options.connections;
      setup.rate = *options.rate * share;
      setup.schedule_offset = std::chrono::nanoseconds(std::llround(1e9 / *options.rate * i));
    }
    setup.timeout = options.timeout;
    setup.stop = hooks.stop;
    workers.push_back(std::make_unique<detail::Worker>(std::move(setup)));
  }

  // The clock starts once everything is built; then only thread start-up and the connects
  // stand between the first due time and the first send.
  const auto start = Clock::now();
  const auto measure_start = start + options.warmup;
  const auto window_end = measure_start + options.duration;
  for (auto& worker : workers) worker->set_timeline(start, measure_start, window_end);

  std::atomic<int> running{threads};
  std::vector<std::thread> pool;
  for (auto& worker : workers)
    pool.emplace_back([&running, w = worker.get()] {
      w->run();
      running.fetch_sub(1);
    });

  auto next_progress = Clock::now() + std::chrono::seconds(1);
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (hooks.progress && Clock::now() >= next_progress) {
      next_progress += std::chrono::seconds(1);
      Progress progress;
      for (auto& worker : workers) {
        progress.requests += worker->live_requests.load(std::memory_order_relaxed);
        progress.errors += worker->live_errors.load(std::memory_order_relaxed);
      }
      progress.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
      hooks.progress(progress);
    }
  }
  for (auto& thread : pool) thread.join();

  RunResult result;
  result.connections = options.connections;
  result.threads = threads;
  result.connections_per_thread = spread;
  result.offered_rate = options.rate;
  result.has_overhead = std::any_of(requests->targets.begin(), requests->targets.end(),
                                    [](const CompiledTarget& t) { return t.uses_wait; });
  if (requests->from_targets_file)
    for (const auto& target : requests->targets) {
      TargetResult& r = result.targets.emplace_back();
      r.name = target.target.name;
      r.weight = target.target.weight;
      r.method = target.target.method;
      r.path = target.target.path;
      r.has_overhead = target.uses_wait;
    }
  auto closed_at = measure_start;
  for (auto& worker : workers) {
    result.requests += worker->requests;
    result.latency_ns.add(worker->latency_ns);
    result.overhead_ns.add(worker->overhead_ns);
    result.overhead_clamped += worker->overhead_clamped;
    for (std::size_t t = 0; t < result.targets.size(); ++t) {
      TargetResult& total = result.targets[t];
      const TargetResult& part = worker->target_stats[t];
      total.requests += part.requests;
      total.errors.add(part.errors);
      total.latency_ns.add(part.latency_ns);
      total.overhead_ns.add(part.overhead_ns);
      total.overhead_clamped += part.overhead_clamped;
    }
    result.late_by_ns.add(worker->late_by_ns);
    result.errors.add(worker->errors);
    result.reconnects += worker->reconnects;
    result.late_sends += worker->late_sends;
    result.unsent += worker->unsent;
    result.bytes_read += worker->bytes_read;
    result.connects += worker->connects;
    result.connect_failures += worker->connect_failures;
    closed_at = std::max(closed_at, worker->window_closed_at);
  }
  result.duration_s = std::chrono::duration<double>(closed_at - measure_start).count();
  result.rps = result.duration_s > 0 ? static_cast<double>(result.requests) / result.duration_s : 0;
  return result;
}

}  // namespace loadgen

#include "loadgen/engine.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <cmath>
#include <exception>
#include <latch>
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

namespace {

struct EngineChoice {
  Engine engine = Engine::epoll;
  std::string fallback;  // why not io_uring, when it was the default and cannot run
};

EngineChoice choose_engine(const Options& options) {
  if (options.engine == Engine::epoll) return {Engine::epoll, {}};
  const std::string reason = uring_unavailable_reason();
  if (reason.empty()) return {Engine::uring, {}};
  if (options.engine == Engine::uring)
    throw RunError(fmt::format("--engine uring: io_uring cannot run here: {}", reason));
  return {Engine::epoll, "io_uring cannot run here: " + reason};
}

std::string this_host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

double wall_clock_seconds() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Sleeps until `at` (Unix epoch seconds, the wall clock that the hosts' NTP keeps in step),
// waking every 50 ms to notice the stop flag; returns how late it woke, in seconds (negative
// never: 0 when the moment had not come). A moment already past returns at once.
double wait_until_wall_clock(double at, const std::atomic<bool>* stop) {
  for (;;) {
    const double now = wall_clock_seconds();
    if (now >= at || (stop && stop->load())) return std::max(0.0, now - at);
    const double step = std::min(at - now, 0.05);
    timespec wake{};
    const double target = now + step;
    wake.tv_sec = static_cast<time_t>(target);
    wake.tv_nsec = static_cast<long>((target - static_cast<double>(wake.tv_sec)) * 1e9);
    clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &wake, nullptr);
  }
}

// The worker threads of a run. Each builds its event loop (an io_uring ring belongs to the
// thread that made it), then waits for the start, runs, and counts itself out.
struct Crew {
  std::vector<std::unique_ptr<detail::Worker>> workers;
  std::unique_ptr<std::latch> prepared;
  std::atomic<bool> go{false};
  std::atomic<bool> abandon{false};  // a loop could not be built: nobody runs
  std::atomic<int> running{0};
  std::vector<std::exception_ptr> failures;
  std::vector<std::thread> pool;

  ~Crew() {  // on the way out of an error: nobody starts, everybody is waited for
    abandon = true;
    release();
    join();
  }
  void release() {
    go = true;
    go.notify_all();
  }
  void join() {
    for (auto& thread : pool)
      if (thread.joinable()) thread.join();
  }
  // The first worker's failure, or empty.
  std::string first_failure() const {
    for (const auto& failure : failures) {
      if (!failure) continue;
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        return e.what();
      } catch (...) {
        return "unknown failure";
      }
    }
    return {};
  }
};

// Starts a thread per worker; returns once every event loop is built or has failed.
std::unique_ptr<Crew> launch(std::vector<std::unique_ptr<detail::Worker>> workers) {
  auto crew = std::make_unique<Crew>();
  const std::size_t count = workers.size();
  crew->workers = std::move(workers);
  crew->prepared = std::make_unique<std::latch>(static_cast<std::ptrdiff_t>(count));
  crew->running = static_cast<int>(count);
  crew->failures.resize(count);
  for (std::size_t i = 0; i < count; ++i)
    crew->pool.emplace_back([c = crew.get(), i] {
      try {
        c->workers[i]->prepare();
      } catch (...) {
        c->failures[i] = std::current_exception();
        c->abandon = true;
      }
      c->prepared->count_down();
      c->go.wait(false);
      if (!c->abandon) {
        try {
          c->workers[i]->run();
        } catch (...) {
          c->failures[i] = std::current_exception();
        }
      }
      c->running.fetch_sub(1);
    });
  crew->prepared->wait();
  return crew;
}

}  // namespace

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

  if (options.start_at && *options.start_at - wall_clock_seconds() > 3600)
    throw RunError(
        fmt::format("--start-at: {:.3f} is {:.0f} s from now, more than an hour ahead (a time in "
                    "milliseconds?)",
                    *options.start_at, *options.start_at - wall_clock_seconds()));
  EngineChoice engine = choose_engine(options);
  const int threads = effective_threads(options);
  const auto spread = spread_connections(options.connections, threads);
  const auto requests = std::make_shared<const RequestSet>(build_request_set(options));

  const auto make_workers = [&](Engine kind) {
    std::vector<std::unique_ptr<detail::Worker>> workers;
    // With --part I/N this process is part I of one load N times its size: its threads and
    // connections are numbered after those of parts 1..I-1, and so are its draw streams and
    // its place in the staggered schedule.
    const int part = options.part_index;
    int first_connection = part * options.connections;
    for (int i = 0; i < threads; ++i) {
      detail::WorkerSetup setup;
      setup.engine = kind;
      setup.endpoints = endpoints;
      setup.requests = requests;
      setup.seed = options.seed;
      setup.index = part * threads + i;
      setup.first_connection = first_connection;
      setup.connections = spread[static_cast<std::size_t>(i)];
      first_connection += setup.connections;
      setup.pipeline = options.pipeline;
      if (options.rate) {
        // Each thread offers its connections' share of the rate, and the threads' schedules
        // are staggered so that together they are evenly spaced.
        const double share = static_cast<double>(setup.connections) / options.connections;
        setup.rate = *options.rate * share;
        const double whole_rate = *options.rate * options.part_count;
        setup.schedule_offset =
            std::chrono::nanoseconds(std::llround(1e9 / whole_rate * (part * threads + i)));
      }
      setup.timeout = options.timeout;
      setup.stop = hooks.stop;
      workers.push_back(std::make_unique<detail::Worker>(std::move(setup)));
    }
    return workers;
  };

  // A ring that cannot be set up in a worker (the probe passed, but say the buffers do not
  // fit): the default engine falls back to epoll; an engine asked for by name fails the run.
  std::unique_ptr<Crew> crew = launch(make_workers(engine.engine));
  if (crew->abandon) {
    const std::string why = crew->first_failure();
    crew->release();
    crew->join();
    if (options.engine || engine.engine == Engine::epoll)
      throw std::runtime_error(fmt::format("{} engine: {}", engine_name(engine.engine), why));
    engine = {Engine::epoll, "io_uring could not be set up: " + why};
    crew = launch(make_workers(Engine::epoll));
    if (crew->abandon) {
      const std::string epoll_why = crew->first_failure();
      crew->release();
      crew->join();
      throw std::runtime_error("epoll engine: " + epoll_why);
    }
  }
  auto& workers = crew->workers;

  // With --start-at, the window's timeline begins at that wall-clock moment on every host.
  std::optional<double> late_s;
  if (options.start_at) late_s = wait_until_wall_clock(*options.start_at, hooks.stop);
  // The clock starts once everything is built; then only the connects stand between the first
  // due time and the first send.
  const auto start = Clock::now();
  const auto measure_start = start + options.warmup;
  const auto window_end = measure_start + options.duration;
  for (auto& worker : workers) worker->set_timeline(start, measure_start, window_end);
  crew->release();

  auto next_progress = Clock::now() + std::chrono::seconds(1);
  while (crew->running.load() > 0) {
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
  crew->join();
  if (const std::string why = crew->first_failure(); !why.empty())
    throw std::runtime_error(fmt::format("{} engine: {}", engine_name(engine.engine), why));

  RunResult result;
  result.engine = engine.engine;
  result.engine_fallback = engine.fallback;
  result.host = options.host_name.empty() ? this_host_name() : options.host_name;
  result.start_at = options.start_at;
  if (late_s) {
    result.start_late_ms = *late_s * 1e3;
    result.started_late = *late_s > std::chrono::duration<double>(options.max_start_late).count();
  }
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

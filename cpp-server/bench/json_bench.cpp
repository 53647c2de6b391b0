// JSON microbenchmarks (contract/README.md, "JSON microbenchmarks"): each payload of
// contract/payloads parsed into its structs and serialised back, with Boost.JSON, counting the
// heap allocations of one operation with a replaced global operator new.
//
// With HELLOBENCH_MICROBENCH_OUT=FILE in the environment (or --hellobench_out=FILE), the
// results are also written to FILE (atomically: a temporary file, then a rename) in the
// hellobench-microbench/1 shape the orchestrator merges: each repetition of a benchmark is one
// sample of its samples_ns_per_op, so then every benchmark runs at least kMinSamples
// repetitions (more if --benchmark_repetitions asks for more) and reports each of them, and
// the repetitions of all benchmarks are interleaved at random unless
// --benchmark_enable_random_interleaving says otherwise.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cpp_server/orders.hpp"

namespace {
// Every allocation through operator new (Boost.JSON's default resource, std::string and
// std::vector all come here). Relaxed atomics: the benchmarks run on one thread.
std::atomic<std::uint64_t> allocation_count{0};
std::atomic<std::uint64_t> allocated_bytes{0};
}  // namespace

void* operator new(std::size_t size) {
  allocation_count.fetch_add(1, std::memory_order_relaxed);
  allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  if (void* block = std::malloc(size == 0 ? 1 : size)) return block;
  throw std::bad_alloc();
}
void operator delete(void* block) noexcept { std::free(block); }
void operator delete(void* block, std::size_t) noexcept { std::free(block); }

namespace {

namespace json = boost::json;
using cpp_server::Order;

// The /json record, owning its text as a parsed message must.
struct Message {
  std::string message;
};

Message tag_invoke(json::value_to_tag<Message>, const json::value& value) {
  return Message{json::value_to<std::string>(value.at("message"))};
}

void tag_invoke(json::value_from_tag, json::value& value, const Message& message) {
  value.emplace_object().emplace("message", message.message);
}

std::string read_payload(const std::string& name) {
  const std::string path = std::string(CPP_SERVER_CONTRACT_DIR) + "/payloads/" + name + ".json";
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Heap use of the operations inside a benchmark loop, reported per operation.
class AllocationMeter {
 public:
  AllocationMeter()
      : count_(allocation_count.load(std::memory_order_relaxed)),
        bytes_(allocated_bytes.load(std::memory_order_relaxed)) {}
  void report(benchmark::State& state) const {
    // Both read before the counters map allocates its nodes.
    const std::uint64_t count = allocation_count.load(std::memory_order_relaxed) - count_;
    const std::uint64_t bytes = allocated_bytes.load(std::memory_order_relaxed) - bytes_;
    const double operations = static_cast<double>(state.iterations());
    state.counters["allocs_per_op"] = static_cast<double>(count) / operations;
    state.counters["bytes_per_op"] = static_cast<double>(bytes) / operations;
  }

 private:
  std::uint64_t count_;
  std::uint64_t bytes_;
};

// parse: the payload's bytes into structs, the way a server does it with Boost.JSON (a tree
// from json::parse on the default heap resource, then the typed conversion; for orders the
// server's own order_from_json).
void parse_message(benchmark::State& state, const std::string& text) {
  const AllocationMeter meter;
  for (auto _ : state) {
    Message message = json::value_to<Message>(json::parse(text));
    benchmark::DoNotOptimize(message.message.data());
  }
  meter.report(state);
}

void parse_order(benchmark::State& state, const std::string& text) {
  const AllocationMeter meter;
  for (auto _ : state) {
    boost::system::error_code ec;
    const json::value document = cpp_server::parse_json_document(text, ec);
    std::optional<Order> order = cpp_server::order_from_json(document);
    if (ec || !order) return state.SkipWithError("payload is not a valid order");
    benchmark::DoNotOptimize(order->items.data());
  }
  meter.report(state);
}

// The tuned server's variant: the tree in a reused arena instead of the heap (console only).
void parse_order_in_arena(benchmark::State& state, const std::string& text) {
  std::vector<unsigned char> arena(64 * 1024);
  const AllocationMeter meter;
  for (auto _ : state) {
    json::monotonic_resource resource(arena.data(), arena.size());
    boost::system::error_code ec;
    const json::value document = cpp_server::parse_json_document(text, ec, &resource);
    std::optional<Order> order = cpp_server::order_from_json(document);
    if (ec || !order) return state.SkipWithError("payload is not a valid order");
    benchmark::DoNotOptimize(order->items.data());
  }
  meter.report(state);
}

// serialise: the structs back into compact JSON text (value_from, then serialize).
template <class Struct>
void serialise(benchmark::State& state, const Struct& parsed, const std::string& expected) {
  if (json::serialize(json::value_from(parsed)) != expected) {
    return state.SkipWithError("serialising does not give the payload back");
  }
  const AllocationMeter meter;
  for (auto _ : state) {
    std::string text = json::serialize(json::value_from(parsed));
    benchmark::DoNotOptimize(text.data());
  }
  meter.report(state);
}

// A benchmark that goes into the output file: its payload and operation.
struct Row {
  std::string benchmark_name;
  std::string payload;
  std::string operation;
};

// Samples per row of the output file: repetitions, each one measurement of ns/op.
constexpr int kMinSamples = 10;

// repetitions > 0: every benchmark runs that many repetitions and reports each one, whatever
// the aggregates flags say (the output file needs them); 0: the command line decides.
std::vector<Row> register_benchmarks(int repetitions) {
  std::vector<Row> rows;
  const auto configure = [repetitions](benchmark::internal::Benchmark* b) {
    b->Unit(benchmark::kNanosecond);
    if (repetitions > 0) b->Repetitions(repetitions)->ReportAggregatesOnly(false);
  };
  const auto add = [&rows, &configure](const std::string& payload, const std::string& operation,
                                       auto&& function) {
    const std::string name = "json/" + payload + "/" + operation;
    configure(benchmark::RegisterBenchmark(name.c_str(), function));
    rows.push_back({name, payload, operation});
  };
  const std::string message_text = read_payload("message");
  const Message message = json::value_to<Message>(json::parse(message_text));
  add("message", "parse",
      [message_text](benchmark::State& state) { parse_message(state, message_text); });
  add("message", "serialise", [message, message_text](benchmark::State& state) {
    serialise(state, message, message_text);
  });
  for (const std::string payload : {"order-10", "order-100"}) {
    const std::string text = read_payload(payload);
    boost::system::error_code ec;
    const auto order = cpp_server::order_from_json(cpp_server::parse_json_document(text, ec));
    if (ec || !order) throw std::runtime_error(payload + " is not a valid order");
    add(payload, "parse", [text](benchmark::State& state) { parse_order(state, text); });
    add(payload, "serialise",
        [order = *order, text](benchmark::State& state) { serialise(state, order, text); });
    configure(benchmark::RegisterBenchmark(
        ("json/" + payload + "/parse_in_arena").c_str(),
        [text](benchmark::State& state) { parse_order_in_arena(state, text); }));
  }
  return rows;
}

// Shows the usual console output and keeps every run for the output file.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    runs_.insert(runs_.end(), runs.begin(), runs.end());
    ConsoleReporter::ReportRuns(runs);
  }
  // The run to report for a benchmark: the median when repetitions were asked for, else the
  // single run. nullptr when it did not run (filtered out, or failed).
  const Run* result_for(const std::string& name) const {
    const Run* single = nullptr;
    for (const Run& run : runs_) {
      if (run.run_name.function_name != name || run.error_occurred) continue;
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") return &run;
      if (run.run_type == Run::RT_Iteration && single == nullptr) single = &run;
    }
    return single;
  }
  // The measured runs (one per repetition, in the order they ran) of a benchmark, without
  // the aggregates and the failed ones.
  std::vector<const Run*> repetitions_of(const std::string& name) const {
    std::vector<const Run*> out;
    for (const Run& run : runs_) {
      if (run.run_name.function_name == name && run.run_type == Run::RT_Iteration &&
          !run.error_occurred) {
        out.push_back(&run);
      }
    }
    return out;
  }

 private:
  std::vector<Run> runs_;
};

double nanoseconds_per(benchmark::TimeUnit unit) {
  switch (unit) {
    case benchmark::kNanosecond:
      return 1;
    case benchmark::kMicrosecond:
      return 1e3;
    case benchmark::kMillisecond:
      return 1e6;
    case benchmark::kSecond:
      return 1e9;
  }
  return 1;
}

// A number as JSON: an integer as such, else the shortest text that reads back as the same
// double ("218.1", not Boost.JSON's "2.181E2"); null for a figure that was not measured.
std::string json_number(std::optional<double> number) {
  if (!number || !std::isfinite(*number)) return "null";
  if (*number == std::round(*number) && std::fabs(*number) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(*number));  // 100000, not 1e+05
  }
  char text[32];
  const auto result = std::to_chars(std::begin(text), std::end(text), *number);
  return std::string(text, result.ptr);
}

std::string json_string(std::string_view text) {
  return json::serialize(json::string_view(text.data(), text.size()));
}

std::string toolchain() {
#if defined(__clang__)
  return "clang++ " __clang_version__;
#elif defined(__GNUC__)
  return "g++ " __VERSION__;
#else
  return "unknown";
#endif
}

// The middle value, or the mean of the middle two (as the orchestrator computes a median).
double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double round_tenth(double ns) { return std::round(ns * 10) / 10; }

// hellobench-microbench/1, one row per line. samples_ns_per_op: each repetition's wall time per
// operation (as Go's ns/op and criterion report it) to 0.1 ns, in the order they ran; ns_per_op
// their median; iterations: of all repetitions together. Bytes and allocations are exact per
// operation (the median of the repetitions').
std::string results_document(const CollectingReporter& reporter, const std::vector<Row>& rows) {
  std::string text = "{\"schema\": \"hellobench-microbench/1\", \"language\": \"cpp\", ";
  text += "\"harness\": \"google-benchmark\",\n \"toolchain\": " + json_string(toolchain());
  text += ", \"json_library\": \"Boost.JSON 1.81\",\n \"rows\": [";
  const char* separator = "\n  ";
  for (const Row& row : rows) {
    const auto* run = reporter.result_for(row.benchmark_name);
    if (run == nullptr) continue;
    const auto counter = [run](const char* name) -> std::optional<double> {
      const auto found = run->counters.find(name);
      if (found == run->counters.end()) return std::nullopt;
      return found->second.value;
    };
    std::vector<double> samples;
    double iterations = 0;
    for (const auto* repetition : reporter.repetitions_of(row.benchmark_name)) {
      samples.push_back(
          round_tenth(repetition->GetAdjustedRealTime() * nanoseconds_per(repetition->time_unit)));
      iterations += static_cast<double>(repetition->iterations);
    }
    if (samples.empty()) continue;
    std::string samples_text;
    for (const double sample : samples) {
      samples_text += (samples_text.empty() ? "" : ", ") + json_number(sample);
    }
    text += separator;
    text += "{\"payload\": " + json_string(row.payload);
    text += ", \"operation\": " + json_string(row.operation);
    text += ", \"ns_per_op\": " + json_number(round_tenth(median(samples)));
    text += ",\n   \"samples_ns_per_op\": [" + samples_text + "],\n   ";
    text += "\"bytes_per_op\": " + json_number(counter("bytes_per_op"));
    text += ", \"allocs_per_op\": " + json_number(counter("allocs_per_op"));
    text += ", \"iterations\": " + json_number(iterations) + "}";
    separator = ",\n  ";
  }
  return text + "]}\n";
}

// Written next to the target and renamed over it, so a reader never sees half a file.
void write_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << text;
    file.flush();
    if (!file) throw std::runtime_error("cannot write " + temporary);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot rename " + temporary + " to " + path);
  }
}

// The value of --benchmark_repetitions=N on the command line (Google Benchmark's flag, left in
// argv for it), 1 without it.
int repetitions_flag(int argc, char** argv) {
  constexpr std::string_view kFlag = "--benchmark_repetitions=";
  int repetitions = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.substr(0, kFlag.size()) == kFlag) {
      const std::string_view value = arg.substr(kFlag.size());
      std::from_chars(value.data(), value.data() + value.size(), repetitions);
    }
  }
  return repetitions;
}

// argv with --benchmark_enable_random_interleaving=true added unless the command line sets it:
// the repetitions of all benchmarks then run in a random order, so each benchmark's samples are
// spread over the whole run instead of back to back (the pointers live in `storage`).
std::vector<char*> with_interleaving(int argc, char** argv, std::string& storage) {
  constexpr std::string_view kFlag = "--benchmark_enable_random_interleaving";
  std::vector<char*> out(argv, argv + argc);
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).substr(0, kFlag.size()) == kFlag) return out;
  }
  storage = std::string(kFlag) + "=true";
  out.push_back(storage.data());
  return out;
}

// Takes --hellobench_out=FILE out of argv (Google Benchmark rejects flags it does not know).
std::string take_output_flag(int& argc, char** argv) {
  constexpr std::string_view kFlag = "--hellobench_out=";
  std::string path;
  if (const char* from_environment = std::getenv("HELLOBENCH_MICROBENCH_OUT")) {
    path = from_environment;
  }
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.substr(0, kFlag.size()) == kFlag) {
      path = std::string(arg.substr(kFlag.size()));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string output_path = take_output_flag(argc, argv);
    const int repetitions =
        output_path.empty() ? 0 : std::max(kMinSamples, repetitions_flag(argc, argv));
    std::string interleaving_flag;
    std::vector<char*> args = output_path.empty()
                                  ? std::vector<char*>(argv, argv + argc)
                                  : with_interleaving(argc, argv, interleaving_flag);
    int args_count = static_cast<int>(args.size());
    args.push_back(nullptr);  // argv[argc] is null, as Initialize may expect
    benchmark::Initialize(&args_count, args.data());
    if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 2;
    const std::vector<Row> rows = register_benchmarks(repetitions);
    CollectingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    if (!output_path.empty()) {
      write_atomically(output_path, results_document(reporter, rows));
      std::cerr << "cpp_server_json_bench: wrote " << output_path << '\n';
    }
  } catch (const std::exception& error) {
    std::cerr << "cpp_server_json_bench: " << error.what() << '\n';
    return 1;
  }
  return 0;
}

// The histogram's hot paths: record (once per response) and the percentile read (once per
// report, but over ~34k buckets).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "loadgen/engine.hpp"
#include "loadgen/histogram.hpp"

namespace {

// Latencies spread like a loopback run: mostly tens of µs, a tail to tens of ms.
std::vector<std::int64_t> latencies(std::size_t n) {
  std::mt19937_64 random(42);
  std::lognormal_distribution<double> distribution(std::log(50'000.0), 0.8);
  std::vector<std::int64_t> values(n);
  for (auto& v : values) v = static_cast<std::int64_t>(distribution(random));
  return values;
}

void BM_HistogramRecord(benchmark::State& state) {
  auto histogram = loadgen::make_latency_histogram();
  const auto values = latencies(4096);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(histogram.record(values[i++ & 4095]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

void BM_HistogramPercentile(benchmark::State& state) {
  auto histogram = loadgen::make_latency_histogram();
  for (auto v : latencies(1'000'000)) histogram.record(v);
  for (auto _ : state) {
    benchmark::DoNotOptimize(histogram.value_at_percentile(99.9));
  }
}
BENCHMARK(BM_HistogramPercentile);

void BM_HistogramMerge(benchmark::State& state) {
  auto total = loadgen::make_latency_histogram();
  auto part = loadgen::make_latency_histogram();
  for (auto v : latencies(100'000)) part.record(v);
  for (auto _ : state) {
    total.add(part);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_HistogramMerge);

}  // namespace

BENCHMARK_MAIN();

// Merging reports: the merged report's figures equal those of one report that recorded every
// sample, field by field, and reports of different workloads are refused.
#include "loadgen/merge.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "loadgen/distribution.hpp"
#include "loadgen/draws.hpp"
#include "loadgen/engine.hpp"
#include "loadgen/report.hpp"

namespace loadgen {
namespace {

using nlohmann::json;

Options options(std::vector<const char*> flags) {
  std::vector<const char*> args = {"loadgen", "http://127.0.0.1:8080/io?ms={wait}"};
  args.insert(args.end(), flags.begin(), flags.end());
  return parse_command_line(static_cast<int>(args.size()), args.data()).options;
}

// Three parts of one run: the same kinds of samples, as three generators would record them.
struct Split {
  RunResult whole, parts[3];
};

Split split_run() {
  Split s;
  const auto latency = Distribution::parse("lognormal:median=30ms,p95=45ms");
  const auto key = draws::name_key(draws::stream_key(3, draws::StreamKind::thread, 0), "x");
  for (RunResult* r : {&s.whole, &s.parts[0], &s.parts[1], &s.parts[2]}) {
    r->duration_s = 2;
    r->connections = 16;
    r->threads = 1;
    r->offered_rate = 500;
    r->has_overhead = true;
    r->targets.resize(2);
    for (int t = 0; t < 2; ++t) {
      r->targets[static_cast<std::size_t>(t)].name = t == 0 ? "io" : "user";
      r->targets[static_cast<std::size_t>(t)].method = "GET";
      r->targets[static_cast<std::size_t>(t)].path = t == 0 ? "/io?ms={wait}" : "/users/{id}";
      r->targets[static_cast<std::size_t>(t)].has_overhead = t == 0;
    }
  }
  for (std::uint64_t n = 0; n < 30'000; ++n) {
    const auto value = static_cast<std::int64_t>(latency.sample(draws::bits(key, n)));
    const auto overhead = value % 1'000'000;  // some share of it
    const std::size_t target = n % 4 == 0 ? 1 : 0;
    for (RunResult* r : {&s.whole, &s.parts[n % 3]}) {
      ++r->requests;
      r->latency_ns.record(value);
      r->overhead_ns.record(overhead);
      r->overhead_clamped += n % 100 == 0;
      if (n % 50 == 0) ++r->errors.status_5xx;
      if (n % 70 == 0) {
        r->late_by_ns.record(value / 10);
        ++r->late_sends;
      }
      TargetResult& t = r->targets[target];
      ++t.requests;
      t.latency_ns.record(value);
      if (t.has_overhead) t.overhead_ns.record(overhead);
    }
  }
  for (RunResult* r : {&s.whole, &s.parts[0], &s.parts[1], &s.parts[2]})
    r->rps = static_cast<double>(r->requests) / r->duration_s;
  return s;
}

const std::vector<const char*> kFlags = {"--wait", "uniform:20ms:40ms", "--rate", "500"};

TEST(LoadgenMerge, MergedFiguresEqualThoseOfOneGeneratorThatSawEverySample) {
  const Split s = split_run();
  const Options o = options(kFlags);
  const json whole = json::parse(json_report(s.whole, o));
  const json merged = json::parse(merge_reports(
      {json_report(s.parts[0], o), json_report(s.parts[1], o), json_report(s.parts[2], o)},
      {"a.json", "b.json", "c.json"}));
  // Every percentile, max, mean and stddev, in every histogram, and the histograms themselves.
  for (const char* key : {"latency_us", "late_by_us", "overhead_us", "latency_histogram",
                          "overhead_histogram", "late_by_histogram", "errors", "late_sends",
                          "requests", "duration_s", "rps", "mode", "seed", "variables"})
    EXPECT_EQ(merged[key], whole[key]) << key;
  for (std::size_t t = 0; t < 2; ++t)
    for (const char* key : {"name", "requests", "errors", "latency_us", "overhead_us",
                            "latency_histogram", "overhead_histogram"})
      EXPECT_EQ(merged["targets"][t][key], whole["targets"][t][key]) << t << " " << key;
  // Three generators of 16 connections at 500/s each.
  EXPECT_EQ(merged["connections"], 48);
  EXPECT_EQ(merged["threads"], 3);
  EXPECT_EQ(merged["offered_rate"], 1500.0);
  EXPECT_EQ(merged["merged_reports"], 3);
}

TEST(LoadgenMerge, MergingIsAssociative) {
  const Split s = split_run();
  const Options o = options(kFlags);
  const std::string a = json_report(s.parts[0], o), b = json_report(s.parts[1], o),
                    c = json_report(s.parts[2], o);
  const json at_once = json::parse(merge_reports({a, b, c}));
  const json in_steps = json::parse(merge_reports({merge_reports({a, b}), c}));
  EXPECT_EQ(in_steps, at_once);
}

TEST(LoadgenMerge, DifferentSeedsAndUrlsAreListed) {
  const Split s = split_run();
  std::vector<const char*> seed2 = kFlags;
  seed2.insert(seed2.end(), {"--seed", "2"});
  const json merged = json::parse(merge_reports(
      {json_report(s.parts[0], options(kFlags)), json_report(s.parts[1], options(seed2))}));
  EXPECT_TRUE(merged["seed"].is_null());
  EXPECT_EQ(merged["seeds"], json::parse("[1, 2]"));
  EXPECT_EQ(merged["url"], "http://127.0.0.1:8080/io?ms={wait}");
  EXPECT_FALSE(merged.contains("urls"));
}

TEST(LoadgenMerge, ListsEveryHostAndKeepsTheLatestStart) {
  Split s = split_run();
  const Options o = options(kFlags);
  for (RunResult* r : {&s.parts[0], &s.parts[1], &s.parts[2]}) r->start_at = 1767225600.5;
  s.parts[0].host = "gen1";
  s.parts[0].start_late_ms = 0.25;
  s.parts[1].host = "gen2";
  s.parts[1].start_late_ms = 1.5;
  s.parts[2].host = "gen3";
  s.parts[2].start_late_ms = 0.75;
  const json two =
      json::parse(merge_reports({json_report(s.parts[0], o), json_report(s.parts[1], o)}));
  EXPECT_TRUE(two["host"].is_null());
  EXPECT_EQ(two["hosts"], json::parse(R"(["gen1", "gen2"])"));
  EXPECT_EQ(two["engine"], "epoll");
  EXPECT_EQ(two["start_at"], 1767225600.5);
  EXPECT_EQ(two["start_late_ms"], 1.5);  // the latest of the two
  EXPECT_EQ(two["started_late"], false);
  // Merged again, the hosts of the merged report come along in order.
  const json three = json::parse(merge_reports({two.dump(), json_report(s.parts[2], o)}));
  EXPECT_EQ(three["hosts"], json::parse(R"(["gen1", "gen2", "gen3"])"));
  EXPECT_EQ(three["start_late_ms"], 1.5);

  s.parts[2].started_late = true;
  const json late =
      json::parse(merge_reports({json_report(s.parts[0], o), json_report(s.parts[2], o)}));
  EXPECT_EQ(late["started_late"], true);
}

std::string merge_error(const std::vector<std::string>& reports) {
  try {
    merge_reports(reports, {"a.json", "b.json"});
  } catch (const MergeError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(LoadgenMerge, RefusesReportsOfDifferentWorkloads) {
  const Split s = split_run();
  RunResult closed = s.parts[1];
  closed.offered_rate.reset();
  EXPECT_EQ(merge_error({json_report(s.parts[0], options(kFlags)),
                         json_report(closed, options({"--wait", "uniform:20ms:40ms"}))}),
            "b.json: mode is closed but open in a.json: reports of different workloads do not "
            "merge");
  EXPECT_EQ(
      merge_error({json_report(s.parts[0], options(kFlags)),
                   json_report(s.parts[1], options({"--wait", "const:20ms", "--rate", "500"}))}),
      "b.json: variables is wait=const:20ms but wait=uniform:20ms:40ms in a.json: reports "
      "of different workloads do not merge");
}

TEST(LoadgenMerge, NamesTheReportAndFieldThatIsWrong) {
  const Split s = split_run();
  json broken = json::parse(json_report(s.parts[0], options(kFlags)));
  broken.erase("latency_histogram");
  EXPECT_EQ(merge_error({broken.dump(), broken.dump()}), "a.json: latency_histogram: missing");
  json tampered = json::parse(json_report(s.parts[0], options(kFlags)));
  tampered["latency_histogram"]["count"] = 5;
  EXPECT_EQ(merge_error({tampered.dump()})
                .rfind("a.json: latency_histogram.count: 5 but the "
                       "encoded counts add up to ",
                       0),
            0u)
      << merge_error({tampered.dump()});
  EXPECT_EQ(merge_error({"{\"requests\": 1}"}), "a.json: duration_s: missing");
  EXPECT_THROW(merge_report_files({}), MergeError);
}

}  // namespace
}  // namespace loadgen

// Test helper: stands in for loadgen where the test needs an outcome a real run cannot be made
// to give on demand. Takes loadgen's command line; the URL's path picks the behaviour:
//   /exit-1    prints a full --json report with errors and exits 1 (loadgen's "too many errors")
//   /garbage   prints text that is not a report and exits 0
//   /usage     prints a usage error on stderr and exits 2
//   /hang      prints nothing and sleeps for 60 s (a generator that never ends on its own)
//   /zero-latency  prints a clean report of 1000 requests, every latency 0 us, and exits 0 (a
//              trial that is valid, but whose latency figures a ratio cannot divide by)
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "";
  auto ends_with = [&](const char* suffix) {
    return url.size() >= std::strlen(suffix) &&
           url.compare(url.size() - std::strlen(suffix), std::string::npos, suffix) == 0;
  };
  if (ends_with("/exit-1")) {
    std::printf(
        R"({"requests":0,"duration_s":1.0,"rps":0.0,"connections":2,"threads":1,"mode":"closed",)"
        R"("offered_rate":null,"latency_us":{"p50":0,"p90":0,"p95":0,"p99":0,"p999":0,)"
        R"("p9999":0,"max":0,"mean":0,"stddev":0},"errors":{"connect":12,"read":0,"write":0,)"
        R"("timeout":0,"parse":0,"status_4xx":0,"status_5xx":0},"reconnects":0,"late_sends":0})"
        "\n");
    return 1;
  }
  if (ends_with("/zero-latency")) {
    std::printf(
        R"({"requests":1000,"duration_s":1.0,"rps":1000.0,"connections":2,"threads":1,)"
        R"("mode":"closed","offered_rate":null,"latency_us":{"p50":0,"p90":0,"p95":0,"p99":0,)"
        R"("p999":0,"p9999":0,"max":0,"mean":0,"stddev":0},"errors":{"connect":0,"read":0,)"
        R"("write":0,"timeout":0,"parse":0,"status_4xx":0,"status_5xx":0},"reconnects":0,)"
        R"("late_sends":0})"
        "\n");
    return 0;
  }
  if (ends_with("/hang")) {
    sleep(60);
    return 0;
  }
  if (ends_with("/garbage")) {
    std::printf("Closed loop for 1.00s @ %s\n  Latency: 12us\n", url.c_str());
    return 0;
  }
  std::fprintf(stderr, "loadgen: --frobnicate: unknown option\n");
  return 2;
}

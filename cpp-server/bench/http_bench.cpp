// Microbenchmarks of the request path's CPU work, without sockets: parse a request with the
// server's Beast parser setup, and write a response into a reused buffer.
#include <benchmark/benchmark.h>

#include <string>

#include "cpp_server/http_date.hpp"
#include "cpp_server/request_parser.hpp"
#include "cpp_server/routes.hpp"
#include "cpp_server/service_routes.hpp"

namespace {

namespace http = boost::beast::http;
using cpp_server::Endpoint;

// What wrk sends.
constexpr std::string_view kWrkRequest = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
// What a browser-like client sends.
constexpr std::string_view kBrowserRequest =
    "GET /json HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
    "Accept: application/json,text/html;q=0.9,*/*;q=0.8\r\nAccept-Language: en-GB,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n";

// A fresh parser per request, as in the server (Beast parsers are single-use), and request
// parts whose capacity carries over, as the connection's do.
void parse(benchmark::State& state, std::string_view request) {
  cpp_server::RequestParts parts;
  parts.target.reserve(256);
  for (auto _ : state) {
    parts.clear();
    cpp_server::RequestParser parser(parts, 64 * 1024);
    boost::system::error_code ec;
    parser.eager(true);
    const std::size_t used = parser.put(boost::asio::buffer(request.data(), request.size()), ec);
    benchmark::DoNotOptimize(used);
    benchmark::DoNotOptimize(parts.target.data());
    if (ec || !parser.is_done()) state.SkipWithError("parse failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * request.size()));
}
void BM_ParseWrkRequest(benchmark::State& state) { parse(state, kWrkRequest); }
void BM_ParseBrowserRequest(benchmark::State& state) { parse(state, kBrowserRequest); }
BENCHMARK(BM_ParseWrkRequest);
BENCHMARK(BM_ParseBrowserRequest);

void BM_Route(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(cpp_server::route(http::verb::get, "/io?ms=25"));
  }
}
BENCHMARK(BM_Route);

// The response written into a buffer reused across iterations, as a connection reuses its own.
void write_response(benchmark::State& state, Endpoint endpoint) {
  std::string out;
  out.reserve(4096);
  for (auto _ : state) {
    out.clear();
    cpp_server::append_response(out, endpoint, {});
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
void BM_WriteHelloResponse(benchmark::State& state) { write_response(state, Endpoint::hello); }
void BM_WriteJsonResponse(benchmark::State& state) { write_response(state, Endpoint::json); }
void BM_WriteUserResponse(benchmark::State& state) { write_response(state, Endpoint::user); }
BENCHMARK(BM_WriteHelloResponse);
BENCHMARK(BM_WriteJsonResponse);
BENCHMARK(BM_WriteUserResponse);

// The service routes' answers, as the connection writes them (the store of --live-mb 1).
const cpp_server::Store& bench_store() {
  static const cpp_server::Store store = cpp_server::build_store(1);
  return store;
}

void BM_WriteUserRecordResponse(benchmark::State& state) {
  std::string out;
  out.reserve(4096);
  for (auto _ : state) {
    out.clear();
    cpp_server::append_user_record_response(out, {}, bench_store(), 1023);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_WriteUserRecordResponse);

// POST /orders with the contract's order-10 payload: parse, validate, answer.
void BM_AnswerOrder10(benchmark::State& state) {
  std::string body = R"({"customer_id":7,"items":[)";
  for (int k = 0; k < 10; ++k) {
    body += std::string(k ? "," : "") + R"({"sku":"SKU-0000)" + std::to_string(k) + R"(","qty":)" +
            std::to_string(1 + k % 5) + R"(,"price_cents":)" + std::to_string(199 + 137 * k) + "}";
  }
  body += R"(],"note":"leave at the door"})";
  std::string out;
  out.reserve(4096);
  for (auto _ : state) {
    out.clear();
    cpp_server::append_order_response(out, {}, bench_store(),
                                      cpp_server::OrderRequest{"application/json", body, false});
    benchmark::DoNotOptimize(out.data());
  }
  if (out.find("\r\n\r\n{\"customer_id\":7,") == std::string::npos) {
    state.SkipWithError("order not accepted");
  }
}
BENCHMARK(BM_AnswerOrder10);

void BM_CurrentHttpDate(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(cpp_server::current_http_date().data());
}
BENCHMARK(BM_CurrentHttpDate);

}  // namespace

BENCHMARK_MAIN();

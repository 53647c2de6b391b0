// The response parser on what hellobench's servers send: a small Content-Length response,
// whole in one read, and the same bytes arriving in pieces.
#include <benchmark/benchmark.h>

#include <string>

#include "loadgen/response_parser.hpp"

namespace {

const std::string kResponse =
    "HTTP/1.1 200 OK\r\nServer: hellobench\r\nDate: Fri, 27 Nov 2026 10:00:00 GMT\r\n"
    "Content-Type: application/json\r\nContent-Length: 27\r\n\r\n"
    "{\"message\":\"Hello, World!\"}";

// Parses `responses` back-to-back copies delivered in pieces of `piece` bytes.
void parse_all(loadgen::ResponseParser& parser, const std::string& stream, std::size_t piece) {
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    const std::size_t size = std::min(piece, stream.size() - at);
    std::size_t offset = 0;
    while (offset < size) {
      std::size_t used = 0;
      const auto status = parser.parse(stream.data() + at + offset, size - offset, used);
      offset += used;
      if (status != loadgen::ResponseParser::Status::complete) break;
      parser.reset();
    }
  }
}

void BM_ParseResponse(benchmark::State& state) {
  loadgen::ResponseParser parser;
  parser.reset();
  const std::size_t piece =
      state.range(0) == 0 ? kResponse.size() : static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    parse_all(parser, kResponse, piece);
    benchmark::DoNotOptimize(parser.status_code());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kResponse.size()));
}
// 0: the whole response in one read (the usual case); 16: split mid-line, copied into the
// line buffer.
BENCHMARK(BM_ParseResponse)->Arg(0)->Arg(16);

void BM_ParsePipelinedBatch(benchmark::State& state) {
  loadgen::ResponseParser parser;
  parser.reset();
  std::string batch;
  for (int i = 0; i < 16; ++i) batch += kResponse;
  for (auto _ : state) {
    parse_all(parser, batch, batch.size());
    benchmark::DoNotOptimize(parser.status_code());
  }
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_ParsePipelinedBatch);

}  // namespace

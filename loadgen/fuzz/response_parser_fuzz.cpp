// libFuzzer target for the response parser. Beyond "no crash, no sanitizer report", it checks
// that the parser's result does not depend on how the bytes are split into reads: the input
// is parsed once whole and once in pieces whose sizes come from its first byte, and both runs
// must see the same responses and the same end.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "loadgen/response_parser.hpp"

namespace {

using loadgen::ResponseParser;

struct Seen {
  int status;
  std::uint64_t body_bytes;
  bool keep_alive;
  bool operator==(const Seen&) const = default;
};

struct Outcome {
  std::vector<Seen> responses;
  ResponseParser::Status end = ResponseParser::Status::need_more;
  bool operator==(const Outcome&) const = default;
};

void check(bool condition) {
  if (!condition) std::abort();
}

Outcome parse(const char* data, std::size_t size, std::size_t piece, bool head) {
  ResponseParser parser;
  parser.reset(head);
  Outcome out;
  for (std::size_t at = 0; at < size; at += piece) {
    const std::size_t chunk = piece < size - at ? piece : size - at;
    std::size_t offset = 0;
    while (offset < chunk) {
      std::size_t used = 0;
      const auto status = parser.parse(data + at + offset, chunk - offset, used);
      check(used <= chunk - offset);
      offset += used;
      if (status == ResponseParser::Status::error) {
        check(!parser.error().empty());
        out.end = status;
        return out;
      }
      if (status == ResponseParser::Status::need_more) {
        check(offset == chunk);  // need_more means everything was taken
        break;
      }
      out.responses.push_back({parser.status_code(), parser.body_bytes(), parser.keep_alive()});
      parser.reset(head);
    }
  }
  out.end = parser.finish_at_eof();
  if (out.end == ResponseParser::Status::complete)
    out.responses.push_back({parser.status_code(), parser.body_bytes(), parser.keep_alive()});
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t piece = (data[0] & 0x3f) + 1;
  const bool head = (data[0] & 0x40) != 0;
  const char* text = reinterpret_cast<const char*>(data + 1);
  const Outcome whole = parse(text, size - 1, size, head);
  const Outcome pieces = parse(text, size - 1, piece, head);
  check(whole == pieces);
  return 0;
}

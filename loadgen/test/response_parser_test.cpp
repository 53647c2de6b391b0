#include "loadgen/response_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace loadgen {
namespace {

using Status = ResponseParser::Status;

struct Parsed {
  int status = 0;
  std::uint64_t body_bytes = 0;
  bool keep_alive = false;
  bool operator==(const Parsed&) const = default;
};

struct Outcome {
  std::vector<Parsed> responses;
  std::string error;  // empty when none
};

// Feeds `stream` in pieces of `piece` bytes (0: all at once), as a connection would.
Outcome parse_stream(const std::string& stream, std::size_t piece = 0, bool head = false) {
  ResponseParser parser;
  parser.reset(head);
  Outcome out;
  if (piece == 0) piece = stream.size();
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t size = std::min(piece, stream.size() - at);
    std::size_t offset = 0;
    while (offset < size) {
      std::size_t used = 0;
      const Status status = parser.parse(stream.data() + at + offset, size - offset, used);
      offset += used;
      if (status == Status::error) {
        out.error = parser.error();
        return out;
      }
      if (status == Status::need_more) break;
      out.responses.push_back({parser.status_code(), parser.body_bytes(), parser.keep_alive()});
      parser.reset(head);
    }
    at += size;
  }
  return out;
}

const std::string kHello =
    "HTTP/1.1 200 OK\r\nServer: hellobench\r\nContent-Type: text/plain\r\n"
    "Content-Length: 13\r\n\r\nHello, World!";

TEST(LoadgenResponseParser, ParsesAContentLengthResponse) {
  const Outcome out = parse_stream(kHello);
  EXPECT_EQ(out.error, "");
  EXPECT_EQ(out.responses, (std::vector<Parsed>{{200, 13, true}}));
}

TEST(LoadgenResponseParser, ParsesPipelinedResponsesFromOneBuffer) {
  const Outcome out = parse_stream(kHello + kHello + kHello);
  EXPECT_EQ(out.responses.size(), 3u);
}

TEST(LoadgenResponseParser, GivesTheSameResultForEverySplit) {
  const std::string stream = kHello +
                             "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\n" +
                             "HTTP/1.1 204 No Content\r\n\r\n" + kHello;
  const std::vector<Parsed> expected = {
      {200, 13, true}, {404, 12, true}, {204, 0, true}, {200, 13, true}};
  for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
    const Outcome out = parse_stream(stream, piece);
    ASSERT_EQ(out.error, "") << "piece " << piece;
    ASSERT_EQ(out.responses, expected) << "piece " << piece;
  }
}

TEST(LoadgenResponseParser, ReadsChunkedBodiesWithUppercaseHexAndBareLf) {
  const Outcome out =
      parse_stream("HTTP/1.1 200 OK\nTransfer-Encoding: gzip, Chunked\n\nA\n0123456789\n0\n\n");
  EXPECT_EQ(out.error, "");
  EXPECT_EQ(out.responses, (std::vector<Parsed>{{200, 10, true}}));
}

TEST(LoadgenResponseParser, ConnectionCloseEndsKeepAlive) {
  const Outcome out =
      parse_stream("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(out.responses, (std::vector<Parsed>{{200, 0, false}}));
}

TEST(LoadgenResponseParser, Http10ClosesUnlessKeepAliveIsAsked) {
  EXPECT_FALSE(
      parse_stream("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").responses.at(0).keep_alive);
  EXPECT_TRUE(parse_stream("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
                  .responses.at(0)
                  .keep_alive);
}

TEST(LoadgenResponseParser, AnswerToHeadHasNoBodyWhateverItsLength) {
  const Outcome out =
      parse_stream("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n" + kHello, 0, true);
  EXPECT_EQ(out.error, "");
  ASSERT_EQ(out.responses.size(), 2u);
  EXPECT_EQ(out.responses[0].body_bytes, 0u);
}

TEST(LoadgenResponseParser, SkipsAnInterimContinueResponse) {
  const Outcome out = parse_stream("HTTP/1.1 100 Continue\r\n\r\n" + kHello);
  EXPECT_EQ(out.responses, (std::vector<Parsed>{{200, 13, true}}));
}

TEST(LoadgenResponseParser, ABodyWithoutLengthRunsToTheClose) {
  ResponseParser parser;
  parser.reset();
  const std::string data = "HTTP/1.1 200 OK\r\n\r\nsome bytes";
  std::size_t used = 0;
  EXPECT_EQ(parser.parse(data.data(), data.size(), used), Status::need_more);
  EXPECT_EQ(used, data.size());
  EXPECT_EQ(parser.finish_at_eof(), Status::complete);
  EXPECT_EQ(parser.body_bytes(), 10u);
  EXPECT_FALSE(parser.keep_alive());
}

TEST(LoadgenResponseParser, ACloseBeforeAnyByteIsClean) {
  ResponseParser parser;
  parser.reset();
  EXPECT_FALSE(parser.started());
  EXPECT_EQ(parser.finish_at_eof(), Status::need_more);
}

TEST(LoadgenResponseParser, ACloseInsideABodyIsAnError) {
  ResponseParser parser;
  parser.reset();
  const std::string data = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello";
  std::size_t used = 0;
  EXPECT_EQ(parser.parse(data.data(), data.size(), used), Status::need_more);
  EXPECT_EQ(parser.finish_at_eof(), Status::error);
}

TEST(LoadgenResponseParser, RejectsGarbage) {
  for (const std::string bad :
       {"garbage\r\n\r\n", "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n"}) {
    const Outcome out = parse_stream(bad);
    EXPECT_NE(out.error, "") << bad;
    EXPECT_TRUE(out.responses.empty()) << bad;
  }
}

TEST(LoadgenResponseParser, RejectsAHeaderLineLongerThanItsBuffer) {
  const std::string line(ResponseParser::kMaxLineBytes + 1, 'a');
  const Outcome out = parse_stream("HTTP/1.1 200 OK\r\nX: " + line + "\r\n\r\n", 100);
  EXPECT_EQ(out.error, "header line too long");
}

TEST(LoadgenResponseParser, RejectsAnEndlessHeaderSection) {
  std::string stream = "HTTP/1.1 200 OK\r\n";
  while (stream.size() <= ResponseParser::kMaxHeaderBytes) stream += "X-Filler: 0123456789\r\n";
  EXPECT_EQ(parse_stream(stream).error, "header section too long");
}

TEST(LoadgenResponseParser, AcceptsAStatusLineWithoutReason) {
  EXPECT_EQ(parse_stream("HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n").responses,
            (std::vector<Parsed>{{503, 0, true}}));
}

}  // namespace
}  // namespace loadgen

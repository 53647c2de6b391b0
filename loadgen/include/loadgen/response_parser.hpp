// A small incremental HTTP/1.x response parser: status line, headers (Content-Length,
// Transfer-Encoding: chunked, Connection), and the body, which it skips without copying.
// Data may arrive in any split; the parser keeps at most one partial line (in a fixed
// buffer), so it never allocates after construction. Standard library only, so that the
// libFuzzer build can compile it alone.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace loadgen {

class ResponseParser {
 public:
  enum class Status {
    need_more,  // everything given was consumed; the response is not finished
    complete,   // one response ended; `consumed` points just past it
    error,      // malformed; error() says why. The connection cannot be reused.
  };

  // Longest header line or chunk-size line, and whole header section, that are accepted.
  static constexpr std::size_t kMaxLineBytes = 8192;
  static constexpr std::size_t kMaxHeaderBytes = 65536;

  // Starts a new response. A response to HEAD has no body whatever its headers say.
  void reset(bool response_to_head = false);

  // Parses from `data` until one response is complete, an error is found or the data runs out.
  // Sets `consumed` to the bytes used; after `complete` the rest belongs to the next response
  // (call reset() first).
  Status parse(const char* data, std::size_t size, std::size_t& consumed);

  // The peer closed the connection. Completes a body delimited by the close; an error when a
  // response was cut short; need_more when no byte of a response had arrived (a clean close).
  Status finish_at_eof();

  bool started() const { return state_ != State::status_line || line_length_ > 0; }
  int status_code() const { return status_code_; }
  // Whether the connection may carry another request after this response (HTTP/1.1 default,
  // Connection: close / keep-alive, HTTP/1.0 default, a body delimited by the close).
  bool keep_alive() const { return keep_alive_; }
  std::uint64_t body_bytes() const { return body_bytes_; }
  std::string_view error() const { return error_; }

 private:
  enum class State {
    status_line,
    header_line,
    body_length,
    chunk_size,
    chunk_data,
    chunk_data_end,
    trailer_line,
    body_until_close,
    done,
    failed,
  };

  bool next_line(const char* data, std::size_t size, std::size_t& pos, std::string_view& line);
  Status fail(const char* why);
  bool on_status_line(std::string_view line);
  bool on_header_line(std::string_view line);
  // After the empty line ending the headers: decides how the body is delimited.
  void on_headers_end();

  State state_ = State::status_line;
  bool response_to_head_ = false;
  int status_code_ = 0;
  bool http10_ = false;
  bool keep_alive_ = true;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool chunked_ = false;
  bool has_content_length_ = false;
  std::uint64_t content_length_ = 0;
  std::uint64_t remaining_ = 0;  // body or chunk bytes still to skip
  std::uint64_t body_bytes_ = 0;
  std::size_t header_bytes_ = 0;
  const char* error_ = "";

  std::size_t line_length_ = 0;  // bytes of a partial line held in line_
  std::array<char, kMaxLineBytes> line_{};
};

}  // namespace loadgen

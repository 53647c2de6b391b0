#include "loadgen/response_parser.hpp"

#include <algorithm>
#include <cstring>

namespace loadgen {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 7230 token characters, for header names.
bool is_token_char(char c) {
  if (is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

// Calls f(token) for each comma-separated element of a header value.
template <typename F>
void for_each_token(std::string_view value, F f) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    f(trim(value.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

void ResponseParser::reset(bool response_to_head) {
  state_ = State::status_line;
  response_to_head_ = response_to_head;
  status_code_ = 0;
  http10_ = false;
  keep_alive_ = true;
  connection_close_ = false;
  connection_keep_alive_ = false;
  chunked_ = false;
  has_content_length_ = false;
  content_length_ = 0;
  remaining_ = 0;
  body_bytes_ = 0;
  header_bytes_ = 0;
  error_ = "";
  line_length_ = 0;
}

ResponseParser::Status ResponseParser::fail(const char* why) {
  state_ = State::failed;
  error_ = why;
  return Status::error;
}

// Takes the next line (without its CR LF or LF). A line split across calls is assembled in
// line_; otherwise the view points into `data` and nothing is copied.
bool ResponseParser::next_line(const char* data, std::size_t size, std::size_t& pos,
                               std::string_view& line) {
  const char* start = data + pos;
  const std::size_t available = size - pos;
  const void* newline = std::memchr(start, '\n', available);
  const std::size_t take =
      newline ? static_cast<std::size_t>(static_cast<const char*>(newline) - start) : available;
  if (line_length_ + take > kMaxLineBytes) {
    line_length_ = kMaxLineBytes + 1;  // reported by the caller as "line too long"
    pos = size;
    return false;
  }
  if (!newline) {
    std::memcpy(line_.data() + line_length_, start, take);
    line_length_ += take;
    pos = size;
    return false;
  }
  if (line_length_ == 0) {
    line = std::string_view(start, take);
  } else {
    std::memcpy(line_.data() + line_length_, start, take);
    line = std::string_view(line_.data(), line_length_ + take);
    line_length_ = 0;
  }
  pos += take + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

bool ResponseParser::on_status_line(std::string_view line) {
  // "HTTP/1.1 200 OK": version, space, three digits, then a space and a reason or nothing.
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !is_digit(line[7]) || line[8] != ' ' ||
      !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]))
    return false;
  if (line.size() > 12 && line[12] != ' ') return false;
  http10_ = line[7] == '0';
  status_code_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  return status_code_ >= 100;
}

bool ResponseParser::on_header_line(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view name = line.substr(0, colon);
  for (char c : name)
    if (!is_token_char(c)) return false;  // also rejects obsolete line folding
  const std::string_view value = trim(line.substr(colon + 1));

  if (iequals(name, "content-length")) {
    if (value.empty() || value.size() > 15) return false;
    std::uint64_t length = 0;
    for (char c : value) {
      if (!is_digit(c)) return false;
      length = length * 10 + static_cast<std::uint64_t>(c - '0');
    }
    // Repeated Content-Length headers must agree (RFC 7230 3.3.2), else the framing is unknown.
    if (has_content_length_ && length != content_length_) return false;
    has_content_length_ = true;
    content_length_ = length;
  } else if (iequals(name, "transfer-encoding")) {
    // Only the final coding decides the framing: "gzip, chunked" is chunked.
    bool last_is_chunked = false;
    for_each_token(value, [&](std::string_view coding) {
      if (!coding.empty()) last_is_chunked = iequals(coding, "chunked");
    });
    chunked_ = last_is_chunked;
    if (!chunked_) has_content_length_ = false;  // a non-chunked coding: delimited by the close
  } else if (iequals(name, "connection")) {
    for_each_token(value, [&](std::string_view option) {
      if (iequals(option, "close")) connection_close_ = true;
      if (iequals(option, "keep-alive")) connection_keep_alive_ = true;
    });
  }
  return true;
}

void ResponseParser::on_headers_end() {
  keep_alive_ = connection_close_ ? false : (http10_ ? connection_keep_alive_ : true);
  const bool no_body = response_to_head_ || status_code_ == 204 || status_code_ == 304 ||
                       (status_code_ >= 100 && status_code_ < 200);
  if (no_body) {
    state_ = State::done;
  } else if (chunked_) {
    state_ = State::chunk_size;
  } else if (has_content_length_) {
    remaining_ = content_length_;
    state_ = remaining_ == 0 ? State::done : State::body_length;
  } else {
    // Neither length nor chunked: the body runs to the close (RFC 7230 3.3.3, rule 7).
    keep_alive_ = false;
    state_ = State::body_until_close;
  }
}

ResponseParser::Status ResponseParser::parse(const char* data, std::size_t size,
                                             std::size_t& consumed) {
  std::size_t pos = 0;
  std::string_view line;
  auto line_too_long = [&] { return line_length_ > kMaxLineBytes; };

  while (true) {
    switch (state_) {
      case State::status_line:
      case State::header_line:
      case State::trailer_line: {
        const std::size_t before = pos;
        const bool have_line = next_line(data, size, pos, line);
        header_bytes_ += pos - before;
        if (line_too_long()) return consumed = pos, fail("header line too long");
        if (header_bytes_ > kMaxHeaderBytes) return consumed = pos, fail("header section too long");
        if (!have_line) return consumed = pos, Status::need_more;
        if (state_ == State::status_line) {
          if (!on_status_line(line)) return consumed = pos, fail("malformed status line");
          state_ = State::header_line;
        } else if (line.empty()) {
          if (state_ == State::trailer_line) {
            state_ = State::done;
          } else if (status_code_ >= 100 && status_code_ < 200) {
            if (status_code_ == 101)
              return consumed = pos, fail("101 Switching Protocols is not supported");
            // An interim response (100 Continue): the real one follows on the same stream.
            const bool head = response_to_head_;
            reset(head);
          } else {
            on_headers_end();
          }
        } else if (state_ == State::header_line) {
          if (!on_header_line(line)) return consumed = pos, fail("malformed header line");
        }
        // Trailer fields are read and ignored.
        break;
      }
      case State::body_length:
      case State::chunk_data: {
        const std::uint64_t take = std::min<std::uint64_t>(remaining_, size - pos);
        pos += static_cast<std::size_t>(take);
        remaining_ -= take;
        body_bytes_ += take;
        if (remaining_ > 0) return consumed = pos, Status::need_more;
        state_ = state_ == State::body_length ? State::done : State::chunk_data_end;
        break;
      }
      case State::chunk_size: {
        if (!next_line(data, size, pos, line)) {
          if (line_too_long()) return consumed = pos, fail("chunk size line too long");
          return consumed = pos, Status::need_more;
        }
        const std::string_view digits = trim(line.substr(0, line.find(';')));  // drop extensions
        if (digits.empty() || digits.size() > 15)
          return consumed = pos, fail("malformed chunk size");
        std::uint64_t chunk = 0;
        for (char c : digits) {
          int digit = 0;
          if (is_digit(c))
            digit = c - '0';
          else if (lower(c) >= 'a' && lower(c) <= 'f')
            digit = lower(c) - 'a' + 10;
          else
            return consumed = pos, fail("malformed chunk size");
          chunk = chunk * 16 + static_cast<std::uint64_t>(digit);
        }
        remaining_ = chunk;
        state_ = chunk == 0 ? State::trailer_line : State::chunk_data;
        break;
      }
      case State::chunk_data_end: {
        if (!next_line(data, size, pos, line)) {
          if (line_too_long()) return consumed = pos, fail("missing CRLF after chunk data");
          return consumed = pos, Status::need_more;
        }
        if (!line.empty()) return consumed = pos, fail("missing CRLF after chunk data");
        state_ = State::chunk_size;
        break;
      }
      case State::body_until_close:
        body_bytes_ += size - pos;
        return consumed = size, Status::need_more;
      case State::done:
        return consumed = pos, Status::complete;
      case State::failed:
        return consumed = pos, Status::error;
    }
  }
}

ResponseParser::Status ResponseParser::finish_at_eof() {
  switch (state_) {
    case State::body_until_close:
      state_ = State::done;
      return Status::complete;
    case State::done:
      return Status::complete;
    case State::status_line:
      if (line_length_ == 0) return Status::need_more;
      return fail("connection closed inside the status line");
    case State::failed:
      return Status::error;
    default:
      return fail("connection closed before the response was complete");
  }
}

}  // namespace loadgen

// A small server that keeps the contract of CONTRACT.md section 1, or breaks exactly the rules
// named with --break, so that verify's tests can show each check passing and failing.
// Deliberately not like the real servers: blocking sockets, N worker threads that each accept
// and serve one connection at a time, the main thread waiting for SIGTERM/SIGINT.
//
// The service routes (/users/..., /orders) are answered from the vectors file given with
// --vectors (contract/vectors/service.json): a request that matches a vector exactly (method,
// target, Content-Type, body) gets that vector's answer, anything else there a 500. That is
// all verify's tests need (the real servers implement the rules), and it also holds verify to
// sending exactly the vectors' requests. The size limits are real: a body over 64 KiB is 413,
// one declared or found over 1 MiB is 413 with a close; chunked request bodies are decoded.
// Breaks for one vector name it: --break "status:negative id".
//
//   verify_server [--port N] [--bind ADDR] [--threads N] [--break RULE]...
//                 [--header-timeout-ms N] [--idle-timeout-ms N] [--io-max-ms N]
//                 [--live-mb N] [--vectors FILE] [--min-workers N]
// --min-workers N: at least N workers whatever --threads says (a run on a machine that gives the
// server one CPU still answers the concurrent checks; faults_test).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/src.hpp>  // header-only: this helper links no Boost library
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Config {
  int port = 0;
  std::string bind = "127.0.0.1";
  int threads = 0;  // 0: the CPUs of the affinity mask
  std::set<std::string> breaks;
  int header_timeout_ms = 10000;
  int idle_timeout_ms = 60000;
  int io_max_ms = 10000;
  int min_workers = 0;
  int live_mb = 0;
  std::string vectors_file;
  bool broken(const std::string& rule) const { return breaks.count(rule) > 0; }
  // A break for one vector: "status:negative id".
  bool broken(const std::string& rule, const std::string& vector) const {
    return breaks.count(rule + ":" + vector) > 0;
  }
};

Config config;
int listen_fd = -1;
int stop_pipe[2] = {-1, -1};  // readable once the server is stopping
std::atomic<bool> stopping{false};

constexpr std::size_t kHeaderLimit = 8192;
constexpr std::size_t kBodyLimit = 64 * 1024;       // 413, connection kept
constexpr std::size_t kDiscardLimit = 1024 * 1024;  // beyond: 413 and close
const std::string kTextType = "text/plain; charset=utf-8";

// One vector of the service routes: the request it matches and the answer it wants.
struct VectorAnswer {
  std::string name;
  int status = 200;
  std::string content_type;
  std::string body;
  std::string allow;  // empty: no Allow header
};
std::map<std::string, VectorAnswer> vector_answers;  // by vector_key()

std::string vector_key(const std::string& method, const std::string& target,
                       const std::string* content_type, const std::string& body) {
  return method + "\n" + target + "\n" + (content_type ? "=" + *content_type : "-") + "\n" + body;
}
const std::string kUserBody =
    R"({"id":42,"name":"Ada Lovelace","email":"ada@example.com","username":"ada","age":36,)"
    R"("active":true,"role":"admin","country":"GB","city":"London",)"
    R"("created_at":"2026-01-01T00:00:00Z","followers":1024,"tags":["math","computing"],"verified":true})";

[[noreturn]] void usage_error(const std::string& message) {
  if (config.broken("usage-two-lines")) {
    std::fprintf(stderr, "verify_server: %s\nusage: verify_server [--port N] ...\n",
                 message.c_str());
  } else {
    std::fprintf(stderr, "verify_server: %s\n", message.c_str());
  }
  std::exit(config.broken("bad-flag-exit-1") ? 1 : 2);
}

int parse_int(const std::string& flag, const char* text) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value < 0 || value > 1'000'000) {
    usage_error("invalid value '" + std::string(text) + "' for " + flag);
  }
  return static_cast<int>(value);
}

void parse_args(int argc, char** argv) {
  // --break first, so that it can change how bad arguments are reported.
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--break") config.breaks.insert(argv[i + 1]);
  }
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--break") {
      ++i;
      continue;
    }
    bool known = flag == "--port" || flag == "--bind" || flag == "--threads" ||
                 flag == "--header-timeout-ms" || flag == "--idle-timeout-ms" ||
                 flag == "--io-max-ms" || flag == "--live-mb" || flag == "--vectors" ||
                 flag == "--min-workers";
    if (!known) {
      if (config.broken("ignore-bad-flag")) continue;
      usage_error("unknown flag " + flag);
    }
    if (i + 1 >= argc) usage_error("missing value for " + flag);
    const char* value = argv[++i];
    if (flag == "--bind") {
      config.bind = value;
    } else if (flag == "--port") {
      config.port = parse_int(flag, value);
    } else if (flag == "--threads") {
      config.threads = parse_int(flag, value);
      if (config.threads < 1) usage_error("--threads must be at least 1");
    } else if (flag == "--header-timeout-ms") {
      config.header_timeout_ms = parse_int(flag, value);
    } else if (flag == "--idle-timeout-ms") {
      config.idle_timeout_ms = parse_int(flag, value);
    } else if (flag == "--io-max-ms") {
      config.io_max_ms = parse_int(flag, value);
    } else if (flag == "--live-mb") {
      const std::string text = value;
      const bool digits = !text.empty() && text.size() <= 4 &&
                          text.find_first_not_of("0123456789") == std::string::npos;
      if (digits && std::atoi(value) <= 4096) {
        config.live_mb = std::atoi(value);
      } else if (config.broken("live-mb-unnamed")) {
        usage_error("invalid value '" + text + "'");
      } else if (!config.broken("live-mb-lenient")) {
        usage_error("invalid value '" + text + "' for --live-mb (an integer 0..4096)");
      }
    } else if (flag == "--vectors") {
      config.vectors_file = value;
    } else if (flag == "--min-workers") {
      config.min_workers = parse_int(flag, value);
    }
  }
  if (config.threads == 0) {
    cpu_set_t allowed;
    sched_getaffinity(0, sizeof allowed, &allowed);
    config.threads = config.broken("threads-ignore-affinity")
                         ? static_cast<int>(std::thread::hardware_concurrency())
                         : CPU_COUNT(&allowed);
  }
}

std::string http_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  if (config.broken("bad-date")) {
    std::strftime(buf, sizeof buf, "%A, %d-%b-%y %H:%M:%S GMT", &tm);  // RFC 850
  } else {
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  }
  return buf;
}

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string extra_headers;
  bool chunked = false;      // this answer only (--break chunked: every answer)
  bool close_after = false;  // close the connection after it, without saying so
};

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 500:
      return "Internal Server Error";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Unknown";
  }
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string serialize(const Response& r, bool close) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
  if (!config.broken("no-server")) out += "Server: hellobench\r\n";
  if (config.broken("two-servers")) out += "Server: hellobench\r\n";
  std::time_t now = std::time(nullptr);
  if (config.broken("stale-date")) now -= 3600;
  out += "Date: " + http_date(now) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  std::string body = r.body;
  if (config.broken("chunked") || r.chunked) {
    out += "Transfer-Encoding: chunked\r\n";
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", body.size());
    body = size + body + "\r\n0\r\n\r\n";
  } else {
    std::size_t length = body.size();
    if (config.broken("short-length")) --length;  // one stray byte after each body
    out += "Content-Length: " + std::to_string(length) + "\r\n";
  }
  if (close) out += "Connection: close\r\n";
  out += r.extra_headers + "\r\n" + body;
  return out;
}

// Closes after sending, reading what the client still sends for a moment, so the kernel does
// not answer unread data with a reset that could destroy the response in flight.
void lingering_close(int fd) {
  ::shutdown(fd, SHUT_WR);
  char sink[4096];
  auto deadline = Clock::now() + milliseconds(500);
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    if (::recv(fd, sink, sizeof sink, 0) <= 0) break;
  }
  ::close(fd);
}

// RFC 4648 base64 (the vectors carry bodies that are not UTF-8 that way).
std::string base64_decode(const std::string& text) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned group = 0;
  int bits = 0;
  for (char c : text) {
    auto at = alphabet.find(c);
    if (at == std::string::npos) continue;  // '=' padding
    group = (group << 6) | static_cast<unsigned>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((group >> bits) & 0xff));
    }
  }
  return out;
}

// --vectors: every vector's request becomes a key to its answer.
void load_vectors() {
  if (config.vectors_file.empty()) return;
  std::ifstream in(config.vectors_file, std::ios::binary);
  if (!in) usage_error("cannot read --vectors " + config.vectors_file);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto doc = boost::json::parse(text.str(), ec);
  if (ec || !doc.is_object() || !doc.as_object().if_contains("vectors")) {
    usage_error("--vectors " + config.vectors_file + ": not a vectors file");
  }
  for (const auto& item : doc.at("vectors").as_array()) {
    const auto& v = item.as_object();
    auto text_of = [&](const char* key) {
      const auto* value = v.if_contains(key);
      return value ? std::string(value->as_string()) : std::string();
    };
    std::string body = v.if_contains("request_body_base64")
                           ? base64_decode(text_of("request_body_base64"))
                           : text_of("request_body");
    const std::string content_type = text_of("request_content_type");
    const bool has_type = v.if_contains("request_content_type") != nullptr;
    vector_answers[vector_key(text_of("method"), text_of("target"),
                              has_type ? &content_type : nullptr, body)] = {
        text_of("name"), static_cast<int>(v.at("status").as_int64()), text_of("content_type"),
        text_of("body"), text_of("allow")};
  }
}

bool is_service_path(const std::string& path) {
  return path == "/orders" || path == "/users" || path.rfind("/users/", 0) == 0;
}

bool is_json_media_type(std::string value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value == "application/json";
}

Response service_route(const std::string& method, const std::string& target,
                       const std::string* content_type, const std::string& body) {
  const std::string path = target.substr(0, target.find('?'));
  // The size rule before the lookup, so that any big body gets it (a chunked one too).
  if (path == "/orders" && method == "POST" && content_type && is_json_media_type(*content_type) &&
      body.size() > kBodyLimit) {
    return {413, kTextType, "body over 64 KiB", ""};
  }
  auto it = vector_answers.find(vector_key(method, target, content_type, body));
  if (it == vector_answers.end()) {
    return {500, kTextType, "verify_server: no vector matches this request", ""};
  }
  const VectorAnswer& a = it->second;
  Response r{a.status, a.content_type, a.body, a.allow.empty() ? "" : "Allow: " + a.allow + "\r\n"};
  if (config.broken("status", a.name)) r.status = r.status == 404 ? 400 : 404;
  if (config.broken("body-byte", a.name) && !r.body.empty()) {
    char& c = r.body[r.body.size() / 2];
    c = c == 'x' ? 'y' : 'x';
  }
  if (config.broken("no-allow", a.name)) r.extra_headers.clear();
  if (config.broken("chunked", a.name)) r.chunked = true;
  if (config.broken("close-after", a.name)) r.close_after = true;
  return r;
}

Response route(const std::string& method, const std::string& target,
               const std::string* content_type, const std::string& body) {
  std::string path = target.substr(0, target.find('?'));
  // decode-path: routes on the percent-decoded path (/%6Ason is /json), as the contract forbids.
  if (config.broken("decode-path")) {
    for (std::size_t at = 0; (at = path.find('%', at)) != std::string::npos; ++at) {
      if (at + 2 < path.size() && std::isxdigit(static_cast<unsigned char>(path[at + 1])) &&
          std::isxdigit(static_cast<unsigned char>(path[at + 2]))) {
        path.replace(at, 3, 1, static_cast<char>(std::stoi(path.substr(at + 1, 2), nullptr, 16)));
      }
    }
  }
  // Without the service vectors, POST /orders is only what the edge checks need: an empty
  // order such as [] is 422.
  if (vector_answers.empty() && path == "/orders") {
    if (method != "POST") return {405, kTextType, "method not allowed", "Allow: POST\r\n"};
    return {422, kTextType, "invalid order", ""};
  }
  if (!vector_answers.empty() && is_service_path(path)) {
    return service_route(method, target, content_type, body);
  }
  std::string query =
      target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
  bool known = path == "/" || path == "/json" || path == "/user" || path == "/io";
  Response r;
  if (!known) {
    if (config.broken("no-404")) return {200, r.content_type, "Hello, World!", ""};
    return {404, r.content_type, "not found", ""};
  }
  if (method != "GET") {
    return {405, r.content_type, "method not allowed",
            config.broken("no-allow") ? "" : "Allow: GET\r\n"};
  }
  if (path == "/")
    return {200, config.broken("root-content-type") ? "text/plain" : r.content_type,
            config.broken("root-body") ? "Hello World" : "Hello, World!", ""};
  const std::string json_type =
      config.broken("json-content-type") ? "application/json; charset=utf-8" : "application/json";
  if (path == "/json") {
    return {200, json_type,
            config.broken("json-body") ? R"({"message":"Hello World"})"
                                       : R"({"message":"Hello, World!"})",
            ""};
  }
  if (path == "/user") {
    std::string body = kUserBody;
    if (config.broken("user-fields")) body.replace(body.find(R"(,"verified":true)"), 16, "");
    if (config.broken("user-duplicate")) body.replace(body.find(R"("verified")"), 10, R"("id")");
    return {200, json_type, body, ""};
  }
  // /io?ms=N
  std::string value = query.rfind("ms=", 0) == 0 ? query.substr(3) : "";
  bool digits = !value.empty() && value.size() <= 6 &&
                value.find_first_not_of("0123456789") == std::string::npos;
  int ms = digits ? std::atoi(value.c_str()) : -1;
  if (ms < 0 || ms > config.io_max_ms) {
    if (!config.broken("io-lenient"))
      return {400, r.content_type, "ms must be an integer 0..10000", ""};
    ms = 0;
  }
  if (config.broken("io-serialized")) {
    // One wait at a time, as a server whose waits block its only worker would do.
    static std::mutex one_at_a_time;
    std::lock_guard<std::mutex> lock(one_at_a_time);
    std::this_thread::sleep_for(milliseconds(ms));
  } else if (config.broken("io-slow")) {
    std::this_thread::sleep_for(milliseconds(ms + 1200));  // late, as on a stalled machine
  } else if (!config.broken("io-fast")) {
    std::this_thread::sleep_for(milliseconds(ms));
  }
  return {200, r.content_type, "Hello, World!", ""};
}

// Blocking: appends what arrives to buffer; false at the peer's close or an error.
bool receive_more(int fd, std::string& buffer) {
  char chunk[16384];
  ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
  if (got <= 0) return false;
  buffer.append(chunk, static_cast<std::size_t>(got));
  return true;
}

enum class BodyRead { complete, too_big, cut };

// A chunked request body from buffer (and the socket) into body; stops reading at 1 MiB.
BodyRead read_chunked(int fd, std::string& buffer, std::string& body) {
  for (;;) {
    std::size_t line_end;
    while ((line_end = buffer.find("\r\n")) == std::string::npos) {
      if (!receive_more(fd, buffer)) return BodyRead::cut;
    }
    const std::size_t size = std::strtoul(buffer.c_str(), nullptr, 16);
    buffer.erase(0, line_end + 2);
    if (size == 0) {  // no trailers: the final empty line
      while (buffer.size() < 2) {
        if (!receive_more(fd, buffer)) return BodyRead::cut;
      }
      buffer.erase(0, 2);
      return BodyRead::complete;
    }
    if (body.size() + size > kDiscardLimit) return BodyRead::too_big;
    while (buffer.size() < size + 2) {
      if (!receive_more(fd, buffer)) return BodyRead::cut;
    }
    body.append(buffer, 0, size);
    buffer.erase(0, size + 2);
  }
}

void serve(int fd) {
  std::string buffer;
  auto wait_start = Clock::now();
  bool had_request = false;  // the first request's header clock starts at accept
  for (;;) {
    std::size_t header_end = buffer.find("\r\n\r\n");
    const std::size_t limit = config.broken("no-header-limit")      ? 1 << 20
                              : config.broken("small-header-limit") ? 4096
                                                                    : kHeaderLimit;
    if (header_end == std::string::npos || header_end + 4 > limit) {
      if (buffer.size() > limit || (header_end != std::string::npos && header_end + 4 > limit)) {
        Response r{431, "text/plain; charset=utf-8", "request header too large", ""};
        send_all(fd, serialize(r, true));
        lingering_close(fd);
        return;
      }
      // Waiting: for the rest of a header (header timeout) or for a next request (idle timeout).
      bool idle = buffer.empty() && (had_request || config.broken("silent-idle"));
      int timeout_ms = idle ? config.idle_timeout_ms : config.header_timeout_ms;
      if (idle && config.broken("no-idle-timeout")) timeout_ms = -1;
      if (!idle && config.broken("no-header-timeout")) timeout_ms = -1;
      if (!idle && config.broken("early-header-timeout")) timeout_ms /= 2;
      int left = -1;
      if (timeout_ms >= 0) {
        auto deadline = wait_start + milliseconds(timeout_ms);
        left = static_cast<int>(
            std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count());
        if (left <= 0) break;
      }
      pollfd fds[2] = {{fd, POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
      int n = ::poll(fds, 2, left);
      if (n < 0) break;
      if (n == 0) continue;  // the deadline check above ends the connection
      if ((fds[1].revents & POLLIN) && buffer.empty()) break;  // idle at shutdown
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        char chunk[16384];
        ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0) break;
        if (buffer.empty() || config.broken("header-timeout-per-read")) wait_start = Clock::now();
        buffer.append(chunk, static_cast<std::size_t>(got));
      }
      continue;
    }
    // A complete header: "METHOD TARGET VERSION" and fields.
    std::string head = buffer.substr(0, header_end);
    buffer.erase(0, header_end + 4);
    if (config.broken("pipeline-drop")) buffer.clear();
    std::string line = head.substr(0, head.find("\r\n"));
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
      std::size_t space = line.find(' ', start);
      parts.push_back(
          line.substr(start, space == std::string::npos ? std::string::npos : space - start));
      if (space == std::string::npos) break;
      start = space + 1;
    }
    // The edge contract (contract/README.md, "Edges"): a method is any token (case matters:
    // `get` is an unknown method, 405 on a known path); absolute form is the path it names;
    // only HTTP/1.0 and 1.1 (any-version: every HTTP/1.x, as net/http alone would); header
    // names are tokens; HTTP/1.1 needs Host, and no request has two; Content-Length fields agree, and never come with
    // Transfer-Encoding.
    const auto is_token = [](const std::string& t) {
      return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      });
    };
    if (parts.size() == 3 && parts[1].rfind("http://", 0) == 0) {
      const std::size_t slash = parts[1].find('/', 7);
      parts[1] = slash == std::string::npos ? "/" : parts[1].substr(slash);
    }
    const bool version_ok =
        parts.size() == 3 &&
        (parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0" ||
         (config.broken("any-version") && parts[2].size() == 8 && parts[2].rfind("HTTP/1.", 0) == 0));
    bool valid = parts.size() == 3 && is_token(parts[0]) && parts[1].rfind("/", 0) == 0 && version_ok;
    int hosts = 0;
    std::set<std::string> content_lengths;
    bool has_transfer_encoding = false;
    for (std::size_t at = head.find("\r\n"); valid && at != std::string::npos;) {
      const std::size_t next = head.find("\r\n", at + 2);
      const std::string field = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      at = next;
      const std::size_t colon = field.find(':');
      std::string name = field.substr(0, colon);
      if (colon == std::string::npos || !is_token(name)) {
        valid = false;
        break;
      }
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = field.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
      if (name == "host") ++hosts;
      if (name == "content-length") content_lengths.insert(value);
      if (name == "transfer-encoding") has_transfer_encoding = true;
    }
    if (valid && (hosts > 1 || (parts[2] == "HTTP/1.1" && hosts == 0))) valid = false;
    if (content_lengths.size() > 1 || (has_transfer_encoding && !content_lengths.empty())) {
      valid = false;
    }
    if (!valid) {
      if (config.broken("crash-on-malformed")) std::_Exit(3);
      Response r{400, "text/plain; charset=utf-8", "bad request", ""};
      bool keep = config.broken("malformed-keep");
      send_all(fd, serialize(r, !keep));
      if (keep) {
        had_request = true;
        wait_start = Clock::now();
        continue;
      }
      lingering_close(fd);
      return;
    }
    std::string lower_head = head;
    for (char& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool says_close = lower_head.find("\r\nconnection: close") != std::string::npos;
    bool says_keep_alive = lower_head.find("\r\nconnection: keep-alive") != std::string::npos;
    std::size_t content_length = 0;
    if (auto at = lower_head.find("\r\ncontent-length:"); at != std::string::npos) {
      content_length = std::strtoul(lower_head.c_str() + at + 17, nullptr, 10);
    }
    std::optional<std::string> content_type;
    if (auto at = lower_head.find("\r\ncontent-type:"); at != std::string::npos) {
      const std::size_t start = at + 15;
      std::string value = head.substr(start, head.find("\r\n", start) - start);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
      content_type = value;
    }
    std::string body;
    bool too_big = false;
    if (lower_head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
      if (config.broken("no-chunked-requests")) {
        send_all(fd, serialize({400, kTextType, "chunked bodies not supported", ""}, true));
        lingering_close(fd);
        return;
      }
      const BodyRead got = read_chunked(fd, buffer, body);
      if (got == BodyRead::cut) break;
      too_big = got == BodyRead::too_big;
    } else if (content_length > kDiscardLimit && !config.broken("big-body-keep")) {
      too_big = true;  // declared: answered before reading it
    } else {
      while (buffer.size() < content_length && receive_more(fd, buffer)) {
      }
      body = buffer.substr(0, std::min(content_length, buffer.size()));
      buffer.erase(0, body.size());
    }
    if (too_big) {
      send_all(fd, serialize({413, kTextType, "body over 64 KiB", ""}, true));
      lingering_close(fd);
      return;
    }

    bool http10 = parts[2] == "HTTP/1.0";
    bool keep_alive = http10 ? says_keep_alive : !says_close;
    if (http10 && config.broken("http10-keep")) keep_alive = true;
    bool announce_close = !keep_alive;
    if (says_close && config.broken("ignore-close")) keep_alive = true, announce_close = false;
    if (says_close && config.broken("close-without-header")) announce_close = false;
    if (config.broken("no-keep-alive")) keep_alive = false;

    Response r = route(parts[0], parts[1], content_type ? &*content_type : nullptr, body);
    if (!send_all(fd, serialize(r, announce_close))) break;
    if (r.close_after) {
      lingering_close(fd);
      return;
    }
    had_request = true;
    wait_start = Clock::now();
    if (!keep_alive || stopping) {
      // late-close: closes, but 1.5 s after the answer instead of at once.
      if (!keep_alive && config.broken("late-close"))
        std::this_thread::sleep_for(milliseconds(1500));
      lingering_close(fd);
      return;
    }
  }
  ::close(fd);
}

void worker() {
  while (!stopping) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping) return;
      continue;
    }
    serve(fd);
  }
}

// The wildcard address of bind's family.
std::string v6_any_for(const std::string& bind) {
  return bind.find(':') != std::string::npos ? "::" : "0.0.0.0";
}

}  // namespace

int main(int argc, char** argv) {
  parse_args(argc, argv);
  // bind-any: listens everywhere and says so; bind-any-quietly: listens everywhere, says loopback.
  const std::string announced = config.bind;
  if (config.broken("bind-any")) config.bind = "0.0.0.0";
  if (config.broken("bind-any-quietly")) config.bind = v6_any_for(config.bind);

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // workers inherit the mask
  if (::pipe(stop_pipe) != 0) return 1;

  const bool v6 = config.bind.find(':') != std::string::npos;
  listen_fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage address{};
  socklen_t length = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&address);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<std::uint16_t>(config.port));
    if (::inet_pton(AF_INET6, config.bind.c_str(), &a->sin6_addr) != 1)
      usage_error("bad --bind " + config.bind);
    length = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&address);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<std::uint16_t>(config.port));
    if (::inet_pton(AF_INET, config.bind.c_str(), &a->sin_addr) != 1)
      usage_error("bad --bind " + config.bind);
    length = sizeof *a;
  }
  if (::bind(listen_fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listen_fd, 128) != 0) {
    std::fprintf(stderr, "verify_server: cannot listen on %s:%d: %s\n", config.bind.c_str(),
                 config.port, std::strerror(errno));
    return 1;
  }
  ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&address), &length);
  int port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                      : reinterpret_cast<sockaddr_in*>(&address)->sin_port);

  load_vectors();
  // mute: listens and says so, but never accepts, so nothing is ever answered.
  int workers_count = config.broken("threads-extra") ? config.threads * 2 : config.threads;
  if (workers_count < config.min_workers) workers_count = config.min_workers;
  if (config.broken("mute")) workers_count = 0;
  std::vector<std::thread> workers;
  for (int i = 0; i < workers_count; ++i) workers.emplace_back(worker);
  if (!config.broken("no-line")) {
    const std::string& shown = config.broken("bind-any-quietly") ? announced : config.bind;
    std::printf(v6 ? "listening on [%s]:%d\n" : "listening on %s:%d\n", shown.c_str(), port);
    std::fflush(stdout);
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  if (config.broken("no-graceful")) std::_Exit(0);
  if (config.broken("keep-accepting")) std::this_thread::sleep_for(milliseconds(1500));
  stopping = true;
  (void)!::write(stop_pipe[1], "x", 1);
  ::shutdown(listen_fd, SHUT_RDWR);  // wakes the workers blocked in accept
  for (auto& w : workers) w.join();
  if (config.broken("slow-exit")) std::this_thread::sleep_for(milliseconds(3000));
  return config.broken("exit-1-on-term") ? 1 : 0;
}

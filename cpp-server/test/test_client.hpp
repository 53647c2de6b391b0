// Test helpers: a blocking HTTP client on a real socket, a server on a free port, and a child
// process with pipes.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cpp_server/server.hpp"

namespace cpp_server::testing {

using namespace std::chrono_literals;

struct Response {
  unsigned status = 0;
  unsigned version = 0;                       // 10 or 11
  std::map<std::string, std::string> fields;  // names as sent; one value each
  std::string body;
  std::string field(const std::string& name) const {
    auto it = fields.find(name);
    return it == fields.end() ? std::string{} : it->second;
  }
  bool has_field(const std::string& name) const { return fields.count(name) > 0; }
};

// One connection to the server. Reads time out rather than hang a test.
class Client {
 public:
  explicit Client(const boost::asio::ip::tcp::endpoint& server);
  void send(std::string_view bytes);
  // Reads the next response; throws on timeout, EOF or a malformed response.
  Response read_response(std::chrono::milliseconds timeout = 3s);
  // Waits for the server to close: true on EOF (or reset) with no further bytes, false when
  // the connection is still open after `timeout`; throws when bytes arrive instead.
  bool wait_for_close(std::chrono::milliseconds timeout);
  // Sends one request and reads its response.
  Response get(std::string_view target, std::string_view extra_fields = {});

 private:
  boost::asio::io_context context_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// Options with short timeouts, so that timeout behaviour can be tested in a fraction of a
// second; the real defaults are checked by options_test.
ServerOptions quick_options();

// A client that does not read its answers (contract/README.md, "Deadlines"): `count` copies of
// `request` pipelined on a new connection with a 4 KiB receive buffer, nothing read for
// `stall`, then everything read until the server closes or 5 s pass.
struct StalledReader {
  std::size_t answers = 0;  // complete "HTTP/1.1 200 OK" status lines read
  bool closed = false;      // ended by the server's close or reset, not by the 5 s limit
};
StalledReader pipeline_and_stall(const boost::asio::ip::tcp::endpoint& server,
                                 std::string_view request, std::size_t count,
                                 std::chrono::milliseconds stall);

// 20,000 answers of GET /user (about 420 bytes each, 8 MiB) are more than a 4 KiB receive
// window and the server's send buffer (at most 4 MiB here: net.ipv4.tcp_wmem) can hold, so the
// server's write blocks while the client does not read.
inline constexpr std::size_t kStalledAnswers = 20'000;

// A Server on 127.0.0.1 and a free port, started, and stopped and joined on destruction.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options = quick_options());
  ~RunningServer();
  boost::asio::ip::tcp::endpoint endpoint() const { return endpoint_; }
  Server& server() { return *server_; }

 private:
  std::unique_ptr<Server> server_;
  boost::asio::ip::tcp::endpoint endpoint_;
};

// A child process with stdout and stderr on pipes; killed (SIGKILL) on destruction if alive.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args);
  ~ChildProcess();
  // The next line of stdout (without '\n'), or nullopt on EOF or timeout.
  std::optional<std::string> read_stdout_line(std::chrono::milliseconds timeout);
  // All of stderr up to EOF (call after the process ended).
  std::string read_all_stderr();
  void send_signal(int signal_number);
  // The exit code, or nullopt when it has not exited within `timeout`; -N for signal N.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string stdout_pending_;
  std::optional<int> exit_code_;
};

}  // namespace cpp_server::testing

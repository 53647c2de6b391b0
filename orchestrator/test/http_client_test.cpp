// HttpConnection against a scripted peer on a real loopback socket: the peer accepts one
// connection, reads what the client sends, writes its script piece by piece, then closes
// (orderly or with a reset).
#include "verify/http_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace hellobench {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class ScriptedPeer {
 public:
  enum class End { close, reset, stay_open };

  // pieces are written one by one, pause apart, after the first request bytes arrive.
  ScriptedPeer(std::vector<std::string> pieces, End end, std::chrono::milliseconds pause = 20ms)
      : pieces_(std::move(pieces)), end_(end), pause_(pause) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(listen_fd_, 1);
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedPeer() {
    thread_.join();
    close(listen_fd_);
  }
  std::uint16_t port() const { return port_; }
  std::string received() {
    thread_.join();
    thread_ = std::thread([] {});
    return received_;
  }

 private:
  void run() {
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) received_.assign(buf, static_cast<std::size_t>(n));
    for (const auto& piece : pieces_) {
      std::this_thread::sleep_for(pause_);
      send(fd, piece.data(), piece.size(), MSG_NOSIGNAL);
    }
    if (end_ == End::stay_open) std::this_thread::sleep_for(1s);
    if (end_ == End::reset) {
      std::this_thread::sleep_for(pause_);
      linger hard{1, 0};  // close with RST instead of FIN
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    close(fd);
  }

  std::vector<std::string> pieces_;
  End end_;
  std::chrono::milliseconds pause_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string received_;
};

const std::string kHello =
    "HTTP/1.1 200 OK\r\nServer: hellobench\r\nContent-Length: 13\r\nContent-Type: "
    "text/plain\r\n\r\n"
    "Hello, World!";
const std::string kJson =
    "HTTP/1.1 200 OK\r\nContent-Length: 27\r\n\r\n{\"message\":\"Hello, World!\"}";

HttpConnection connect_to(const ScriptedPeer& peer) {
  return HttpConnection::connect("127.0.0.1", peer.port(), 2s);
}

TEST(HttpClient, SendsTheBytesAsGiven) {
  ScriptedPeer peer({kHello}, ScriptedPeer::End::close);
  auto c = connect_to(peer);
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1s);
  c.read_response(2s);
  EXPECT_EQ(peer.received(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
}

TEST(HttpClient, ParsesStatusHeadersAndBody) {
  ScriptedPeer peer({kHello}, ScriptedPeer::End::close);
  auto c = connect_to(peer);
  c.send(http_get("/", "x"), 1s);
  auto r = c.read_response(2s);
  EXPECT_EQ(r.version, 11u);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.body, "Hello, World!");
  EXPECT_EQ(r.header("server"), "hellobench");  // names match case-insensitively
  const std::vector<std::string> names = {"content-length", "content-type", "server"};
  EXPECT_EQ(r.header_names(), names);
}

TEST(HttpClient, ReadsPipelinedResponsesOneAtATime) {
  ScriptedPeer peer({kHello + kJson}, ScriptedPeer::End::close);  // both in one write
  auto c = connect_to(peer);
  c.send(http_get("/", "x") + http_get("/json", "x"), 1s);
  EXPECT_EQ(c.read_response(2s).body, "Hello, World!");
  EXPECT_EQ(c.buffered(), kJson);  // the second answer waits in the buffer
  EXPECT_EQ(c.read_response(2s).body, "{\"message\":\"Hello, World!\"}");
  EXPECT_EQ(c.buffered(), "");
}

TEST(HttpClient, ReassemblesAResponseSplitAcrossWrites) {
  ScriptedPeer peer({"HTTP/1.1 200 OK\r\nContent-Le", "ngth: 13\r\n\r\nHello", ", World!"},
                    ScriptedPeer::End::stay_open);
  auto c = connect_to(peer);
  c.send(http_get("/", "x"), 1s);
  EXPECT_EQ(c.read_response(2s).body, "Hello, World!");
}

TEST(HttpClient, ReadsABodyThatEndsWithTheClose) {
  ScriptedPeer peer({"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n", "400 Bad Request"},
                    ScriptedPeer::End::close);
  auto c = connect_to(peer);
  c.send("NOT HTTP\r\n\r\n", 1s);
  auto r = c.read_response(2s);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "400 Bad Request");
  EXPECT_TRUE(c.peer_closed());
}

TEST(HttpClient, ThrowsWhenTheConnectionClosesMidResponse) {
  ScriptedPeer peer({"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello"},
                    ScriptedPeer::End::close);
  auto c = connect_to(peer);
  c.send(http_get("/", "x"), 1s);
  try {
    c.read_response(2s);
    FAIL() << "read_response should have thrown";
  } catch (const HttpClientError& e) {
    EXPECT_STREQ(e.what(), "connection closed in the middle of a response");
  }
}

TEST(HttpClient, ThrowsWhenTheConnectionClosesWithoutAResponse) {
  ScriptedPeer peer({}, ScriptedPeer::End::close);
  auto c = connect_to(peer);
  c.send(http_get("/", "x"), 1s);
  try {
    c.read_response(2s);
    FAIL() << "read_response should have thrown";
  } catch (const HttpClientError& e) {
    EXPECT_STREQ(e.what(), "connection closed without a response");
  }
}

TEST(HttpClient, ThrowsOnAMalformedResponse) {
  ScriptedPeer peer({"HTTP/1.1 OK 200\r\n\r\n"}, ScriptedPeer::End::close);
  auto c = connect_to(peer);
  c.send(http_get("/", "x"), 1s);
  try {
    c.read_response(2s);
    FAIL() << "read_response should have thrown";
  } catch (const HttpClientError& e) {
    EXPECT_THAT(e.what(), HasSubstr("malformed response"));
  }
}

TEST(HttpClient, TimesOutWhenNoAnswerComes) {
  ScriptedPeer peer({}, ScriptedPeer::End::stay_open);
  auto c = connect_to(peer);
  c.send(http_get("/", "x"), 1s);
  auto start = std::chrono::steady_clock::now();
  try {
    c.read_response(200ms);
    FAIL() << "read_response should have thrown";
  } catch (const HttpClientError& e) {
    EXPECT_STREQ(e.what(), "timed out waiting for the response (200 ms)");
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
}

TEST(HttpClient, SeesAnOrderlyCloseAndTheBytesBeforeIt) {
  ScriptedPeer peer({"HTTP/1.1 408 Request Timeout\r\n\r\n"}, ScriptedPeer::End::close);
  auto c = connect_to(peer);
  c.send("GET / HTTP/1.1\r\n", 1s);
  auto closed = c.wait_for_close(2s);
  EXPECT_EQ(closed.outcome, PeerClose::Outcome::closed);
  EXPECT_EQ(closed.data, "HTTP/1.1 408 Request Timeout\r\n\r\n");
}

TEST(HttpClient, TellsAResetFromAnOrderlyClose) {
  ScriptedPeer peer({}, ScriptedPeer::End::reset);
  auto c = connect_to(peer);
  c.send("GET / HTTP/1.1\r\n", 1s);
  EXPECT_EQ(c.wait_for_close(2s).outcome, PeerClose::Outcome::reset);
}

TEST(HttpClient, ReportsAConnectionStillOpenAtTheTimeout) {
  ScriptedPeer peer({}, ScriptedPeer::End::stay_open);
  auto c = connect_to(peer);
  c.send("GET / HTTP/1.1\r\n", 1s);
  auto closed = c.wait_for_close(150ms);
  EXPECT_EQ(closed.outcome, PeerClose::Outcome::still_open);
  EXPECT_GE(closed.after, 150ms);
}

TEST(HttpClient, ReportsARefusedConnection) {
  std::uint16_t port;
  {
    ScriptedPeer peer({}, ScriptedPeer::End::close);
    port = peer.port();
    auto c = connect_to(peer);  // lets the peer's thread finish
  }
  try {
    HttpConnection::connect("127.0.0.1", port, 1s);
    FAIL() << "connect should have thrown";
  } catch (const HttpClientError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  }
}

TEST(HttpClient, FormatsAGetRequest) {
  EXPECT_EQ(http_get("/json", "127.0.0.1:8080", "Connection: close\r\n"),
            "GET /json HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace hellobench

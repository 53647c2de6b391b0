// bare-responder: the floor for server CPU per request. One thread, one epoll loop; every read
// on a connection is answered with the same fixed bytes, whatever (and however many requests)
// it held. It parses nothing, formats nothing (the Date is frozen) and allocates nothing per
// request, so what it costs is the kernel's share: accept, epoll_wait, read, write.
// Not an HTTP server: a benchmark instrument only. Usage: bare-responder [--port N]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

// The same size and shape as the servers' answer to GET /.
constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Server: hellobench\r\n"
    "Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 13\r\n"
    "\r\n"
    "Hello, World!";

volatile sig_atomic_t stop_requested = 0;
void on_stop_signal(int) { stop_requested = 1; }

int fail(const char* what) {
  std::fprintf(stderr, "bare-responder: %s: %s\n", what, std::strerror(errno));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  long port = 8080;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      char* end = nullptr;
      port = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || port < 0 || port > 65535) {
        std::fprintf(stderr, "bare-responder: --port: %s is not a port number (0..65535)\n",
                     argv[i]);
        return 2;
      }
    } else if (arg == "--threads" && i + 1 < argc) {
      ++i;  // accepted for a uniform command line; always one thread
    } else {
      std::fprintf(stderr, "bare-responder: unexpected argument %s\n", argv[i]);
      return 2;
    }
  }

  struct sigaction action {};
  action.sa_handler = on_stop_signal;  // no SA_RESTART: epoll_wait returns EINTR
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener < 0) return fail("socket");
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return fail("bind");
  }
  if (listen(listener, SOMAXCONN) != 0) return fail("listen");
  socklen_t length = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);

  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  if (epoll < 0) return fail("epoll_create1");
  epoll_event listen_event{};
  listen_event.events = EPOLLIN;
  listen_event.data.fd = listener;
  epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &listen_event);

  std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(ntohs(address.sin_port)));
  std::fflush(stdout);

  char buffer[16 * 1024];
  epoll_event events[256];
  while (!stop_requested) {
    const int ready = epoll_wait(epoll, events, 256, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return fail("epoll_wait");
    }
    for (int i = 0; i < ready; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        for (;;) {
          const int client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (client < 0) break;
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event client_event{};
          client_event.events = EPOLLIN;  // level-triggered: one read per wake-up is enough
          client_event.data.fd = client;
          epoll_ctl(epoll, EPOLL_CTL_ADD, client, &client_event);
        }
        continue;
      }
      const ssize_t n = read(fd, buffer, sizeof buffer);
      if (n > 0) {
        // A full socket buffer would mean a client that does not read: drop it.
        if (write(fd, kResponse.data(), kResponse.size()) !=
            static_cast<ssize_t>(kResponse.size())) {
          close(fd);
        }
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(fd);  // closing also removes it from the epoll set
      }
    }
  }
  return 0;
}

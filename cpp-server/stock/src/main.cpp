// cpp-stock-server: parse the command line, serve until SIGTERM or SIGINT, map errors to exit
// codes (2: bad arguments, 1: cannot serve).
#include <pthread.h>
#include <signal.h>

#include <exception>
#include <iostream>

#include "cpp_stock/options.hpp"
#include "cpp_stock/server.hpp"

int main(int argc, char** argv) {
  cpp_stock::CommandLine command_line;
  try {
    command_line = cpp_stock::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const cpp_stock::UsageError& error) {
    std::cerr << "cpp-stock-server: " << error.what() << '\n';
    return 2;
  }
  if (command_line.help_requested) {
    std::cout << command_line.help_text;
    return 0;
  }

  // Blocked before any thread starts, so that they arrive at sigwait() below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    cpp_stock::Server server(command_line.options);
    server.start();
    std::cout << "listening on " << server.local_endpoint() << std::endl;  // flushed
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    server.stop();
    server.wait();
  } catch (const std::exception& error) {
    std::cerr << "cpp-stock-server: " << error.what() << '\n';
    return 1;
  }
  return 0;
}

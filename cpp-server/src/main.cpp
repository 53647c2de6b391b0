// cpp-server: parse the command line, serve until SIGTERM or SIGINT, map errors to exit codes.
#include <pthread.h>
#include <signal.h>

#include <exception>
#include <iostream>

#include "cpp_server/options.hpp"
#include "cpp_server/server.hpp"

int main(int argc, char** argv) {
  cpp_server::CommandLine command_line;
  try {
    command_line = cpp_server::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const cpp_server::UsageError& error) {
    std::cerr << "cpp-server: " << error.what() << '\n';
    return 2;
  }
  if (command_line.help_requested) {
    std::cout << command_line.help_text;
    return 0;
  }

  // Blocked before any thread starts, so every thread inherits the mask and the signals wait
  // for sigwait() below instead of interrupting a worker.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    cpp_server::Server server(command_line.options);
    server.start();
    std::cout << "listening on " << cpp_server::format_endpoint(server.local_endpoint())
              << std::endl;  // endl flushes: whoever started us waits for this line
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    server.stop();
    server.wait();
  } catch (const std::exception& error) {
    std::cerr << "cpp-server: " << error.what() << '\n';
    return 1;
  }
  return 0;
}

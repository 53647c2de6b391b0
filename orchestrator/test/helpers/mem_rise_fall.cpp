// Test helper: memory that rises and falls on a known schedule. Prints "ready", stays at its
// baseline for LOW_MS, maps and touches MIB mebibytes, holds them HIGH_MS, unmaps them, stays at
// the baseline for LOW_MS again, prints "done" and waits to be killed (at most 60 s).
//   mem_rise_fall MIB LOW_MS HIGH_MS
#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: mem_rise_fall MIB LOW_MS HIGH_MS\n");
    return 2;
  }
  const std::size_t bytes = std::strtoull(argv[1], nullptr, 10) << 20;
  const std::chrono::milliseconds low(std::atoi(argv[2]));
  const std::chrono::milliseconds high(std::atoi(argv[3]));
  std::printf("ready\n");
  std::fflush(stdout);
  std::this_thread::sleep_for(low);
  void* block = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (block == MAP_FAILED) {
    std::perror("mmap");
    return 1;
  }
  std::memset(block, 0x5a, bytes);
  std::this_thread::sleep_for(high);
  munmap(block, bytes);  // returned to the kernel at once, unlike free() of a heap block
  std::this_thread::sleep_for(low);
  std::printf("done\n");
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(60));
  return 0;
}

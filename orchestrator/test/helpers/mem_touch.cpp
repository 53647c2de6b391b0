// Test helper: a process whose resident memory is known. Maps MIB mebibytes of anonymous
// memory, writes to every page (so each is resident), starts EXTRA_THREADS idle threads, prints
// "ready" and waits to be killed (at most 60 s, so it never outlives a broken test).
//   mem_touch MIB [EXTRA_THREADS]
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: mem_touch MIB [EXTRA_THREADS]\n");
    return 2;
  }
  const std::size_t mib = std::strtoull(argv[1], nullptr, 10);
  const int extra_threads = argc == 3 ? std::atoi(argv[2]) : 0;
  const std::size_t bytes = mib << 20;
  if (bytes > 0) {
    void* block = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) {
      std::perror("mmap");
      return 1;
    }
    // Non-zero bytes: a page that is only read could stay mapped to the shared zero page.
    std::memset(block, 0x5a, bytes);
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < extra_threads; ++i) {
    threads.emplace_back([] { std::this_thread::sleep_for(std::chrono::seconds(60)); });
  }
  std::printf("ready\n");
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(60));
  for (auto& t : threads) t.detach();
  return 0;
}

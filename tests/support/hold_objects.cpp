// remora-test-hold-objects ADDRESS COUNT: a client runtime that makes COUNT
// objects on the memory node at ADDRESS (through a small cache, so nearly all
// go home), prints "holding", and holds them until it is killed: the client
// that dies, for tests of leases.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "remora/remora.hpp"
#include "tests/support/usage.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    return remora::testing::usage(argc, argv, "usage: remora-test-hold-objects HOST:PORT COUNT");
  }
  struct object {
    std::uint64_t words[128];  // 1 KiB
  };
  remora::Runtime rt(remora::Options{}.memory_node(argv[1]).dram_cache(4 << 20));
  std::vector<remora::UniquePtr<object>> held;
  for (unsigned long i = 0, n = std::stoul(argv[2]); i < n; ++i)
    held.push_back(rt.make_unique<object>(object{{i}}));
  std::printf("holding %zu objects\n", held.size());
  std::fflush(stdout);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

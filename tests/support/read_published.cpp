// remora-test-read-published HOST:PORT[,HOST:PORT...] NAME [hold]: a client runtime in a
// process of its own that opens the array published as NAME (64-bit
// elements, element i holding 7i + 3), reads all of it on two threads at
// once through a small cache, and prints "read N wrong W". With "hold" it
// then prints "viewing" and keeps its view until it is killed: the reader
// that dies, for tests of sharing.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "remora/remora.hpp"
#include "tests/support/usage.hpp"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4 || (argc == 4 && std::string(argv[3]) != "hold")) {
    return remora::testing::usage(argc, argv,
                                  "usage: remora-test-read-published HOST:PORT[,...] NAME [hold]");
  }
  try {
    remora::Options options;
    for (std::string nodes = argv[1]; !nodes.empty();) {
      const auto comma = nodes.find(',');
      options.memory_node(nodes.substr(0, comma));
      nodes = comma == std::string::npos ? "" : nodes.substr(comma + 1);
    }
    remora::Runtime rt(options.dram_cache(4 << 20));
    remora::ArrayView<std::uint64_t> view = rt.open_array<std::uint64_t>(argv[2]);
    std::atomic<std::uint64_t> read{0}, wrong{0};
    auto half = [&](std::size_t from, std::size_t to) {
      remora::ArrayView<std::uint64_t> mine = view;  // a copy: the same view
      mine.prefetch(remora::order::sequential(from, to));
      for (std::size_t i = from; i < to;) {
        remora::DerefScope scope;
        auto span = mine.span(scope, i);
        for (std::size_t k = 0; k < span.size() && i + k < to; ++k)
          wrong += span[k] != 7 * (i + k) + 3;
        const std::size_t n = std::min(span.size(), to - i);
        read += n;
        i += n;
      }
    };
    std::thread other(half, view.size() / 2, view.size());
    half(0, view.size() / 2);
    other.join();
    std::printf("read %llu wrong %llu\n", static_cast<unsigned long long>(read.load()),
                static_cast<unsigned long long>(wrong.load()));
    std::fflush(stdout);
    if (argc == 4)
      for (std::puts("viewing"), std::fflush(stdout);;)
        std::this_thread::sleep_for(std::chrono::seconds(1));
    return wrong == 0 && read == view.size() ? 0 : 1;
  } catch (const remora::Error& e) {
    std::printf("error %s\n", e.what());
    return 1;
  }
}

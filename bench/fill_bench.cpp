// remora-bench-fill: how fast a client fills a running memory node with
// small objects through the public API, the way a table of millions of rows
// is loaded: make_unique one object at a time through a local cache far
// smaller than the objects, so that nearly every object is written home
// (the evacuator's batches: the node's alloc, then one-sided puts). Then a
// sample of the objects is read back and checked. Prints
//   objects=N size=64 cache=BYTES made_per_s=R writebacks=W seconds=S
//   remora-bench-fill --node=HOST:PORT [--objects=2000000] [--dram-cache=16MiB]
#include <array>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench/driver.hpp"
#include "remora/remora.hpp"

namespace {

using remora::bench::clock_type;
using remora::bench::fail;
using remora::bench::seconds_since;

// A 64-byte row: its index in every word, so a row mixed up with another shows.
struct row {
  std::array<std::uint64_t, 8> words;
};

row row_of(std::uint64_t i) {
  row r;
  r.words.fill(i);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string node;
  std::uint64_t objects = 2'000'000, cache = 16ull << 20;
  CLI::App app{"Fills a memory node with 64-byte objects through a small local cache.",
               "remora-bench-fill"};
  remora::cli::standard(app);
  app.add_option("--node", node, "a running memory node")->type_name("HOST:PORT")->required();
  app.add_option("--objects", objects, "objects to make")->check(CLI::PositiveNumber);
  remora::cli::add_bytes(app, "--dram-cache", cache, "the local cache")->default_str("16MiB");
  if (auto code = remora::cli::parse(app, argc, argv)) return *code;
  return remora::cli::run("remora-bench-fill", [&] {
    remora::Runtime rt(remora::Options{}.memory_node(node).dram_cache(cache));
    std::vector<remora::UniquePtr<row>> made;
    made.reserve(objects);
    const auto start = clock_type::now();
    for (std::uint64_t i = 0; i < objects; ++i) made.push_back(rt.make_unique<row>(row_of(i)));
    const double seconds = seconds_since(start);
    const auto stats = rt.stats();
    // Every object read back from a sample, most of them from the node.
    std::mt19937_64 rng(7);
    for (int k = 0; k < 20000; ++k) {
      const std::uint64_t i = rng() % objects;
      const row got = made[i].read(), want = row_of(i);
      if (std::memcmp(&got, &want, sizeof(row)) != 0)
        fail("object " + std::to_string(i) + " read back wrong bytes");
    }
    std::printf("objects=%llu size=%zu cache=%llu made_per_s=%.0f writebacks=%llu seconds=%.3f\n",
                (unsigned long long)objects, sizeof(row), (unsigned long long)cache,
                static_cast<double>(objects) / seconds, (unsigned long long)stats.writebacks,
                seconds);
    return 0;
  });
}

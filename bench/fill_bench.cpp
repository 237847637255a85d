// remora-bench-fill: how fast a client fills a running memory node with
// small objects through the public API, the way a table of millions of rows
// is loaded: make_unique one object at a time through a local cache far
// smaller than the objects, so that nearly every object is written home
// (the evacuator's batches: small objects with their allocation, larger ones
// allocated, then put one-sided). Then a sample of the objects is read back
// and checked. Prints
//   objects=N size=B cache=BYTES made_per_s=R writebacks=W seconds=S
//   remora-bench-fill --node=HOST:PORT [--objects=2000000] [--size=64]
//                     [--dram-cache=16MiB]
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

// A row of `Bytes`: its index in every word, so a row mixed up with another
// shows.
template <std::size_t Bytes>
struct row {
  std::array<std::uint64_t, Bytes / 8> words;
};

template <std::size_t Bytes>
row<Bytes> row_of(std::uint64_t i) {
  row<Bytes> r;
  r.words.fill(i);
  return r;
}

template <std::size_t Bytes>
void fill(remora::Runtime& rt, std::uint64_t objects, std::uint64_t cache) {
  std::vector<remora::UniquePtr<row<Bytes>>> made;
  made.reserve(objects);
  const auto start = clock_type::now();
  for (std::uint64_t i = 0; i < objects; ++i)
    made.push_back(rt.make_unique<row<Bytes>>(row_of<Bytes>(i)));
  const double seconds = seconds_since(start);
  const auto stats = rt.stats();
  // Every object read back from a sample, most of them from the node.
  std::mt19937_64 rng(7);
  for (int k = 0; k < 20000; ++k) {
    const std::uint64_t i = rng() % objects;
    const row<Bytes> got = made[i].read(), want = row_of<Bytes>(i);
    if (std::memcmp(&got, &want, Bytes) != 0)
      fail("object " + std::to_string(i) + " read back wrong bytes");
  }
  std::printf("objects=%llu size=%zu cache=%llu made_per_s=%.0f writebacks=%llu seconds=%.3f\n",
              (unsigned long long)objects, Bytes, (unsigned long long)cache,
              static_cast<double>(objects) / seconds, (unsigned long long)stats.writebacks,
              seconds);
}

}  // namespace

int main(int argc, char** argv) {
  std::string node;
  std::uint64_t objects = 2'000'000, cache = 16ull << 20;
  std::size_t size = 64;
  remora::cli::command_line app{
      "Fills a memory node with small objects through a small local cache.", "remora-bench-fill"};
  app.add("--node", node, "a running memory node").type_name("HOST:PORT").required();
  app.add("--objects", objects, "objects to make").positive();
  app.add("--size", size, "each object's bytes")
      .one_of({"64", "128", "256", "1024", "4096", "8192", "16384"});
  app.bytes("--dram-cache", cache, "the local cache").default_text("16MiB");
  if (auto code = app.parse(argc, argv)) return *code;
  return remora::cli::run("remora-bench-fill", [&] {
    remora::Runtime rt(remora::Options{}.memory_node(node).dram_cache(cache));
    switch (size) {
      case 64:
        fill<64>(rt, objects, cache);
        break;
      case 128:
        fill<128>(rt, objects, cache);
        break;
      case 256:
        fill<256>(rt, objects, cache);
        break;
      case 1024:
        fill<1024>(rt, objects, cache);
        break;
      case 4096:
        fill<4096>(rt, objects, cache);
        break;
      case 8192:
        fill<8192>(rt, objects, cache);
        break;
      default:
        fill<16384>(rt, objects, cache);
        break;
    }
    return 0;
  });
}

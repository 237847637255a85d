// Options::compress_links against a real remora-memnode over UCX tcp: chunks
// that pack go home packed and come back right through every read path
// (at, span, read apart), moving fewer bytes; what does not pack goes raw;
// a runtime that does not pack reads the packed chunks of one that does
// (a published array); over shared memory nothing is packed.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "client/packed_objects.hpp"
#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/fill_array.hpp"
#include "tests/support/forced_transports.hpp"

using namespace std::chrono_literals;
using remora::testing::start_node;
using compression = remora::Options::compression;

namespace {

constexpr std::size_t elements = 4 << 20;  // 16 MiB of uint32: 4x the 4 MiB cache

// Slowly climbing ids, as a CSR's targets: zstd packs them well.
std::uint32_t packs(std::size_t i) {
  return static_cast<std::uint32_t>(i / 3 + (i % 3) * 5);
}
// A hash of i: nothing to pack.
std::uint32_t noise(std::size_t i) {
  std::uint64_t x = i * 0x9e3779b97f4a7c15ULL;
  x ^= x >> 31;
  return static_cast<std::uint32_t>(x * 0xbf58476d1ce4e5b9ULL >> 32);
}

// A 4 MiB cache, the node at `where`, packing as `mode` says.
remora::Options options_for(const std::string& where, compression mode) {
  return remora::Options{}.dram_cache(4 << 20).memory_node(where).compress_links(mode).timeout(20s);
}

template <class F>
remora::Array<std::uint32_t> filled(remora::Runtime& rt, F value) {
  auto a = rt.make_array<std::uint32_t>(elements);
  remora::testing::fill_array(a, value);
  return a;
}

template <class A, class F>
std::size_t wrong_in_order(const A& a, F value) {
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < elements;) {
    remora::DerefScope scope;
    auto span = a.span(scope, i);
    for (std::size_t k = 0; k < span.size(); ++k) wrong += span[k] != value(i + k);
    i += span.size();
  }
  return wrong;
}

}  // namespace

TEST_CASE("compress_links over tcp: packed chunks read back right, at a fraction of their bytes",
          "[client][packed]") {
  remora::testing::forced_transports tcp("tcp");
  remora::testing::child_process node({REMORA_MEMNODE, "--port=0", "--capacity=256MiB"});
  const std::string where = start_node(node);
  remora::Runtime rt(options_for(where, compression::always));
  auto a = filled(rt, packs);
  auto b = filled(rt, noise);
  const auto before = rt.stats();
  CHECK(before.writebacks > 0);

  // In order (whole chunks, prefetched in batches).
  CHECK(wrong_in_order(a, packs) == 0);
  const auto after_scan = rt.stats();
  CHECK(after_scan.packed_reads > 0);
  CHECK(after_scan.packed_bytes_saved > after_scan.packed_reads * 4096);

  // What did not pack went raw, and reads back the same.
  CHECK(wrong_in_order(b, noise) == 0);
  CHECK(rt.stats().packed_reads == after_scan.packed_reads);

  // At random: at() (a chunk a miss) and read() (past a window of misses,
  // the element alone from home, out of its packed chunk).
  std::mt19937_64 rng(9);
  std::size_t wrong = 0;
  for (int n = 0; n < 3000; ++n) {
    const std::size_t i = rng() % elements;
    remora::DerefScope scope;
    wrong += a.at(scope, i) != packs(i);
  }
  for (int n = 0; n < 3000; ++n) {
    const std::size_t i = rng() % elements;
    wrong += a.read(i) != packs(i);
  }
  CHECK(wrong == 0);

  // Written again (each chunk rewritten), evicted and read back.
  for (std::size_t i = 0; i < elements; i += 4096) a.write(i, 7);
  std::size_t changed = 0;
  for (std::size_t i = 0; i < elements; i += 4096) changed += a.read(i) == 7;
  CHECK(changed == elements / 4096);
}

TEST_CASE("a runtime that does not pack reads a published array another packed",
          "[client][packed]") {
  remora::testing::forced_transports tcp("tcp");
  remora::testing::child_process node({REMORA_MEMNODE, "--port=0", "--capacity=256MiB"});
  const std::string where = start_node(node);
  remora::Runtime packer(options_for(where, compression::always));
  auto view = packer.publish("packed", filled(packer, packs));
  CHECK(wrong_in_order(view, packs) == 0);
  CHECK(packer.stats().packed_reads > 0);

  remora::Runtime reader(options_for(where, compression::off));
  auto theirs = reader.open_array<std::uint32_t>("packed");
  CHECK(wrong_in_order(theirs, packs) == 0);
  CHECK(reader.stats().packed_reads == 0);  // read whole, unpacked all the same
  theirs = {};
  view = {};
  packer.unpublish("packed");
}

TEST_CASE("over shared memory compress_links packs nothing", "[client][packed]") {
  remora::testing::child_process node({REMORA_MEMNODE, "--port=0", "--capacity=256MiB"});
  remora::Runtime rt(options_for(start_node(node), compression::always));
  auto a = filled(rt, packs);
  CHECK(wrong_in_order(a, packs) == 0);
  CHECK(rt.stats().packed_reads == 0);
  CHECK(rt.stats().bytes_in >= elements * sizeof(std::uint32_t) / 2);
}

TEST_CASE("slow_links packs for the links measured slower than unpacking, and only those",
          "[client][packed]") {
  remora::client::packed_objects slow(compression::slow_links, 4);
  constexpr std::size_t batch = 1 << 20;
  CHECK_FALSE(slow.packs_for(0, true));  // not measured yet
  slow.timed(0, batch, 0.01);            // 0.1 GB/s: a 1 Gbit/s link
  slow.timed(1, batch, 0.0005);          // 2 GB/s
  slow.timed(2, 4096, 1.0);              // too small a batch to say
  CHECK(slow.packs_for(0, true));
  CHECK_FALSE(slow.packs_for(0, false));  // shared memory
  CHECK_FALSE(slow.packs_for(1, true));
  CHECK_FALSE(slow.packs_for(2, true));
  // A link that got faster stops packing once its pace says so.
  for (int i = 0; i < 20; ++i) slow.timed(0, batch, 0.0005);
  CHECK_FALSE(slow.packs_for(0, true));

  remora::client::packed_objects always(compression::always, 4), off(compression::off, 4);
  CHECK(always.packs_for(3, true));
  CHECK_FALSE(always.packs_for(3, false));
  off.timed(0, batch, 0.01);
  CHECK_FALSE(off.packs_for(0, true));
}

TEST_CASE("slow_links over tcp: whatever it chooses, every chunk reads back right",
          "[client][packed]") {
  remora::testing::forced_transports tcp("tcp");
  remora::testing::child_process node({REMORA_MEMNODE, "--port=0", "--capacity=256MiB"});
  remora::Runtime rt(options_for(start_node(node), compression::slow_links));
  auto a = filled(rt, packs);
  CHECK(wrong_in_order(a, packs) == 0);
  CHECK(wrong_in_order(a, packs) == 0);
}

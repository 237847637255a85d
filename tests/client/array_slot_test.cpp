// A scope's chunk slot (Array::at checks it first): whatever it remembers,
// every element read through it is the right array's, every write through
// it reaches home, and nothing it remembers outlives what it points at.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "remora/remora.hpp"
#include "tests/support/fill_array.hpp"

namespace {

constexpr std::uint64_t slot_test_cache = 4 << 20;

remora::Options slot_test_options() {
  return remora::Options{}.dram_cache(slot_test_cache).embedded_capacity(256ull << 20);
}

remora::Array<std::uint64_t> filled(remora::Runtime& rt, std::size_t n, std::uint64_t factor) {
  auto a = rt.make_array<std::uint64_t>(n);
  remora::testing::fill_array(a, [factor](std::size_t i) { return i * factor + 1; });
  return a;
}

}  // namespace

TEST_CASE("two arrays read over the same indices in one scope each give their own elements",
          "[client][array][slot]") {
  remora::Runtime rt(slot_test_options());
  auto a = filled(rt, 8192, 3), b = filled(rt, 8192, 7);
  std::size_t wrong = 0;
  remora::DerefScope scope;
  // In turns: each array's walk passes the other's.
  for (std::size_t i = 0; i < 4096; ++i) {
    wrong += a.at(scope, i) != i * 3 + 1;
    wrong += b.at(scope, i) != i * 7 + 1;
  }
  // One after the other, over the same chunk: the slot then holds a's.
  for (std::size_t i = 2048; i < 2048 + 512; ++i) wrong += a.at(scope, i) != i * 3 + 1;
  for (std::size_t i = 2048; i < 2048 + 512; ++i) wrong += b.at(scope, i) != i * 7 + 1;
  CHECK(wrong == 0);
}

TEST_CASE("a write after reads of its chunk in one scope reaches home through eviction",
          "[client][array][slot]") {
  remora::Runtime rt(slot_test_options());
  const std::size_t n = 8 * slot_test_cache / sizeof(std::uint64_t);  // 8x the cache
  auto a = filled(rt, n, 3);
  const std::size_t per = a.chunk_elements();
  for (std::size_t c = 0; c < n / per; c += 3) {
    remora::DerefScope scope;
    std::uint64_t sum = 0;
    for (std::size_t i = c * per; i < c * per + 64; ++i) sum += a.at(scope, i);  // the slot
    a.at_mut(scope, c * per + 5) = sum;  // the chunk must be written back now
  }
  // Every chunk leaves the cache, then each write is read back from home.
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < n; i += per) {
    remora::DerefScope scope;
    wrong += a.at(scope, i) != i * 3 + 1;
  }
  const auto evictions = rt.stats().evictions;
  CHECK(evictions >= n / per / 2);
  for (std::size_t c = 0; c < n / per; ++c) {
    std::uint64_t want = (c * per + 5) * 3 + 1;
    if (c % 3 == 0) {
      want = 0;
      for (std::size_t i = c * per; i < c * per + 64; ++i) want += i * 3 + 1;
    }
    INFO("chunk " << c);
    wrong += a.read(c * per + 5) != want;
  }
  CHECK(wrong == 0);
}

TEST_CASE(
    "an outer scope reads on, right, after an inner scope's walk, an array's end and "
    "another array's start",
    "[client][array][slot]") {
  remora::Runtime rt(slot_test_options());
  auto kept = filled(rt, 8192, 5);
  std::size_t wrong = 0;
  remora::DerefScope outer;
  for (std::size_t i = 0; i < 100; ++i) wrong += kept.at(outer, i) != i * 5 + 1;
  {
    remora::DerefScope inner;  // takes the slot from the outer scope
    for (std::size_t i = 4096; i < 4196; ++i) wrong += kept.at(inner, i) != i * 5 + 1;
  }
  for (std::size_t i = 0; i < 8192; ++i) wrong += kept.at(outer, i) != i * 5 + 1;

  // Arrays that die while the open scope remembers their chunk, and arrays
  // made after them (the allocator often puts one where the last was): the
  // scope must not serve a new array's indices from a dead one's chunk.
  // One chunk each: no walk between chunks, so no prefetcher starts (which
  // would empty the slot on its own).
  for (std::uint64_t round = 0; round < 16; ++round) {
    auto gone = filled(rt, 1000, round + 2);  // a smaller chunk than the next
    remora::DerefScope scope;
    for (std::size_t i = 0; i < 100; ++i) wrong += gone.at(scope, i) != i * (round + 2) + 1;
    gone = remora::Array<std::uint64_t>();
    auto made = filled(rt, 2000, round + 100);
    for (std::size_t i = 0; i < 100; ++i) wrong += made.at(scope, i) != i * (round + 100) + 1;
  }
  CHECK(wrong == 0);
}

TEST_CASE("a vector grown inside a scope that walked its last chunk reads its new elements",
          "[client][array][slot]") {
  remora::Runtime rt(slot_test_options());
  auto v = rt.make_vector<std::uint64_t>();
  for (std::uint64_t i = 0; i < 1000; ++i) v.push_back(i * 13);
  std::size_t wrong = 0;
  remora::DerefScope scope;
  for (std::size_t i = 900; i < 1000; ++i) wrong += v.at(scope, i) != i * 13;
  for (std::uint64_t i = 1000; i < 5000; ++i) v.push_back(i * 13);  // past the chunk: grows
  for (std::size_t i = 900; i < 5000; ++i) wrong += v.at(scope, i) != i * 13;
  CHECK(v.size() == 5000);
  CHECK(wrong == 0);
}

TEST_CASE(
    "arrays moved, moved into and swapped inside a scope that walked them each read their own "
    "elements, and a moved-from one throws",
    "[client][array][slot]") {
  remora::Runtime rt(slot_test_options());
  std::size_t wrong = 0;
  remora::DerefScope scope;
  auto a = filled(rt, 4096, 3);
  for (std::size_t i = 0; i < 100; ++i) wrong += a.at(scope, i) != i * 3 + 1;  // the slot: a's

  // Moved: the new handle reads on; the old one has no array.
  auto b = std::move(a);
  for (std::size_t i = 0; i < 100; ++i) wrong += b.at(scope, i) != i * 3 + 1;
  CHECK_THROWS_AS(a.at(scope, 5), remora::InvalidObject);  // NOLINT(bugprone-use-after-move)

  // Moved into, at the same address: the handle reads its new array.
  a = filled(rt, 4096, 11);
  for (std::size_t i = 0; i < 100; ++i) wrong += a.at(scope, i) != i * 11 + 1;
  b = filled(rt, 4096, 17);  // b's old array dies while the scope is open
  for (std::size_t i = 0; i < 100; ++i) wrong += b.at(scope, i) != i * 17 + 1;

  // Swapped, after each walked in the scope, then written through.
  std::swap(a, b);
  for (std::size_t i = 0; i < 100; ++i) {
    wrong += a.at(scope, i) != i * 17 + 1;
    wrong += b.at(scope, i) != i * 11 + 1;
  }
  for (std::size_t i = 0; i < 100; ++i) a.at_mut(scope, i) = i * 19 + 1;
  std::swap(a, b);
  for (std::size_t i = 0; i < 100; ++i) {
    wrong += a.at(scope, i) != i * 11 + 1;
    wrong += b.at(scope, i) != i * 19 + 1;
  }

  // In a vector that moves them as it grows, each walked before the next
  // is added.
  std::vector<remora::Array<std::uint64_t>> held;
  for (std::uint64_t k = 0; k < 9; ++k) {
    held.push_back(filled(rt, 3000, k + 20));
    for (std::size_t i = 0; i < 50; ++i) wrong += held.back().at(scope, i) != i * (k + 20) + 1;
    for (std::uint64_t j = 0; j <= k; ++j) wrong += held[j].at(scope, 7) != 7 * (j + 20) + 1;
  }
  CHECK(wrong == 0);
}

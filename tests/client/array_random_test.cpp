// Reads at random: once an array's reader has stepped between chunks with
// no pattern for a while, at() on its thread takes a present chunk's
// element before it looks the reader up (array_state::random_element).
// Whatever path an access takes, it reads the element asked for, a write
// reaches home, an index past the end is an InvalidObject, and a walk
// after the random reads still pins its chunk once per scope.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "remora/remora.hpp"
#include "tests/support/fill_array.hpp"

namespace {

constexpr std::uint64_t random_test_cache = 4 << 20;

remora::Options random_test_options() {
  return remora::Options{}.dram_cache(random_test_cache).embedded_capacity(512ull << 20);
}

std::uint64_t value_at(std::size_t i) {
  return i * 2654435761u + 11;
}

remora::Array<std::uint64_t> filled(remora::Runtime& rt, std::size_t n) {
  auto a = rt.make_array<std::uint64_t>(n);
  remora::testing::fill_array(a, value_at);
  return a;
}

// `reads` reads at random with a scope each: how many read other than
// `want(i)`.
template <class Want>
std::size_t wrong_random_reads(const remora::Array<std::uint64_t>& a, std::size_t reads,
                               unsigned seed, Want want) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, a.size() - 1);
  std::size_t wrong = 0;
  for (std::size_t r = 0; r < reads; ++r) {
    const std::size_t i = pick(rng);
    remora::DerefScope scope;
    wrong += a.at(scope, i) != want(i);
  }
  return wrong;
}
std::size_t wrong_random_reads(const remora::Array<std::uint64_t>& a, std::size_t reads,
                               unsigned seed) {
  return wrong_random_reads(a, reads, seed, value_at);
}

}  // namespace

TEST_CASE("reads at random from a cached array give each element, and a walk after them pins once",
          "[client][array][random]") {
  remora::Runtime rt(random_test_options());
  const std::size_t n = random_test_cache / 4 / sizeof(std::uint64_t);  // a quarter of the cache
  auto a = filled(rt, n);
  CHECK(wrong_random_reads(a, 20000, 1) == 0);  // the reader goes quiet early on

  // Writes at random, then every element read back.
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  std::vector<std::size_t> written;
  for (int w = 0; w < 2000; ++w) {
    const std::size_t i = pick(rng);
    remora::DerefScope scope;
    a.at_mut(scope, i) = value_at(i) + 1;
    written.push_back(i);
  }
  std::vector<bool> bumped(n);
  for (std::size_t i : written) bumped[i] = true;
  auto want = [&](std::size_t i) { return value_at(i) + (bumped[i] ? 1 : 0); };
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < n; ++i) {
    remora::DerefScope scope;
    wrong += a.at(scope, i) != want(i);
  }
  CHECK(wrong == 0);

  // Past the end: the error, not a chunk past the array's last.
  {
    remora::DerefScope scope;
    CHECK_THROWS_AS(a.at(scope, n), remora::InvalidObject);
    CHECK_THROWS_AS(a.at(scope, n + a.chunk_elements()), remora::InvalidObject);
  }
  CHECK(wrong_random_reads(a, 1000, 3, want) == 0);

  // A walk over one chunk in one scope, after the random reads: the chunk
  // is pinned a few times at most (each pin is a hit as the scope closes),
  // not once an element.
  const std::size_t per = a.chunk_elements();
  const std::size_t first = 5 * per;
  const auto hits_before = rt.stats().hits;
  {
    remora::DerefScope scope;
    for (std::size_t i = first; i < first + per; ++i) wrong += a.at(scope, i) != want(i);
  }
  CHECK(wrong == 0);
  CHECK(rt.stats().hits - hits_before <= 3);
}

TEST_CASE("reads at random from an array four times the cache give each element",
          "[client][array][random]") {
  remora::Runtime rt(random_test_options());
  const std::size_t n = 4 * random_test_cache / sizeof(std::uint64_t);
  auto a = filled(rt, n);
  const auto misses_before = rt.stats().misses;
  CHECK(wrong_random_reads(a, 30000, 4) == 0);
  CHECK(rt.stats().misses > misses_before);  // chunks came and went meanwhile
}

TEST_CASE("two threads reading an array at random at once each read their elements",
          "[client][array][random][threads]") {
  remora::Runtime rt(random_test_options());
  const std::size_t n = random_test_cache / sizeof(std::uint64_t);  // as large as the cache
  const auto a = filled(rt, n);
  // The first reader's thread takes the path past the reader; the second
  // thread has a reader of its own and takes the full path.
  std::size_t wrong_first = 0, wrong_second = 0;
  std::thread first([&] { wrong_first = wrong_random_reads(a, 40000, 5); });
  std::thread second([&] { wrong_second = wrong_random_reads(a, 40000, 6); });
  first.join();
  second.join();
  CHECK(wrong_first == 0);
  CHECK(wrong_second == 0);
  CHECK(wrong_random_reads(a, 10000, 7) == 0);  // the main thread, a third reader
}

// HashMap round-trips through a cache ten times smaller than its entries.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "remora/remora.hpp"

namespace {

struct value56 {
  std::uint64_t words[7];
};

value56 value_for(std::uint64_t k) {
  value56 v;
  for (std::uint64_t w = 0; w < 7; ++w) v.words[w] = k * 31 + w;
  return v;
}

bool same(const std::optional<value56>& got, std::uint64_t k) {
  const value56 want = value_for(k);
  return got && std::memcmp(&*got, &want, sizeof(value56)) == 0;
}

}  // namespace

TEST_CASE("a hash map ten times the cache: put, get, get_many, erase", "[client][hash_map]") {
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20).embedded_capacity(512ull << 20));
  constexpr std::uint64_t count = 600'000;  // 64-byte entries: ~38 MB
  auto m = rt.make_hash_map<std::uint64_t, value56>(count);
  for (std::uint64_t k = 0; k < count; ++k) m.put(k * 7 + 1, value_for(k * 7 + 1));
  CHECK(m.size() == count);
  std::size_t wrong = 0;
  std::mt19937_64 rng(2);
  for (int i = 0; i < 50'000; ++i) {
    const std::uint64_t k = (rng() % count) * 7 + 1;
    wrong += !same(m.get(k), k);
  }
  CHECK_FALSE(m.get(2).has_value());  // never put
  std::vector<std::uint64_t> keys;
  for (int i = 0; i < 256; ++i) keys.push_back((rng() % count) * 7 + 1);
  keys.push_back(4);  // absent
  const auto before = rt.stats();
  auto many = m.get_many(keys);
  const auto after = rt.stats();
  REQUIRE(many.size() == keys.size());
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) wrong += !same(many[i], keys[i]);
  CHECK_FALSE(many.back().has_value());
  CHECK(after.prefetch_issued > before.prefetch_issued);  // fetched as a batch
  // More keys than the cache holds entries (100,000 of 96-byte slots against
  // 4 MiB), some twice and some absent: they go in groups, each fetched and
  // read before the next.
  keys.clear();
  for (int i = 0; i < 100'000; ++i)
    keys.push_back(i % 10 == 9 ? 7 * (rng() % count) + 3 : (rng() % count) * 7 + 1);
  many = m.get_many(keys);
  REQUIRE(many.size() == keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i)
    wrong += i % 10 == 9 ? many[i].has_value() : !same(many[i], keys[i]);
  // Overwrite, erase, and check what is left.
  m.put(8, value_for(9));
  CHECK(same(m.get(8), 9));
  std::size_t not_erased = 0;
  for (std::uint64_t k = 0; k < count; k += 2) not_erased += !m.erase(k * 7 + 1);
  CHECK(not_erased == 0);
  CHECK_FALSE(m.erase(1));  // erased already
  CHECK(m.size() == count / 2);
  for (std::uint64_t k = 0; k < count; k += 1000) {
    auto got = m.get(k * 7 + 1);
    if (k % 2 == 0)
      wrong += got.has_value();
    else
      wrong += !same(got, k * 7 + 1);
  }
  CHECK(wrong == 0);
  CHECK(rt.stats().evictions > 0);
}

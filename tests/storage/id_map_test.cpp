#include "storage/id_map.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <vector>

using remora::storage::id_map;
using remora::storage::id_set;

namespace {

// Every entry of `m` as a sorted map, through for_each.
std::map<std::uint64_t, std::uint64_t> contents(const id_map<std::uint64_t>& m) {
  std::map<std::uint64_t, std::uint64_t> out;
  m.for_each([&](std::uint64_t id, const std::uint64_t& v) { out.emplace(id, v); });
  return out;
}

}  // namespace

TEST_CASE("id_map: inserts, finds, erases and grows like a map", "[id_map]") {
  id_map<std::uint64_t> m;
  std::map<std::uint64_t, std::uint64_t> model;
  std::mt19937_64 rng(3);
  // Ids from a small range, so that inserts hit present ids and erases
  // shift runs of entries back; then from the whole range.
  for (int round = 0; round < 2; ++round) {
    const std::uint64_t range = round == 0 ? 5000 : UINT64_MAX;
    for (int step = 0; step < 200'000; ++step) {
      const std::uint64_t id = rng() % range + 1;
      switch (rng() % 3) {
        case 0: {
          auto [v, made] = m.try_emplace(id);
          REQUIRE(made == !model.contains(id));
          if (made) REQUIRE(*v == 0);  // value-initialised
          *v = id * 7 + step;
          model[id] = *v;
          break;
        }
        case 1:
          REQUIRE(m.erase(id) == (model.erase(id) == 1));
          break;
        default: {
          const std::uint64_t* v = m.find(id);
          auto it = model.find(id);
          REQUIRE((v != nullptr) == (it != model.end()));
          if (v != nullptr) REQUIRE(*v == it->second);
        }
      }
    }
    REQUIRE(m.size() == model.size());
    REQUIRE(contents(m) == model);
  }
}

TEST_CASE("id_map: id 0 is never present, clear empties, reserve keeps references", "[id_map]") {
  id_map<std::uint64_t> m;
  CHECK(m.find(0) == nullptr);
  CHECK_FALSE(m.erase(0));
  CHECK_FALSE(m.contains(1));
  for (std::uint64_t id = 1; id <= 1000; ++id) *m.try_emplace(id).first = id;
  CHECK(m.size() == 1000);
  CHECK(m.at(500) == 500);
  CHECK_THROWS_AS(m.at(1001), std::out_of_range);

  // Reserved room: inserts up to it move nothing.
  m.reserve(m.size() + 3000);
  std::uint64_t* kept = m.find(42);
  for (std::uint64_t id = 1001; id <= 4000; ++id) m.try_emplace(id);
  CHECK(kept == m.find(42));
  CHECK(*kept == 42);

  m.clear();
  CHECK(m.empty());
  CHECK(m.find(42) == nullptr);
  CHECK(contents(m).empty());
  // Usable again after clearing, mostly empty or not.
  *m.try_emplace(7).first = 70;
  m.clear();
  CHECK(m.find(7) == nullptr);
  *m.try_emplace(8).first = 80;
  CHECK(m.at(8) == 80);
  CHECK(m.size() == 1);
}

TEST_CASE("id_set: a set of ids, each inserted once", "[id_map]") {
  id_set s;
  CHECK(s.insert(9));
  CHECK_FALSE(s.insert(9));
  CHECK(s.insert(10));
  CHECK(s.contains(9));
  CHECK(s.erase(9));
  CHECK_FALSE(s.contains(9));
  CHECK(s.size() == 1);
}

TEST_CASE("id_map: consecutive ids and erases in insertion order leave every other entry",
          "[id_map]") {
  // Ids a client might choose to pile up: consecutive, and multiples of a
  // power of two (which a plain mask of the id would put in one slot).
  id_map<std::uint64_t> m;
  std::vector<std::uint64_t> ids;
  for (std::uint64_t k = 1; k <= 20'000; ++k) ids.push_back(k << 20);
  for (std::uint64_t k = 1; k <= 20'000; ++k) ids.push_back(k);
  for (std::uint64_t id : ids) *m.try_emplace(id).first = ~id;
  for (std::size_t i = 0; i < ids.size(); i += 2) REQUIRE(m.erase(ids[i]));
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::uint64_t* v = m.find(ids[i]);
    wrong += i % 2 == 0 ? v != nullptr : (v == nullptr || *v != ~ids[i]);
  }
  CHECK(wrong == 0);
  CHECK(m.size() == ids.size() / 2);
}

TEST_CASE("id_map: erase_if removes in one pass what it names, and every other entry stays found",
          "[id_map]") {
  // Tables as full as they get (three quarters: long clusters, some of
  // them wrapping from the end to the start), small and large.
  for (const std::size_t count : {12, 96, 3'000, 49'000}) {
    id_map<std::uint64_t> m;
    std::mt19937_64 rng(count);
    std::map<std::uint64_t, std::uint64_t> want;
    while (want.size() < count) {
      const std::uint64_t id = rng() | 1;
      want[id] = rng();
      *m.try_emplace(id).first = want[id];
    }
    std::map<std::uint64_t, int> asked;  // how often f saw each id it erased
    const std::size_t erased = m.erase_if([&](std::uint64_t id, std::uint64_t& v) {
      if (v % 3 != 0) return false;
      ++asked[id];
      return true;
    });
    std::erase_if(want, [](const auto& kv) { return kv.second % 3 == 0; });
    CHECK(erased == count - want.size());
    CHECK(asked.size() == erased);
    CHECK(std::ranges::all_of(asked, [](const auto& kv) { return kv.second == 1; }));
    CHECK(contents(m) == want);
    std::size_t lost = 0;
    for (const auto& [id, v] : want) lost += m.find(id) == nullptr || *m.find(id) != v;
    CHECK(lost == 0);
    CHECK(m.size() == want.size());
  }
}

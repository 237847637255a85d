// The memory node's index of blob stores, alone: replaces, LRU eviction
// past a capacity and for room, pins, and stores per tenant.
#include "actors/blob_index.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using remora::actors::blob_index;

namespace {

blob_index::value piece(std::uint64_t id, std::uint64_t bytes) {
  return {{id}, bytes};
}

}  // namespace

TEST_CASE("a put replaces a key's value and evicts least recent keys past the capacity",
          "[blob_index]") {
  blob_index index;
  const auto owner = index.owner_of(0, "kv", 77);
  CHECK(index.owner_of(0, "kv", 78) == owner);  // made once
  CHECK(index.owner_of(1, "kv", 79) == 79);     // another tenant's own
  const blob_index::clock::time_point none{};
  CHECK(index.put(0, "kv", "a", piece(1, 100), 300, none).old.empty());
  CHECK(index.put(0, "kv", "b", piece(2, 100), 300, none).old.empty());
  auto again = index.put(0, "kv", "a", piece(3, 100), 300, none);
  CHECK(again.old == std::vector<std::uint64_t>{1});
  CHECK(again.evicted.empty());
  REQUIRE(index.get(0, "kv", "b", true) != nullptr);  // b is now more recent than a
  auto full = index.put(0, "kv", "c", piece(4, 150), 300, none);
  CHECK(full.evicted == std::vector<std::uint64_t>{3});  // a went
  CHECK(full.evicted_keys == 1);
  CHECK(index.get(0, "kv", "a", true) == nullptr);
  CHECK(index.get(1, "kv", "b", true) == nullptr);  // tenant 1 has no such key
  const auto s = index.stats(0, "kv");
  CHECK(s.keys == 2);
  CHECK(s.bytes == 250);
  CHECK(s.hits == 1);
  CHECK(s.misses == 1);
  CHECK(s.evictions == 1);
  CHECK(s.puts == 4);
  CHECK(index.erase(0, "kv", "b") == std::optional(std::vector<std::uint64_t>{2}));
  CHECK_FALSE(index.erase(0, "kv", "b").has_value());
}

TEST_CASE("pinned keys stay until their pins lapse, and evict_for takes from every store",
          "[blob_index]") {
  blob_index index;
  index.owner_of(0, "x", 10);
  index.owner_of(0, "y", 20);
  const auto later = blob_index::clock::now() + std::chrono::hours(1);
  const auto lapsed = blob_index::clock::now() - std::chrono::seconds(1);
  index.put(0, "x", "pinned", piece(1, 100), 0, later);
  index.put(0, "x", "was-pinned", piece(2, 100), 0, lapsed);
  index.put(0, "y", "plain", piece(3, 100), 0, {});
  auto dead = index.evict_for(0, 1000);
  std::sort(dead.begin(), dead.end());
  CHECK(dead == std::vector<std::pair<std::uint64_t, std::uint64_t>>{{10, 2}, {20, 3}});
  CHECK(index.get(0, "x", "pinned", false) != nullptr);
  CHECK(index.evict_for(0, 1000).empty());
  CHECK(index.evict_for(1, 1000).empty());  // another tenant: nothing of its own
}

// What an open DerefScope pins, against the embedded node: a scope that pins
// up to half the local cache gets the room it asks for, every time, while the
// evacuator makes room from everything else; a scope that would need more
// than the cache beside its own pins gets OutOfMemory at once, every time.
#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "remora/remora.hpp"

using namespace std::chrono_literals;

namespace {

// 64 KiB objects: a 16 MiB cache holds about 240 of them.
struct block {
  std::array<std::uint64_t, 8192> words;
};

constexpr std::uint64_t cache_bytes = 16 << 20;

remora::Options options() {
  // A long timeout: a pass must not depend on the evacuator being quick.
  return remora::Options{}.dram_cache(cache_bytes).embedded_capacity(256 << 20).timeout(30s);
}

std::vector<remora::UniquePtr<block>> fill(remora::Runtime& rt, std::size_t n) {
  std::vector<remora::UniquePtr<block>> objects;
  for (std::size_t i = 0; i < n; ++i) {
    auto p = rt.make_unique<block>();
    remora::DerefScope scope;
    block* b = p.deref_mut(scope);
    b->words[0] = i;
    b->words[8191] = ~i;
    objects.push_back(std::move(p));
  }
  return objects;
}

}  // namespace

TEST_CASE("a scope pinning half the cache gets room from the rest, every time", "[scopes]") {
  remora::Runtime rt(options());
  auto objects = fill(rt, 1024);  // 4x the cache: most now live at home
  const std::size_t half = cache_bytes / 2 / sizeof(block);
  for (int round = 0; round < 4; ++round) {
    remora::DerefScope scope;
    std::vector<const block*> held;
    // Half the cache pinned, one object at a time: each miss needs room the
    // evacuator must find outside this scope's pins.
    for (std::size_t k = 0; k < half; ++k) {
      const std::size_t i = (round * 251 + k * 7) % objects.size();
      const block* b = objects[i].deref(scope);
      REQUIRE(b->words[0] == i);
      held.push_back(b);
    }
    // Nothing this scope holds moved while the others were evicted.
    for (std::size_t k = 0; k < held.size(); ++k) {
      const std::size_t i = (round * 251 + k * 7) % objects.size();
      REQUIRE(held[k]->words[0] == i);
      REQUIRE(held[k]->words[8191] == ~i);
    }
  }
  CHECK(rt.stats().evictions > 0);
}

TEST_CASE("a scope that would pin more than the cache gets OutOfMemory at once, every time",
          "[scopes]") {
  remora::Runtime rt(options());
  auto objects = fill(rt, 512);
  for (int round = 0; round < 3; ++round) {
    remora::DerefScope scope;
    std::size_t pinned = 0;
    try {
      for (auto& p : objects) {
        (void)p.deref(scope);
        ++pinned;
      }
      FAIL("512 objects of 64 KiB were pinned in a 16 MiB cache");
    } catch (const remora::OutOfMemory& e) {
      // Refused because of this scope's own pins, not after a wait.
      CHECK_THAT(e.what(), Catch::Contains("this thread's open DerefScope pins"));
    }
    CHECK(pinned * sizeof(block) <= cache_bytes);
    CHECK(pinned * sizeof(block) > cache_bytes / 2);
  }
  // The scope is gone: everything reads back.
  for (std::size_t i = 0; i < objects.size(); ++i) REQUIRE(objects[i].read().words[0] == i);
}

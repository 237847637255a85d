// One local cache alone: its three locks (a miss takes a slot and arrives
// while an evacuation's pass holds the CLOCK), and evictions whose clean
// victims a deref may take back.
#include "objects/local_cache.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <latch>
#include <thread>

#include "objects/record_pool.hpp"
#include "tests/objects/plain_cache.hpp"

using namespace std::chrono_literals;
using remora::detail::meta_state;
using remora::detail::object_record;
using remora::objects::local_cache;
using remora::testing::plain_cache;

namespace {

// A resident object of `size` bytes, cold and clean unless told.
object_record* resident(local_cache& cache, remora::objects::record_pool& pool, std::uint32_t size,
                        remora::detail::arrival flags = {}) {
  object_record* r = pool.make();
  r->size = size;
  std::byte* slot = cache.allocate(size);
  REQUIRE(slot != nullptr);
  cache.add_resident(r);
  r->meta().install(slot, flags);
  return r;
}

// The bytes a slot for an object of `size` takes in `cache` (its class's).
std::uint64_t slot_bytes(local_cache& cache, std::uint32_t size) {
  const std::uint64_t before = cache.used();
  std::byte* slot = cache.allocate(size);
  REQUIRE(slot != nullptr);
  const std::uint64_t bytes = cache.used() - before;
  cache.free_slot(slot, size);
  REQUIRE(cache.used() == before);
  return bytes;
}

}  // namespace

TEST_CASE("a miss takes a slot and arrives while a sweep holds the CLOCK", "[local_cache]") {
  auto cache = plain_cache(4 << 20);
  remora::objects::record_pool pool;
  std::vector<object_record*> records;
  for (int i = 0; i < 8; ++i) records.push_back(resident(*cache, pool, 4096));
  // The sweep asks `stuck` about each object under the CLOCK's lock: held
  // there until the miss below is done (or 10 s have passed).
  std::latch in_sweep(1), miss_done(1);
  std::atomic<bool> first{true};
  std::thread sweeper([&] {
    cache->sweep(1 << 20, nullptr, [&](const object_record&) {
      if (first.exchange(false)) {
        in_sweep.count_down();
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (!miss_done.try_wait() && std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(1ms);
      }
      return false;
    });
  });
  in_sweep.wait();
  object_record* arrived = pool.make();
  arrived->size = 4096;
  auto miss = std::async(std::launch::async, [&] {
    std::byte* slot = cache->allocate(arrived->size);
    if (slot != nullptr) {
      cache->add_resident(arrived);
      arrived->meta().install(slot, {});
    }
    return slot;
  });
  const bool done = miss.wait_for(5s) == std::future_status::ready;
  miss_done.count_down();
  sweeper.join();
  REQUIRE(done);  // it did not wait for the sweep
  REQUIRE(miss.get() != nullptr);
  // It joins the CLOCK when the lock is next taken: the next sweep sees it,
  // and forgetting it frees its slot.
  const auto swept = cache->sweep(1 << 20);
  CHECK(std::find(swept.begin(), swept.end(), arrived) != swept.end());
  const std::uint64_t used = cache->used();
  CHECK(cache->forget(arrived) == local_cache::forgotten::deletable);
  CHECK(cache->used() == used - slot_bytes(*cache, 4096));
  CHECK(arrived->meta().load().retired());
}

TEST_CASE("an eviction's clean victims leave unless a deref takes one back, which stays",
          "[local_cache]") {
  auto cache = plain_cache(4 << 20);
  remora::objects::record_pool pool;
  std::vector<object_record*> clean;
  for (int i = 0; i < 6; ++i) clean.push_back(resident(*cache, pool, 4096));
  object_record* dirty = resident(*cache, pool, 4096, {.dirty = true});
  object_record* going_home = resident(*cache, pool, 4096);
  std::vector<object_record*> all = clean;
  all.push_back(dirty);
  all.push_back(going_home);
  const std::uint64_t used = cache->used();

  auto victims =
      cache->claim_victims(all, [&](const object_record& r) { return &r == going_home; });
  std::sort(victims.revocable.begin(), victims.revocable.end());
  std::sort(victims.held.begin(), victims.held.end());
  std::vector<object_record*> held{dirty, going_home};
  std::sort(held.begin(), held.end());
  CHECK(victims.held == held);  // these go home first: not revocable
  std::sort(clean.begin(), clean.end());
  REQUIRE(victims.revocable == clean);

  // A deref meets one of the clean victims: it takes it back and reads.
  object_record* kept = clean[2];
  meta_state m = kept->meta().load();
  REQUIRE(kept->meta().take_back(m, false, false));
  const std::byte* kept_slot = kept->meta().load().address();

  local_cache::finished out;
  CHECK(cache->finish({.held = {}, .revocable = victims.revocable}, &out).empty());
  CHECK(out.dropped == clean.size() - 1);
  CHECK(out.unread_prefetches == 0);
  const std::uint64_t slot = slot_bytes(*cache, 4096);
  CHECK(cache->used() == used - out.dropped * slot);
  for (object_record* r : clean) {
    if (r == kept) continue;
    CHECK(r->meta().load().absent());
  }
  // The one taken back is where it was, hot, and still in the CLOCK: with
  // the others gone, a sweep cools it and hands it out.
  CHECK(kept->meta().load().usable());
  CHECK(kept->meta().load().hot());
  CHECK(kept->meta().load().address() == kept_slot);
  CHECK(cache->finish({.held = victims.held, .revocable = {}}).empty());
  CHECK(cache->used() == slot);
  CHECK(cache->sweep(1 << 20) == std::vector<object_record*>{kept});
}

TEST_CASE("a revocable victim forgotten while claimed leaves with the eviction", "[local_cache]") {
  auto cache = plain_cache(4 << 20);
  remora::objects::record_pool pool;
  object_record* r = resident(*cache, pool, 4096);
  auto victims = cache->claim_victims({r}, [](const object_record&) { return false; });
  REQUIRE(victims.revocable == std::vector<object_record*>{r});
  CHECK(cache->forget(r) == local_cache::forgotten::held);
  local_cache::finished out{99, 99};
  CHECK(cache->finish({.held = {}, .revocable = victims.revocable}, &out) ==
        std::vector<object_record*>{r});
  CHECK(out.dropped == 0);
  CHECK(out.unread_prefetches == 0);
  CHECK(r->meta().load().retired());
  CHECK(cache->used() == 0);
}

TEST_CASE(
    "an unread prefetch is counted wasted only when it leaves, not when a deref takes it back",
    "[local_cache]") {
  auto cache = plain_cache(4 << 20);
  remora::objects::record_pool pool;
  std::vector<object_record*> prefetched;
  for (int i = 0; i < 3; ++i)
    prefetched.push_back(resident(*cache, pool, 4096, {.prefetched = true}));
  object_record* read = resident(*cache, pool, 4096);
  object_record* dirty = resident(*cache, pool, 4096, {.dirty = true, .prefetched = true});
  std::vector<object_record*> all = prefetched;
  all.push_back(read);
  all.push_back(dirty);
  auto victims = cache->claim_victims(all, [](const object_record&) { return false; });
  REQUIRE(victims.revocable.size() == 4);
  REQUIRE(victims.held == std::vector<object_record*>{dirty});
  // A deref meets one of the prefetched victims: it takes it back.
  meta_state m = prefetched[0]->meta().load();
  REQUIRE(prefetched[0]->meta().take_back(m, false, false));
  local_cache::finished out;
  CHECK(cache->finish({.held = {}, .revocable = victims.revocable}, &out).empty());
  CHECK(out.dropped == 3);
  CHECK(out.unread_prefetches == 2);  // not the one taken back, nor the one read
  CHECK(cache->finish({.held = victims.held, .revocable = {}}, &out)
            .empty());  // written home, then dropped
  CHECK(out.dropped == 1);
  CHECK(out.unread_prefetches == 1);
  CHECK(prefetched[0]->meta().load().usable());
}

TEST_CASE(
    "a revocable victim taken back is not the eviction's any more: forgotten or claimed again",
    "[local_cache]") {
  auto cache = plain_cache(4 << 20);
  remora::objects::record_pool pool;
  const std::uint64_t slot = slot_bytes(*cache, 4096);
  object_record* forgotten = resident(*cache, pool, 4096);
  object_record* moved = resident(*cache, pool, 4096);
  auto victims =
      cache->claim_victims({forgotten, moved}, [](const object_record&) { return false; });
  REQUIRE(victims.revocable.size() == 2);
  for (object_record* r : victims.revocable) {
    meta_state m = r->meta().load();
    REQUIRE(r->meta().take_back(m, false, false));
  }
  // Its last handle goes: the cache lets it go at once (not claimed now).
  CHECK(cache->forget(forgotten) == local_cache::forgotten::deletable);
  CHECK(forgotten->meta().load().retired());
  // Another mover claims the other (held: it alone may drop it).
  REQUIRE(cache->claim_any({moved}) == std::vector<object_record*>{moved});
  CHECK(cache->used() == slot);
  // The eviction's finish leaves both alone: no slot given back twice, no
  // drop of what another holds.
  local_cache::finished out{99, 99};
  CHECK(cache->finish({.held = {}, .revocable = victims.revocable}, &out).empty());
  CHECK(out.dropped == 0);
  CHECK(cache->used() == slot);
  CHECK(forgotten->meta().load().retired());
  CHECK(moved->meta().load().evacuating());
  CHECK(cache->finish({.held = {moved}, .revocable = {}}, &out).empty());
  CHECK(out.dropped == 1);
  CHECK(cache->used() == 0);
  CHECK(moved->meta().load().absent());
}

TEST_CASE("slots of a power of two lie back to back: an Array's chunks, filled in order",
          "[local_cache]") {
  auto cache = plain_cache(4 << 20);
  CHECK(slot_bytes(*cache, 16384) == 16384);  // 17,376 in the geometric class above it
  CHECK(slot_bytes(*cache, 4096) == 4096);
  CHECK(slot_bytes(*cache, 16000) == 16384);  // a size below takes the class above it
  std::vector<std::byte*> slots;
  for (int i = 0; i < 16; ++i) {
    slots.push_back(cache->allocate(16384));
    REQUIRE(slots.back() != nullptr);
  }
  std::ranges::sort(slots);
  for (std::size_t i = 1; i < slots.size(); ++i) CHECK(slots[i] - slots[i - 1] == 16384);
  for (std::byte* slot : slots) cache->free_slot(slot, 16384);
  CHECK(cache->used() == 0);
}

// The object core against an in-process far store (fake_far_store.hpp): no
// UCX, no CAF, no memory node. Eviction and write-back, misses, frees,
// typed errors from the far store, pins that the evacuator respects,
// batched prefetch, and the CLOCK of one cache.
#include "objects/object_store.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "objects/local_cache.hpp"
#include "objects/record_pool.hpp"
#include "remora/deref_scope.hpp"
#include "remora/errors.hpp"
#include "tests/objects/fake_far_store.hpp"
#include "tests/objects/plain_cache.hpp"
#include "tests/support/eventually.hpp"

using namespace std::chrono_literals;
using remora::DerefScope;
using remora::detail::object_record;
using remora::objects::local_cache;
using remora::objects::object_store;
using remora::objects::tier_stack;
using remora::testing::eventually;
using remora::testing::fake_far_store;
using remora::testing::plain_cache;

namespace {

constexpr std::uint32_t object_bytes = 16 << 10;

struct fixture {
  fake_far_store far;
  std::unique_ptr<object_store> store;

  explicit fixture(std::size_t cache_bytes = 4 << 20, std::uint32_t nodes = 2,
                   std::chrono::milliseconds timeout = 5s)
      : far(nodes) {
    std::vector<std::unique_ptr<local_cache>> tiers;
    tiers.push_back(plain_cache(cache_bytes));
    store = std::make_unique<object_store>(std::make_unique<tier_stack>(std::move(tiers)), far,
                                           timeout);
  }

  // An object whose bytes all read `seed`'s low byte.
  object_record* make(std::uint32_t seed) {
    return store->create(
        object_bytes,
        [](void* payload, void* arg) {
          std::memset(payload, static_cast<int>(*static_cast<std::uint32_t*>(arg) & 0xff),
                      object_bytes);
        },
        &seed);
  }

  // Whether every byte of `r` reads `seed`'s low byte.
  bool holds(object_record* r, std::uint32_t seed) {
    DerefScope scope;
    const auto* p =
        static_cast<const unsigned char*>(remora::detail::deref_address(r, store.get(), false));
    for (std::uint32_t i = 0; i < object_bytes; ++i)
      if (p[i] != (seed & 0xff)) return false;
    return true;
  }

  // Whether every home copy is freed, within a bounded wait: an object
  // released while an evacuation writes it home is freed when that
  // evacuation ends (release() leaves it to it), after flush_frees() may
  // have returned.
  bool all_freed() {
    return eventually([&] {
      store->flush_frees();
      std::size_t held = 0;
      for (std::uint32_t n = 0; n < far.nodes(); ++n) held += far.objects(n);
      return held == 0;
    });
  }

  std::vector<object_record*> absent(const std::vector<object_record*>& records) const {
    std::vector<object_record*> out;
    for (object_record* r : records)
      if (!r->meta().load().present()) out.push_back(r);
    return out;
  }

  // The index of `r` in `records`: the seed make() was given.
  static std::uint32_t seed_of(const std::vector<object_record*>& records, object_record* r) {
    return static_cast<std::uint32_t>(std::find(records.begin(), records.end(), r) -
                                      records.begin());
  }

  // 2048 objects made into `records` (seed = index), and 32 of them evicted
  // since, once the evacuator has finished the round it owes, so that a
  // batch finds room for them (it leaves at least a tenth of the cache
  // free: 51 objects in 8 MiB).
  std::vector<object_record*> some_gone(std::vector<object_record*>& records) {
    for (std::uint32_t i = 0; i < 2048; ++i) records.push_back(make(i));
    const auto& t = store->tiers()[0];
    const bool room = eventually([&] { return t.free_room() >= 40 * object_bytes; });
    INFO("free " << t.free_room() << " used " << t.used() << " of " << t.capacity() << " evictions "
                 << store->counts().evictions << " fragmented " << t.fragmented());
    REQUIRE(room);
    auto gone = absent(records);
    REQUIRE(gone.size() >= 32);
    gone.resize(32);
    return gone;
  }
};

}  // namespace

TEST_CASE("objects evicted to the far store come back with their bytes, and frees reach it",
          "[object_store]") {
  fixture f;  // 4 MiB of cache, 16 MiB of objects over two nodes
  std::vector<object_record*> records;
  for (std::uint32_t i = 0; i < 1024; ++i) records.push_back(f.make(i));
  CHECK(f.store->counts().evictions > 0);
  CHECK(f.far.objects(0) > 0);
  CHECK(f.far.objects(1) > 0);
  for (int pass = 0; pass < 2; ++pass)
    for (std::uint32_t i = 0; i < records.size(); ++i) REQUIRE(f.holds(records[i], i));
  // Nothing was written after creation: each object went home at most once.
  CHECK(f.far.writes() <= records.size());
  CHECK(f.store->counts().bytes_in >= std::uint64_t{object_bytes} * f.far.reads());
  for (object_record* r : records) f.store->release(r);
  CHECK(f.all_freed());
}

TEST_CASE("an evicted object's word hints at its home slot, and its miss loads the slot first",
          "[object_store]") {
  fixture f;
  std::vector<object_record*> records;
  for (std::uint32_t i = 0; i < 1024; ++i) records.push_back(f.make(i));
  const auto gone = f.absent(records);
  REQUIRE(gone.size() > 100);
  for (object_record* r : gone) {
    const auto m = r->meta().load();
    REQUIRE(m.absent());
    REQUIRE(m.fetchable());
    REQUIRE(m.has_hint());
    CHECK(m.hint_node() == r->node);
    CHECK(m.hint_offset() == r->offset);
  }
  object_record* r = gone[gone.size() / 2];
  const std::uint32_t seed =
      static_cast<std::uint32_t>(std::find(records.begin(), records.end(), r) - records.begin());
  const std::uint32_t node = r->node;
  const std::uint64_t offset = r->offset;
  const auto before = f.far.hints().size();
  REQUIRE(f.holds(r, seed));  // a miss
  const auto hints = f.far.hints();
  REQUIRE(hints.size() == before + 1);
  CHECK(hints.back() == std::pair<std::uint32_t, std::uint64_t>(node, offset));
  // Absent objects with hints are released as any absent object is.
  for (object_record* x : records) f.store->release(x);
  CHECK(f.all_freed());
}

TEST_CASE("far-store errors reach the caller typed", "[object_store]") {
  fixture f(4 << 20, 2, 300ms);
  std::vector<object_record*> records;
  for (std::uint32_t i = 0; i < 1024; ++i) records.push_back(f.make(i));
  auto gone = f.absent(records);
  REQUIRE(gone.size() >= 2);
  object_record* lost = nullptr;
  std::vector<object_record*> down;  // absent, on node 1
  for (object_record* r : gone) {
    if (r->node == 0 && lost == nullptr) lost = r;
    if (r->node == 1) down.push_back(r);
  }
  REQUIRE(lost != nullptr);
  REQUIRE(down.size() >= 2);
  f.far.lose(0, lost->id);
  CHECK_THROWS_AS(f.holds(lost, 0), remora::ObjectLost);
  // The failed fetch left it fetchable: asking again fails the same way.
  CHECK_THROWS_AS(f.holds(lost, 0), remora::ObjectLost);
  // An unreachable node is waited for, within the timeout: back in time,
  // it serves the read; not back, NodeUnavailable naming it.
  f.far.take_down(1);
  std::thread back([&] {
    std::this_thread::sleep_for(50ms);
    f.far.bring_up(1);
  });
  CHECK_NOTHROW(f.holds(down[0], 0));
  back.join();
  f.far.take_down(1);
  CHECK_THROWS_WITH(f.holds(down[1], 0), Catch::Contains("fake-node-1"));
  CHECK_THROWS_AS(f.holds(down[1], 0), remora::NodeUnavailable);
  // A dead node's objects are lost, and say where they were.
  f.far.kill(1);
  CHECK_THROWS_WITH(f.holds(down[1], 0), Catch::Contains("fake-node-1") && Catch::Contains("dead"));
  CHECK_THROWS_AS(f.holds(down[1], 0), remora::ObjectLost);
  // Objects on the other node are untouched.
  for (std::uint32_t i = 0; i < records.size(); ++i)
    if (records[i] != lost && records[i]->node == 0) REQUIRE(f.holds(records[i], i));
}

TEST_CASE("write-backs that fail keep objects local, nothing is lost", "[object_store]") {
  fixture f(4 << 20, 1, 500ms);
  f.far.fail_writes(0, true);
  std::vector<object_record*> records;
  // The cache fills with objects that cannot go home: creation then fails
  // with OutOfMemory after the timeout, not silently, and says why.
  auto fill = [&] {
    for (std::uint32_t i = 0; i < 1024; ++i) records.push_back(f.make(i));
  };
  CHECK_THROWS_AS(fill(), remora::OutOfMemory);
  CHECK_THROWS_WITH(fill(), Catch::Contains("a write-back failed meanwhile") &&
                                Catch::Contains("the evacuator ran") &&
                                Catch::Contains("evicted 0 objects"));
  REQUIRE(records.size() > 100);
  CHECK(f.store->counts().evictions == 0);
  for (std::uint32_t i = 0; i < records.size(); ++i) REQUIRE(f.holds(records[i], i));
  f.far.fail_writes(0, false);
  for (std::uint32_t i = static_cast<std::uint32_t>(records.size()); i < 1024; ++i)
    records.push_back(f.make(i));
  CHECK(f.store->counts().evictions > 0);
  for (std::uint32_t i = 0; i < records.size(); ++i) REQUIRE(f.holds(records[i], i));
}

TEST_CASE(
    "a node out of room for new objects is asked again only after a pause, and nothing is lost",
    "[object_store]") {
  fixture f(4 << 20, 1, 500ms);
  f.far.refuse_new(0, true);
  std::vector<object_record*> records;
  auto fill = [&] {
    for (std::uint32_t i = static_cast<std::uint32_t>(records.size()); i < 1024; ++i)
      records.push_back(f.make(i));
  };
  CHECK_THROWS_WITH(fill(), Catch::Contains("fake-node-0 is full"));
  // The evacuator ran round after round for the 500 ms the creation waited,
  // but asked the node for slots once per 100 ms pause at most (without the
  // pause: every round).
  INFO("allocations " << f.far.allocations());
  CHECK(f.far.allocations() >= 1);
  CHECK(f.far.allocations() <= 10);
  REQUIRE(records.size() > 100);
  f.far.refuse_new(0, false);
  fill();
  CHECK(f.store->counts().evictions > 0);
  for (std::uint32_t i = 0; i < records.size(); ++i) REQUIRE(f.holds(records[i], i));
}

TEST_CASE("new objects that cannot go home are passed over, and the cache beside them serves reads",
          "[object_store]") {
  fixture f(4 << 20, 1, 2s);  // room for 256 objects
  // Objects and their seeds.
  std::vector<std::pair<object_record*, std::uint32_t>> home;
  for (std::uint32_t i = 0; i < 512; ++i) home.emplace_back(f.make(i), i);
  // Those written home and evicted; read back, they send the cache's new
  // objects home in turn.
  std::erase_if(home, [](const auto& h) { return h.first->meta().load().present(); });
  REQUIRE(home.size() >= 256);
  home.resize(256);
  for (const auto& [r, seed] : home) REQUIRE(f.holds(r, seed));
  // The node takes no new objects now (a tenant past its quota): 192 new
  // objects stay in the cache, three quarters of it, with nowhere to go.
  f.far.refuse_new(0, true);
  std::vector<object_record*> stuck;
  for (std::uint32_t i = 0; i < 192; ++i) stuck.push_back(f.make(1000 + i));
  const auto before = f.store->counts();
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& [r, seed] : home) REQUIRE(f.holds(r, seed));
  const auto after = f.store->counts();
  // Each read made room by evicting an object read before. Rounds picked
  // the stuck objects only when the node's pause for room ran out (once per
  // 100 ms): asked to write them home every round instead, they failed 15
  // times for every eviction, and the reads took 30 to 100 times as long.
  const auto failed = after.writeback_failures - before.writeback_failures;
  const auto evicted = after.evictions - before.evictions;
  INFO("write-backs failed " << failed << ", evictions " << evicted);
  CHECK(evicted >= 256);
  CHECK(failed <= evicted);
  // Nothing was lost: the node takes new objects again, they go home.
  f.far.refuse_new(0, false);
  for (std::uint32_t i = 0; i < 256; ++i) f.make(2000 + i);
  CHECK(!f.absent(stuck).empty());
  for (std::uint32_t i = 0; i < stuck.size(); ++i) REQUIRE(f.holds(stuck[i], 1000 + i));
}

TEST_CASE("a cache full of objects whose only home is unreachable says so", "[object_store]") {
  fixture f(4 << 20, 1, 300ms);
  std::vector<object_record*> records;
  for (std::uint32_t i = 0; i < 64; ++i) records.push_back(f.make(i));
  f.far.take_down(0);
  auto fill = [&] {
    for (std::uint32_t i = 64; i < 1024; ++i) records.push_back(f.make(i));
  };
  CHECK_THROWS_WITH(fill(), Catch::Contains("fake-node-0") && Catch::Contains("unreachable") &&
                                Catch::Contains("the evacuator ran"));
  // Back up, the cache drains home and nothing was lost.
  f.far.bring_up(0);
  for (std::uint32_t i = static_cast<std::uint32_t>(records.size()); i < 1024; ++i)
    records.push_back(f.make(i));
  CHECK(f.store->counts().evictions > 0);
  for (std::uint32_t i = 0; i < records.size(); ++i) REQUIRE(f.holds(records[i], i));
}

TEST_CASE("the evacuator makes room around what an open scope pins", "[object_store]") {
  fixture f;
  object_record* kept = f.make(7);
  DerefScope scope;
  void* where = remora::detail::deref_address(kept, f.store.get(), false);
  // Four caches' worth of new objects while the scope holds `kept`.
  for (std::uint32_t i = 0; i < 1024; ++i) f.make(i);
  CHECK(f.store->counts().evictions > 0);
  CHECK(kept->meta().load().present());
  CHECK(kept->meta().load().address() == where);
  const auto* p = static_cast<const unsigned char*>(where);
  CHECK(std::all_of(p, p + object_bytes, [](unsigned char b) { return b == 7; }));
}

TEST_CASE("prefetch reads each node's share in one batch", "[object_store]") {
  fixture f(8 << 20, 2);
  std::vector<object_record*> records;
  const auto gone = f.some_gone(records);
  const auto batches = f.far.read_batches();
  const auto reads = f.far.reads();
  const auto hinted = f.far.hints().size();
  std::vector<std::pair<std::uint32_t, std::uint64_t>> homes;
  for (const object_record* r : gone) homes.emplace_back(r->node, r->offset);
  CHECK(f.store->prefetch(gone) == gone.size());
  // Every slot hinted at once before the reads (a node's hints together).
  auto hints = f.far.hints();
  hints.erase(hints.begin(), hints.begin() + static_cast<std::ptrdiff_t>(hinted));
  std::ranges::sort(hints);
  std::ranges::sort(homes);
  CHECK(hints == homes);
  CHECK(f.far.read_batches() - batches <= 2);
  CHECK(f.far.reads() - reads == gone.size());
  CHECK(f.store->counts().prefetch_issued == gone.size());
  for (object_record* r : gone) CHECK(r->meta().load().prefetched());
  // A first deref takes the prefetch: a hit, counted once.
  for (object_record* r : gone) REQUIRE(f.holds(r, fixture::seed_of(records, r)));
  CHECK(f.store->counts().prefetch_hits == gone.size());
}

TEST_CASE(
    "a prefetch on a thread not connected yet holds nothing while it connects, and asks again",
    "[object_store]") {
  // A handshake may wait long on a node slow to answer: the prefetch lets
  // its claims go first (a reader getting there meanwhile fetches the
  // object itself) and says it dealt with none of them, so that its
  // prefetcher's next round, connected, reads them. (It once said all:
  // each new prefetcher thread passed over its first window.)
  fixture f(8 << 20, 1);
  std::vector<object_record*> records;
  const auto gone = f.some_gone(records);
  f.far.disconnect();
  const auto reads = f.far.reads();
  std::size_t fetched = 99;
  CHECK(f.store->prefetch(gone, &fetched) == 0);  // none dealt with: ask again
  CHECK(fetched == 0);
  CHECK(f.far.connects() == 1);
  CHECK(f.far.reads() == reads);
  for (object_record* r : gone) CHECK(r->meta().load().fetchable());  // absent, not in transit
  CHECK(f.store->prefetch(gone, &fetched) == gone.size());
  CHECK(fetched == gone.size());
  CHECK(f.far.reads() - reads == gone.size());
  CHECK(f.far.connects() == 1);
  for (object_record* r : gone) CHECK(f.holds(r, fixture::seed_of(records, r)));
}

TEST_CASE("a gather on a thread not connected yet connects first and reads every object",
          "[object_store]") {
  // The caller waits for a gather anyway: it connects holding nothing, then
  // reads, rather than let its first batch go to single misses.
  fixture f(8 << 20, 1);
  std::vector<object_record*> records;
  const auto gone = f.some_gone(records);
  f.far.disconnect();
  const auto reads = f.far.reads();
  f.store->fetch_many(gone);
  CHECK(f.far.connects() == 1);
  CHECK(f.far.reads() - reads == gone.size());
  for (object_record* r : gone) {
    CHECK(r->meta().load().present());
    CHECK(f.holds(r, fixture::seed_of(records, r)));
  }
}

TEST_CASE("CLOCK: a sweep passes over hot objects once and takes cold ones", "[object_store]") {
  auto cache = plain_cache(4 << 20);
  remora::objects::record_pool pool;
  std::vector<object_record*> hot, cold;
  for (int i = 0; i < 64; ++i) {
    object_record* r = pool.make();
    r->size = 4096;
    std::byte* slot = cache->allocate(r->size);
    REQUIRE(slot != nullptr);
    const bool is_hot = i % 2 == 0;
    cache->add_resident(r);
    r->meta().install(slot, {.hot = is_hot});
    (is_hot ? hot : cold).push_back(r);
  }
  auto sorted = [](std::vector<object_record*> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  // Asked for the cold bytes: exactly the cold objects; the hot ones lose H.
  auto first = cache->sweep(32 * 4096);
  CHECK(sorted(first) == sorted(cold));
  for (object_record* r : hot) CHECK_FALSE(r->meta().load().hot());
  // Claimed and finished, the cold ones leave.
  auto victims = cache->claim(first);
  CHECK(victims.size() == cold.size());
  CHECK(cache->finish({.held = victims, .revocable = {}}).empty());
  for (object_record* r : cold) CHECK_FALSE(r->meta().load().present());
  // The hot ones, touched again, get a second chance; asked for more than
  // is cold, a sweep hands out the cold first, then the cooled, once each.
  for (std::size_t i = 0; i < hot.size(); i += 2) hot[i]->meta().touch(false, false);
  auto second = cache->sweep(64 * 4096);
  REQUIRE(second.size() == hot.size());
  CHECK(sorted(second) == sorted(hot));
  for (std::size_t i = 0; i < hot.size() / 2; ++i)
    CHECK((std::find(hot.begin(), hot.end(), second[i]) - hot.begin()) % 2 == 1);
}

TEST_CASE("an object forgotten while claimed leaves the cache when the claim is given back",
          "[object_store]") {
  // Its last handle went while a mover held it (a write-back that then
  // failed, a move given up): the mover gives it back, and it must leave
  // then, or it stays resident and unclaimable, its slot lost for good.
  auto cache = plain_cache(4 << 20);
  remora::objects::record_pool pool;
  std::vector<object_record*> records;
  for (int i = 0; i < 2; ++i) {
    object_record* r = pool.make();
    r->size = 4096;
    std::byte* slot = cache->allocate(r->size);
    REQUIRE(slot != nullptr);
    cache->add_resident(r);
    r->meta().install(slot, {});
    records.push_back(r);
  }
  const std::uint64_t used = cache->used();
  auto claimed = cache->claim_any(records);
  REQUIRE(claimed.size() == 2);
  CHECK(cache->forget(records[0]) == local_cache::forgotten::held);
  const auto dead = cache->restore(claimed);
  REQUIRE(dead == std::vector<object_record*>{records[0]});
  CHECK(cache->used() < used);
  // The other is back, present and claimable; the forgotten one is gone.
  CHECK(records[1]->meta().load().usable());
  CHECK(cache->sweep(1 << 20) == std::vector<object_record*>{records[1]});
  CHECK(cache->forget(records[0]) == local_cache::forgotten::deletable);
}

TEST_CASE("a parked scope's pins do not hide prefetched objects from the evacuator",
          "[object_store]") {
  // The cache holds what this scope pins and, besides, only prefetched
  // objects nobody has read yet. The evacuator must pass the pins over and
  // take the prefetched, or the scope waits out the timeout for nothing.
  fixture f(4 << 20, 1, 2s);
  std::vector<object_record*> records;
  for (std::uint32_t i = 0; i < 1024; ++i) records.push_back(f.make(i));
  // Prefetch until every object in the cache is a prefetched one: the
  // evacuator takes the cold objects that were read (or made) first.
  // ...and enough of them for the scope below (80 held, room for 30 more).
  auto unread_only = [&] {
    std::size_t present = 0;
    for (object_record* r : records) {
      const auto m = r->meta().load();
      if (m.present() && !m.prefetched()) return false;
      present += m.present();
    }
    return present >= 80;
  };
  std::size_t next = 0;
  for (auto until = std::chrono::steady_clock::now() + 20s;
       !unread_only() && std::chrono::steady_clock::now() < until;) {
    std::vector<object_record*> batch;
    for (; batch.size() < 16; next = (next + 1) % records.size())
      if (!records[next]->meta().load().present()) batch.push_back(records[next]);
    (void)f.store->prefetch(batch);
    std::this_thread::sleep_for(1ms);
  }
  REQUIRE(unread_only());
  std::vector<object_record*> held, absent;
  for (object_record* r : records) {
    const bool present = r->meta().load().present();
    if (present && held.size() < 80) held.push_back(r);
    if (!present && absent.size() < 30) absent.push_back(r);
  }
  REQUIRE(held.size() == 80);
  REQUIRE(absent.size() == 30);
  // 110 objects in one scope, 1.7 MiB: under half the cache. Each miss
  // needs room that only the prefetched objects can give.
  DerefScope scope;
  for (object_record* r : held) (void)remora::detail::deref_address(r, f.store.get(), false);
  for (object_record* r : absent)
    CHECK_NOTHROW(remora::detail::deref_address(r, f.store.get(), false));
  for (object_record* r : held) CHECK(r->meta().load().present());
  for (object_record* r : absent) CHECK(r->meta().load().present());
}

TEST_CASE("read_part copies a piece of an absent object and leaves it absent", "[object_store]") {
  fixture f(4 << 20, 1);
  std::vector<object_record*> records;
  for (std::uint32_t i = 0; i < 1024; ++i) records.push_back(f.make(i));
  auto gone = f.absent(records);
  REQUIRE(gone.size() >= 2);
  object_record* r = gone[0];
  const auto seed =
      static_cast<std::uint32_t>(std::find(records.begin(), records.end(), r) - records.begin());
  std::vector<std::byte> piece(100);
  REQUIRE(f.store->read_part(r, 1000, piece));
  CHECK(std::all_of(piece.begin(), piece.end(),
                    [&](std::byte b) { return b == std::byte(seed & 0xff); }));
  CHECK(f.far.part_reads() == 1);
  CHECK_FALSE(r->meta().load().present());
  CHECK(r->meta().load().fetchable());
  // Present objects are the deref's to read.
  REQUIRE(f.holds(r, seed));
  CHECK_FALSE(f.store->read_part(r, 0, piece));
  CHECK(f.far.part_reads() == 1);
  // Errors arrive typed and leave the object as it was.
  object_record* lost = gone[1];
  f.far.lose(0, lost->id);
  CHECK_THROWS_AS(f.store->read_part(lost, 0, piece), remora::ObjectLost);
  CHECK(lost->meta().load().fetchable());
  f.far.kill(0);
  CHECK_THROWS_AS(f.store->read_part(lost, 0, piece), remora::ObjectLost);
}

TEST_CASE("objects whose home is down move to a reachable node when evicted, never dropped",
          "[object_store]") {
  fixture f(4 << 20, 2);
  std::vector<object_record*> before;
  for (std::uint32_t i = 0; i < 1024; ++i) before.push_back(f.make(i));
  // The evictions the creation started finish first (an object evicted
  // home just before the node goes down is there, not here); then the node
  // goes down, and then we look.
  std::uint64_t last = ~std::uint64_t{0};
  remora::testing::eventually(
      [&] {
        const auto now = f.store->counts().evictions;
        const bool quiet = now == last;
        last = now;
        std::this_thread::sleep_for(50ms);
        return quiet;
      },
      10s);
  f.far.take_down(0);
  std::vector<object_record*> resident;
  std::vector<std::uint32_t> seeds;
  for (std::uint32_t i = 0; i < before.size(); ++i)
    if (before[i]->meta().load().present()) {
      resident.push_back(before[i]);
      seeds.push_back(i);
    }
  REQUIRE(!resident.empty());
  // Four caches' worth made after: the resident ones are evicted, and the
  // new ones are placed on node 1 only.
  std::vector<object_record*> after;
  for (std::uint32_t i = 0; i < 1024; ++i) after.push_back(f.make(2000 + i));
  for (object_record* r : after) CHECK(r->node == 1);
  std::size_t wrong = 0;
  for (std::size_t k = 0; k < resident.size(); ++k) wrong += !f.holds(resident[k], seeds[k]);
  for (std::uint32_t i = 0; i < after.size(); ++i) wrong += !f.holds(after[i], 2000 + i);
  CHECK(wrong == 0);
  for (object_record* r : resident) CHECK(r->node == 1);
}

TEST_CASE("a wait for room returns at once for room made since the caller looked",
          "[object_store]") {
  auto cache = plain_cache(4 << 20);
  std::vector<std::byte*> slots;
  while (std::byte* slot = cache->allocate(object_bytes, false)) slots.push_back(slot);
  REQUIRE(!slots.empty());
  const std::uint64_t seen = cache->room_made();
  // Room is made after the failed allocation, before the wait: the wait
  // must not sleep through it (it waited its whole timeout before).
  cache->free_slot(slots.back(), object_bytes);
  slots.pop_back();
  const auto start = std::chrono::steady_clock::now();
  cache->wait_for_room(seen, 60s);
  CHECK(std::chrono::steady_clock::now() - start < 30s);
  CHECK(cache->room_made() != seen);
  CHECK(cache->allocate(object_bytes, false) != nullptr);
  // No room made since: the wait lasts its timeout.
  const std::uint64_t now = cache->room_made();
  cache->wait_for_room(now, 20ms);
  CHECK(cache->room_made() == now);
}

TEST_CASE("objects created zeroed take no room until used, and only written ones go home",
          "[object_store]") {
  fixture f;  // 4 MiB of cache; 16 MiB of zeroed objects
  std::vector<object_record*> records;
  for (std::uint32_t i = 0; i < 1024; ++i) records.push_back(f.store->create_zeroed(object_bytes));
  // Nothing anywhere yet: no slot here, no object at a node.
  CHECK(f.store->tiers()[0].used() == 0);
  CHECK(f.far.allocations() == 0);
  for (object_record* r : records) {
    const auto m = r->meta().load();
    REQUIRE(m.absent());
    CHECK_FALSE(m.has_hint());
    CHECK(r->version == 0);
  }
  // Read, four caches' worth: zeros, made here, dropped when evicted.
  for (object_record* r : records) REQUIRE(f.holds(r, 0));
  CHECK(f.store->counts().evictions > 0);
  CHECK(f.far.reads() == 0);
  CHECK(f.far.writes() == 0);
  CHECK(f.far.objects(0) + f.far.objects(1) == 0);
  // Written, every other one: those go home when evicted, and come back.
  for (std::uint32_t i = 0; i < records.size(); i += 2) {
    DerefScope scope;
    std::memset(remora::detail::deref_address(records[i], f.store.get(), true), int(i & 0xff) | 1,
                object_bytes);
  }
  std::size_t wrong = 0;
  for (std::uint32_t i = 0; i < records.size(); ++i)
    wrong += !f.holds(records[i], i % 2 == 0 ? (i & 0xff) | 1 : 0);
  CHECK(wrong == 0);
  CHECK(f.far.writes() > 0);
  CHECK(f.far.objects(0) + f.far.objects(1) <= records.size() / 2);
  CHECK(f.far.reads() > 0);
  for (object_record* r : records) f.store->release(r);
  CHECK(f.all_freed());
}

TEST_CASE("read_part of an object never written reads zeros, from nowhere", "[object_store]") {
  fixture f;
  object_record* r = f.store->create_zeroed(object_bytes);
  std::vector<std::byte> piece(100, std::byte{0x5a});
  REQUIRE(f.store->read_part(r, 1000, piece));
  CHECK(std::all_of(piece.begin(), piece.end(), [](std::byte b) { return b == std::byte{0}; }));
  CHECK(f.far.part_reads() == 0);
  CHECK(r->meta().load().absent());
  f.store->release(r);
  CHECK(f.all_freed());
}

TEST_CASE("sealing objects never written writes their zeros home", "[object_store]") {
  fixture f;
  std::vector<object_record*> records;
  for (std::uint32_t i = 0; i < 300; ++i) records.push_back(f.store->create_zeroed(object_bytes));
  {  // one written, one only read: every kind a table's chunks can be in
    DerefScope scope;
    std::memset(remora::detail::deref_address(records[0], f.store.get(), true), 7, object_bytes);
    (void)remora::detail::deref_address(records[1], f.store.get(), false);
  }
  f.store->seal(records);
  for (std::uint32_t i = 0; i < records.size(); ++i) {
    object_record* r = records[i];
    REQUIRE(r->meta().load().absent());
    REQUIRE(r->version != 0);
    const auto home = f.far.bytes(r->node, r->id);
    REQUIRE(home.has_value());
    REQUIRE(home->size() == object_bytes);
    const std::byte want{static_cast<unsigned char>(i == 0 ? 7 : 0)};
    CHECK(std::all_of(home->begin(), home->end(), [&](std::byte b) { return b == want; }));
  }
  f.store->unshare(records);
  for (object_record* r : records) f.store->release(r);
  CHECK(f.all_freed());
}

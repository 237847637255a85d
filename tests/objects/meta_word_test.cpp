// The metadata word's transitions: each does what its name says, and the
// ones that race have exactly one winner.
#include "remora/detail/meta_word.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using remora::detail::meta_state;
using remora::detail::meta_word;

namespace {
alignas(8) std::byte payload[64];
alignas(8) std::byte elsewhere[64];
}  // namespace

TEST_CASE("a fetch begins once, installs, and a failed one leaves the object absent", "[meta]") {
  meta_word w;
  meta_state seen = w.load();
  REQUIRE(seen.fetchable());
  REQUIRE(w.begin_fetch(seen));
  meta_state again = w.load();
  CHECK(again.fetching());
  CHECK_FALSE(w.begin_fetch(again));  // someone else holds F
  w.abort_fetch();
  CHECK(w.load().bits() == 0);

  seen = w.load();
  REQUIRE(w.begin_fetch(seen));
  w.install(payload, {.hot = true, .dirty = true});
  const meta_state m = w.load();
  CHECK(m.present());
  CHECK(m.hot());
  CHECK(m.dirty());
  CHECK_FALSE(m.fetching());
  CHECK(m.address() == payload);
  CHECK(m.host_fast(true));
  CHECK(m.host_fast(false));
}

TEST_CASE("the fast paths refuse what the slow path must handle", "[meta]") {
  meta_word w;
  w.install(payload, {.hot = true});
  CHECK(w.load().host_fast(false));
  CHECK_FALSE(w.load().host_fast(true));  // a write must set D first
  w.install(payload, {.hot = true, .prefetched = true});
  CHECK_FALSE(w.load().host_fast(false));  // the first real deref counts a prefetch hit
  CHECK(w.take_prefetched());
  CHECK_FALSE(w.take_prefetched());  // counted once
  CHECK(w.load().host_fast(false));
  w.install(payload, {.hot = true, .device = true});
  CHECK_FALSE(w.load().host_fast(false));
  CHECK(w.load().device_fast());
  w.install(payload, {});
  CHECK_FALSE(w.load().host_fast(false));  // cold: the slow path sets H
}

TEST_CASE("touch sets H, D for writes and S only for a scan's touch of a cold object", "[meta]") {
  meta_word w;
  w.install(payload, {});
  meta_state before = w.touch(false, true);
  CHECK_FALSE(before.hot());
  CHECK(w.load().hot());
  CHECK(w.load().scanned());
  w.cool();
  CHECK_FALSE(w.load().hot());
  CHECK_FALSE(w.load().scanned());
  w.touch(false, false);
  w.touch(false, true);  // already hot: not a touch-once object
  CHECK_FALSE(w.load().scanned());
  w.touch(true, false);
  CHECK(w.load().dirty());
  CHECK(w.load().address() == payload);
}

TEST_CASE("a claim needs a usable object clear of the given bits, restore and drop end it",
          "[meta]") {
  meta_word w;
  CHECK_FALSE(w.claim(0));  // absent
  w.install(payload, {.hot = true});
  CHECK_FALSE(w.claim(meta_state::hot_bit));  // hot: not evictable
  w.cool();
  REQUIRE(w.claim(meta_state::hot_bit));
  CHECK(w.load().evacuating());
  CHECK_FALSE(w.load().usable());
  CHECK_FALSE(w.claim(0));  // claimed once
  w.restore();
  CHECK(w.load().usable());
  REQUIRE(w.claim(0));
  w.drop();
  CHECK(w.load().bits() == 0);
  CHECK(w.load().fetchable());
}

TEST_CASE("an absent word keeps a hint of its home through fetches that fail, not past install",
          "[meta]") {
  CHECK(meta_state::home_hint(255, 64) == 0);              // node out of range
  CHECK(meta_state::home_hint(3, 65) == 0);                // not 8-byte aligned
  CHECK(meta_state::home_hint(3, 8ull << 40) == 0);        // past 8 TiB
  const std::uint64_t hint = meta_state::home_hint(0, 0);  // node 0, offset 0: still a hint
  CHECK(hint != 0);
  meta_word w;
  w.install(payload, {.hot = true});
  REQUIRE(w.claim(0));
  w.drop(meta_state::home_hint(7, (5ull << 40) - 8));
  meta_state m = w.load();
  CHECK(m.absent());
  CHECK(m.fetchable());
  CHECK_FALSE(m.present());
  CHECK_FALSE(m.retired());
  REQUIRE(m.has_hint());
  CHECK(m.hint_node() == 7);
  CHECK(m.hint_offset() == (5ull << 40) - 8);
  REQUIRE(w.begin_fetch(m));
  CHECK_FALSE(w.load().fetchable());
  CHECK_FALSE(w.load().absent());
  w.abort_fetch();
  CHECK(w.load().absent());
  CHECK(w.load().hint_offset() == (5ull << 40) - 8);
  m = w.load();
  REQUIRE(w.begin_fetch(m));
  w.install(payload, {});
  CHECK(w.load().address() == payload);  // the hint is gone with the absence
  REQUIRE(w.claim(0));
  w.drop(hint);
  CHECK(w.load().hint_node() == 0);
  CHECK(w.load().hint_offset() == 0);
  CHECK(w.retire_absent());
  CHECK(w.load().retired());
  CHECK(w.retire_absent());  // found retired
  meta_word made;
  made.retire();
  made.make_absent(meta_state::home_hint(1, 4096));
  CHECK(made.load().absent());
  CHECK(made.load().hint_offset() == 4096);
}

TEST_CASE("a move keeps the dirty bit and takes the new address and flags", "[meta]") {
  meta_word w;
  w.install(payload, {.hot = true, .dirty = true});
  REQUIRE(w.claim(0));
  w.move_to(elsewhere, {.device = true});
  const meta_state m = w.load();
  CHECK(m.usable());
  CHECK(m.dirty());
  CHECK(m.on_device());
  CHECK_FALSE(m.hot());
  CHECK(m.address() == elsewhere);
}

TEST_CASE("racing fetches and claims have exactly one winner", "[meta]") {
  for (int round = 0; round < 200; ++round) {
    meta_word w;
    std::atomic<int> fetchers{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        meta_state seen = w.load();
        if (w.begin_fetch(seen)) fetchers.fetch_add(1);
      });
    for (auto& t : threads) t.join();
    REQUIRE(fetchers.load() == 1);

    w.install(payload, {});
    std::atomic<int> claimers{0};
    threads.clear();
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        if (w.claim(meta_state::hot_bit)) claimers.fetch_add(1);
      });
    for (auto& t : threads) t.join();
    REQUIRE(claimers.load() == 1);
  }
}

TEST_CASE("an eviction claims a clean object revocably: a deref takes it back, or it is dropped",
          "[meta]") {
  using claimed = meta_word::claimed;
  meta_word w;
  w.install(payload, {.hot = true});
  CHECK(w.claim_victim(meta_state::hot_bit, true) == claimed::no);  // hot: not evictable
  w.cool();
  REQUIRE(w.claim_victim(meta_state::hot_bit, true) == claimed::revocable);
  meta_state m = w.load();
  CHECK(m.revocable());
  CHECK_FALSE(m.usable());                        // derefs do not use it as it is
  CHECK(w.claim_victim(0, true) == claimed::no);  // claimed once

  // A write takes it back: present, hot and dirty, the claim gone.
  REQUIRE(w.take_back(m, true, false));
  m = w.load();
  CHECK(m.usable());
  CHECK(m.hot());
  CHECK(m.dirty());
  CHECK_FALSE(m.revocable());
  CHECK(m.address() == payload);
  std::byte* slot = nullptr;
  CHECK_FALSE(w.drop_claimed(0, slot));  // the eviction finds it taken back: it stays
  CHECK(w.load().usable());
  CHECK(slot == nullptr);

  // Dirty now: an eviction must write it home first, so its claim is held.
  w.cool();
  REQUIRE(w.claim_victim(meta_state::hot_bit, true) == claimed::held);
  m = w.load();
  CHECK_FALSE(m.revocable());
  CHECK_FALSE(w.take_back(m, false, false));
  CHECK(w.load().evacuating());
  w.restore();

  // Clean again (a new object at a new place), and an eviction told that it
  // goes home anyway (its node is leaving): held too.
  w.drop();
  m = w.load();
  REQUIRE(w.begin_fetch(m));
  w.install(elsewhere, {});
  CHECK(w.claim_victim(meta_state::hot_bit, false) == claimed::held);
  w.restore();
  CHECK_FALSE(w.load().evacuating());

  // Not taken back: the drop leaves the hint and says where the slot was.
  REQUIRE(w.claim_victim(meta_state::hot_bit, true) == claimed::revocable);
  REQUIRE(w.drop_claimed(meta_state::home_hint(2, 512), slot));
  CHECK(slot == elsewhere);
  m = w.load();
  CHECK(m.absent());
  CHECK(m.hint_node() == 2);
  CHECK(m.hint_offset() == 512);
  CHECK_FALSE(w.take_back(m, false, false));  // nothing to take back: it is gone

  // A restore ends a revocable claim as it ends a held one.
  m = w.load();
  REQUIRE(w.begin_fetch(m));
  w.install(payload, {.prefetched = true});
  REQUIRE(w.claim_victim(meta_state::hot_bit, true) == claimed::revocable);
  w.restore();
  m = w.load();
  CHECK(m.usable());
  CHECK_FALSE(m.revocable());
  CHECK(m.prefetched());  // kept through claim and restore
}

TEST_CASE("a deref taking an object back and the eviction dropping it race: one wins", "[meta]") {
  for (int round = 0; round < 400; ++round) {
    meta_word w;
    w.install(payload, {});
    REQUIRE(w.claim_victim(meta_state::hot_bit, true) == meta_word::claimed::revocable);
    bool took = false, dropped_it = false;
    std::byte* slot = nullptr;
    std::thread reader([&] {
      meta_state m = w.load();
      // As deref_slow does: look again while the claim is there to take.
      while (m.revocable() && !(took = w.take_back(m, false, false))) {
      }
    });
    dropped_it = w.drop_claimed(0, slot);
    reader.join();
    REQUIRE(took != dropped_it);  // exactly one
    if (took) {
      CHECK(w.load().usable());
      CHECK(slot == nullptr);
    } else {
      CHECK(w.load().absent());
      CHECK(slot == payload);
    }
  }
}

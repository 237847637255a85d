// replicated_far_store over an in-process far store of three nodes: every
// object on two of them, reads that fail over, stale replicas never read,
// typed errors when no copy is left; and the object store on top of it
// losing nothing when a node goes down.
#include "objects/replicated_far_store.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>

#include "objects/local_cache.hpp"
#include "objects/object_store.hpp"
#include "remora/deref_scope.hpp"
#include "remora/errors.hpp"
#include "storage/slot.hpp"
#include "tests/objects/fake_far_store.hpp"

using namespace std::chrono_literals;
using remora::objects::replicated_far_store;
using remora::storage::object_location;
using remora::testing::fake_far_store;

namespace {

constexpr std::uint32_t replica_size = 256;

std::vector<std::byte> replica_bytes(std::uint64_t id, int round) {
  return std::vector<std::byte>(replica_size, std::byte((id * 7 + round) & 0xff));
}

object_location at(std::uint64_t id) {
  return {id, 0, 0, replica_size,
          static_cast<std::uint32_t>(remora::storage::slot_bytes(replica_size))};
}

struct replicas_fixture {
  fake_far_store* fake;  // owned by `store`
  std::unique_ptr<replicated_far_store> store;
  std::vector<object_location> objects;

  explicit replicas_fixture(std::uint32_t nodes = 3) {
    auto f = std::make_unique<fake_far_store>(nodes);
    fake = f.get();
    store = std::make_unique<replicated_far_store>(std::move(f), 2,
                                                   remora::objects::repair_options{false});
    for (std::uint64_t id = 1; id <= 100; ++id) objects.push_back(at(id));
    REQUIRE(store->allocate(0, objects).ok());
    for (auto& o : objects) REQUIRE(o.version != 0);
  }

  void write_all(int round) {
    for (auto& o : objects) REQUIRE(store->write(0, o, replica_bytes(o.id, round)).ok());
  }
  // How many objects read back as written in `round`.
  std::size_t read_all(int round) {
    std::size_t right = 0;
    for (auto& o : objects) {
      std::vector<std::byte> into(replica_size);
      std::span<std::byte> to(into);
      if (store->read(0, {&o, 1}, {&to, 1}).ok() && into == replica_bytes(o.id, round)) ++right;
    }
    return right;
  }
};

}  // namespace

TEST_CASE("replicas: every object on two of three nodes, read back after one goes down",
          "[replicas]") {
  replicas_fixture f;
  CHECK(f.fake->objects(0) + f.fake->objects(1) + f.fake->objects(2) == 200);
  for (std::uint32_t n = 0; n < 3; ++n) CHECK(f.fake->objects(n) > 0);  // spread
  f.write_all(1);
  CHECK(f.read_all(1) == 100);
  CHECK(f.store->failovers() == 0);
  f.fake->take_down(0);
  CHECK(f.read_all(1) == 100);
  CHECK(f.store->failovers() > 0);
  // A batched read fails over too.
  std::vector<std::vector<std::byte>> into(f.objects.size(), std::vector<std::byte>(replica_size));
  std::vector<std::span<std::byte>> to(into.begin(), into.end());
  REQUIRE(f.store->read(0, f.objects, to).ok());
  for (std::size_t i = 0; i < f.objects.size(); ++i)
    CHECK(into[i] == replica_bytes(f.objects[i].id, 1));
  // Writes go on with one node down.
  f.write_all(2);
  CHECK(f.read_all(2) == 100);
}

TEST_CASE("replicas: a replica that missed a write is never read again", "[replicas]") {
  replicas_fixture f;
  f.write_all(1);
  f.fake->take_down(1);
  f.write_all(2);  // node 1's copies keep round 1
  f.fake->bring_up(1);
  CHECK(f.read_all(2) == 100);
  // Every round-2 copy is on node 0 or 2. With both dead only stale copies
  // are reachable: the reads fail, typed, rather than return round 1.
  f.fake->kill(0);
  f.fake->kill(2);
  // Repair finds those objects with nothing current to copy from: lost,
  // counted once however often it looks.
  f.store->repair_now();
  f.store->repair_now();
  CHECK(f.store->objects_lost() == 100);
  std::vector<std::byte> into(replica_size);
  std::span<std::byte> to(into);
  for (auto& o : f.objects) {
    auto r = f.store->read(0, {&o, 1}, {&to, 1});
    REQUIRE_FALSE(r.ok());
    CHECK((r.err().code == remora::transport::errc::peer_unreachable ||
           r.err().code == remora::transport::errc::unknown_object));
  }
}

TEST_CASE("replicas: the object store loses nothing when a node goes down", "[replicas]") {
  auto fake = std::make_unique<fake_far_store>(3);
  fake_far_store& nodes = *fake;
  replicated_far_store far(std::move(fake), 2);
  std::vector<std::unique_ptr<remora::objects::local_cache>> tiers;
  auto memory = remora::storage::open_plain_tier(4 << 20);
  REQUIRE(memory.ok());
  auto cache = remora::objects::local_cache::create(std::move(memory).value());
  REQUIRE(cache.ok());
  tiers.push_back(std::move(cache).value());
  remora::objects::object_store store(
      std::make_unique<remora::objects::tier_stack>(std::move(tiers)), far, 5s);
  constexpr std::uint32_t object_bytes = 16 << 10;
  std::vector<remora::detail::object_record*> records;
  for (std::uint32_t i = 0; i < 1024; ++i)  // four caches' worth
    records.push_back(store.create(
        object_bytes,
        [](void* p, void* arg) {
          std::memset(p, int(*static_cast<std::uint32_t*>(arg) & 0xff), object_bytes);
        },
        &i));
  CHECK(store.counts().evictions > 0);
  nodes.take_down(2);
  std::size_t wrong = 0;
  for (std::uint32_t i = 0; i < records.size(); ++i) {
    remora::DerefScope scope;
    const auto* p =
        static_cast<const unsigned char*>(remora::detail::deref_address(records[i], &store, false));
    wrong += std::count_if(p, p + object_bytes, [&](unsigned char b) { return b != (i & 0xff); });
  }
  CHECK(wrong == 0);
  CHECK(far.failovers() > 0);
}

TEST_CASE("replicas: a copy that fails its checksum is passed over for another", "[replicas]") {
  replicas_fixture f;
  f.write_all(1);
  // Damage the first copy of every object that has one on node 0.
  std::size_t damaged = 0;
  for (auto& o : f.objects)
    if (f.fake->bytes(0, o.id)) {
      f.fake->damage(0, o.id);
      ++damaged;
    }
  REQUIRE(damaged > 0);
  CHECK(f.read_all(1) == 100);
  CHECK(f.store->failovers() > 0);
}

TEST_CASE("replicas: repair restores two copies, so a second failure loses nothing", "[replicas]") {
  replicas_fixture f(5);
  f.write_all(1);
  f.fake->kill(0);
  const std::size_t copies = f.store->repair_now();
  CHECK(copies > 0);  // every object that had a copy on node 0
  CHECK(f.store->repairs() == copies);
  CHECK(f.store->repair_now() == 0);  // nothing left to do
  f.fake->kill(1);
  CHECK(f.read_all(1) == 100);
  // Writes after repair reach the new copies too, and a third death after
  // the next repair loses nothing either.
  CHECK(f.store->repair_now() > 0);
  f.write_all(2);
  f.fake->kill(2);
  CHECK(f.read_all(2) == 100);
  CHECK(f.store->objects_lost() == 0);
}

TEST_CASE("replicas: an unreachable node is not a dead one: its copies wait for it", "[replicas]") {
  replicas_fixture f(4);
  f.write_all(1);
  const std::size_t on_1 = f.fake->objects(1);
  REQUIRE(on_1 > 0);
  // Unreachable, its copies still current: nothing to rebuild, nothing lost.
  f.fake->take_down(1);
  CHECK(f.store->repair_now() == 0);
  CHECK(f.read_all(1) == 100);
  // A write while it is away leaves its copies stale: those objects get a
  // second current copy elsewhere, and node 1 keeps its stale ones...
  f.write_all(2);
  CHECK(f.store->repair_now() == on_1);
  CHECK(f.fake->objects(1) == on_1);
  // ...until it is back: then they are freed, and frees made meanwhile
  // reach it too.
  (void)f.store->free(0, std::vector<remora::storage::object_id>{f.objects[0].id});
  f.fake->bring_up(1);
  f.store->repair_now();
  CHECK(f.fake->objects(1) == 0);
  f.objects.erase(f.objects.begin());
  CHECK(f.read_all(2) == 99);
  CHECK(f.store->objects_lost() == 0);
}

TEST_CASE("replicas: a scrub finds damaged second copies before they are needed", "[replicas]") {
  replicas_fixture f;
  f.write_all(1);
  std::size_t damaged = 0;
  for (auto& o : f.objects)
    if (f.fake->bytes(1, o.id)) {
      f.fake->damage(1, o.id);
      ++damaged;
    }
  REQUIRE(damaged > 0);
  CHECK(f.store->scrub_now() == damaged);
  CHECK(f.store->repair_now() == damaged);
  // Node 1's copies are whole again: with either other node down, every
  // object reads back.
  f.fake->take_down(0);
  CHECK(f.read_all(1) == 100);
  f.fake->bring_up(0);
  f.fake->take_down(2);
  CHECK(f.read_all(1) == 100);
}

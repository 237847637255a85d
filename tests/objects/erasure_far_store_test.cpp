// erasure_far_store over an in-process far store: objects coded in spans of
// k (each whole on its own node, m parity objects beside them); reads that
// take one get and decode only when that copy is missing, down or damaged;
// writes and frees that keep the parity right; repair that rebuilds columns
// so that a later failure loses nothing; typed errors when fewer than k
// columns are left; shared objects taken out of their spans into whole
// copies.
#include "objects/erasure_far_store.hpp"

#include <catch2/catch.hpp>

#include <cstring>

#include "storage/slot.hpp"
#include "tests/objects/fake_far_store.hpp"

using remora::objects::erasure_far_store;
using remora::storage::object_location;
using remora::testing::fake_far_store;

namespace {

constexpr std::uint32_t object_size = 1001;

std::vector<std::byte> erasure_bytes(std::uint64_t id, int round) {
  std::vector<std::byte> b(object_size);
  for (std::uint32_t i = 0; i < object_size; ++i)
    b[i] = std::byte((id * 7 + round * 13 + i) & 0xff);
  return b;
}

struct erasure_fixture {
  fake_far_store* fake;  // owned by `store`
  std::unique_ptr<erasure_far_store> store;
  std::vector<object_location> objects;

  erasure_fixture(std::uint32_t nodes, std::uint32_t k, std::uint32_t m) {
    auto f = std::make_unique<fake_far_store>(nodes);
    fake = f.get();
    store = std::make_unique<erasure_far_store>(std::move(f), k, m,
                                                remora::objects::repair_options{false});
    for (std::uint64_t id = 1; id <= 100; ++id)
      objects.push_back({id, 0, 0, object_size,
                         static_cast<std::uint32_t>(remora::storage::slot_bytes(object_size))});
    REQUIRE(store->allocate(0, objects).ok());
    for (auto& o : objects) REQUIRE(o.version != 0);
  }
  void write_all(int round) {
    for (auto& o : objects) REQUIRE(store->write(0, o, erasure_bytes(o.id, round)).ok());
  }
  // How many objects read back as written in `round`, one by one.
  std::size_t read_all(int round) {
    std::size_t right = 0;
    for (auto& o : objects) {
      std::vector<std::byte> into(object_size);
      std::span<std::byte> to(into);
      if (store->read(0, {&o, 1}, {&to, 1}).ok() && into == erasure_bytes(o.id, round)) ++right;
    }
    return right;
  }
  // The same, in one batched read.
  std::size_t read_batch(int round) {
    std::vector<std::vector<std::byte>> into(objects.size(), std::vector<std::byte>(object_size));
    std::vector<std::span<std::byte>> to(into.begin(), into.end());
    if (!store->read(0, objects, to).ok()) return 0;
    std::size_t right = 0;
    for (std::size_t i = 0; i < objects.size(); ++i)
      right += into[i] == erasure_bytes(objects[i].id, round);
    return right;
  }
  std::size_t held(std::uint32_t nodes) const {
    std::size_t sum = 0;
    for (std::uint32_t n = 0; n < nodes; ++n) sum += fake->objects(n);
    return sum;
  }
  std::uint64_t held_bytes(std::uint32_t nodes) const {
    std::uint64_t sum = 0;
    for (std::uint32_t n = 0; n < nodes; ++n) sum += fake->stored_bytes(n);
    return sum;
  }
};

}  // namespace

TEST_CASE("erasure(2, 1): spans of two objects, each whole on its node, one get a read",
          "[erasure]") {
  erasure_fixture f(3, 2, 1);
  CHECK(f.store->spans() == 50);
  CHECK(f.held(3) == 150);  // 100 objects and 50 parity objects
  CHECK(f.held_bytes(3) == 150 * object_size);
  for (auto& o : f.objects) {
    std::size_t copies = 0;
    for (std::uint32_t n = 0; n < 3; ++n) copies += f.fake->bytes(n, o.id).has_value();
    CHECK(copies == 1);  // whole, on one node
  }
  f.write_all(1);
  const auto reads = f.fake->reads();
  CHECK(f.read_all(1) == 100);
  CHECK(f.fake->reads() - reads == 100);  // one get each
  CHECK(f.read_batch(1) == 100);
  CHECK(f.store->failovers() == 0);
  for (std::uint32_t down = 0; down < 3; ++down) {
    f.fake->take_down(down);
    CHECK(f.read_all(1) == 100);
    CHECK(f.read_batch(1) == 100);
    f.fake->bring_up(down);
  }
  CHECK(f.store->failovers() > 0);  // reads that decoded
}

TEST_CASE("erasure(2, 1): writes and frees keep the parity right", "[erasure]") {
  erasure_fixture f(3, 2, 1);
  f.write_all(1);
  f.write_all(2);  // updates: the change goes to the parity
  // A node down: its objects decode from the parity and their span mates.
  f.fake->take_down(0);
  CHECK(f.read_all(2) == 100);
  f.fake->bring_up(0);
  // Writes with a node down: its columns miss them (stale) and are written
  // again in place by repair; then another node may go.
  f.fake->take_down(2);
  f.write_all(3);
  f.fake->bring_up(2);
  CHECK(f.store->repair_now() > 0);
  CHECK(f.store->repair_now() == 0);
  f.fake->take_down(0);
  CHECK(f.read_all(3) == 100);
  f.fake->bring_up(0);
  // Every other object freed: each leaves the parity first, so its span
  // mate still decodes with its own node down.
  std::vector<remora::storage::object_id> gone;
  for (std::size_t i = 0; i < f.objects.size(); i += 2) gone.push_back(f.objects[i].id);
  REQUIRE(f.store->free(0, gone).ok());
  CHECK(f.store->spans() <= 50);
  std::vector<object_location> kept;
  for (std::size_t i = 1; i < f.objects.size(); i += 2) kept.push_back(f.objects[i]);
  f.objects = kept;
  for (std::uint32_t down = 0; down < 3; ++down) {
    f.fake->take_down(down);
    CHECK(f.read_all(3) == 50);
    f.fake->bring_up(down);
  }
  // The rest freed: nothing is left anywhere, parity included.
  std::vector<remora::storage::object_id> rest;
  for (auto& o : f.objects) rest.push_back(o.id);
  REQUIRE(f.store->free(0, rest).ok());
  CHECK(f.store->spans() == 0);
  CHECK(f.held(3) == 0);
}

TEST_CASE("erasure(2, 1): a damaged copy is decoded around, then rebuilt", "[erasure]") {
  erasure_fixture f(3, 2, 1);
  f.write_all(1);
  f.fake->damage_all(1);
  CHECK(f.read_all(1) == 100);
  // Reads came across the damaged objects (not the parity, which reads do
  // not touch): those were decoded around, and are rebuilt.
  const auto decoded = f.store->failovers();
  CHECK(decoded > 0);
  CHECK(f.store->repair_now() == decoded);
  CHECK(f.store->repair_now() == 0);
  CHECK(f.read_all(1) == 100);
  CHECK(f.store->failovers() == decoded);  // rebuilt, they read whole
  CHECK(f.store->objects_lost() == 0);
}

TEST_CASE("erasure(2, 1): repair after a death, so a second death loses nothing", "[erasure]") {
  erasure_fixture f(5, 2, 1);
  f.write_all(1);
  f.fake->kill(0);
  const std::size_t rebuilt = f.store->repair_now();
  CHECK(rebuilt > 0);  // a column of every span that had one there
  CHECK(f.store->repairs() == rebuilt);
  CHECK(f.store->repair_now() == 0);
  f.fake->kill(1);
  CHECK(f.read_all(1) == 100);
  CHECK(f.store->repair_now() > 0);
  f.write_all(2);
  f.fake->kill(2);
  CHECK(f.read_all(2) == 100);
  CHECK(f.store->objects_lost() == 0);
}

TEST_CASE("erasure(2, 1): with two of three nodes dead, reads fail typed and loss is counted",
          "[erasure]") {
  erasure_fixture f(3, 2, 1);
  f.write_all(1);
  f.fake->kill(0);
  f.fake->kill(1);
  // Objects on node 2 still read (each is whole there); the others are lost.
  std::size_t on_2 = 0;
  for (auto& o : f.objects) on_2 += f.fake->bytes(2, o.id).has_value();
  CHECK(on_2 > 0);
  CHECK(f.read_all(1) == on_2);
  f.store->repair_now();
  f.store->repair_now();
  CHECK(f.store->objects_lost() == 100 - on_2);  // once each, however often repair looks
  for (auto& o : f.objects) {
    if (f.fake->bytes(2, o.id)) continue;
    std::vector<std::byte> into(object_size);
    std::span<std::byte> to(into);
    auto r = f.store->read(0, {&o, 1}, {&to, 1});
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == remora::transport::errc::unknown_object);
    break;
  }
}

TEST_CASE("erasure(4, 2): memory 1.5x, and reads with two nodes down", "[erasure]") {
  erasure_fixture f(6, 4, 2);
  CHECK(f.held_bytes(6) == 150 * object_size);  // 25 spans: 100 objects, 50 parity
  f.write_all(1);
  f.fake->take_down(1);
  f.fake->take_down(4);
  CHECK(f.read_all(1) == 100);
  CHECK(f.read_batch(1) == 100);
  f.fake->bring_up(1);
  f.fake->bring_up(4);
  // Objects of mixed sizes share spans only within a factor of two.
  std::vector<object_location> mixed;
  for (std::uint64_t id = 1000; id < 1008; ++id) {
    const std::uint32_t bytes = id % 2 ? 100 : 5000;
    mixed.push_back(
        {id, 0, 0, bytes, static_cast<std::uint32_t>(remora::storage::slot_bytes(bytes))});
  }
  const auto spans = f.store->spans();
  REQUIRE(f.store->allocate(0, mixed).ok());
  CHECK(f.store->spans() == spans + 2);
}

TEST_CASE("erasure(2, 1): a scrub finds damage no read came across (parity too)", "[erasure]") {
  erasure_fixture f(3, 2, 1);
  f.write_all(1);
  f.fake->damage_all(1);
  // Every column on node 1 is damaged, member or parity: the scrub reads
  // them all (a few spans a call, going on where it stopped), repair
  // rebuilds them.
  const std::size_t on_1 = f.fake->objects(1);
  std::size_t found = 0;
  for (int call = 0; call < 10; ++call) found += f.store->scrub_now(10);
  CHECK(found == on_1);
  CHECK(f.store->scrub_now() == 0);
  CHECK(f.store->repair_now() == on_1);
  // Rebuilt, node 1's columns stand in for a node that goes.
  f.fake->take_down(0);
  CHECK(f.read_all(1) == 100);
  f.fake->bring_up(0);
  f.fake->take_down(2);
  CHECK(f.read_all(1) == 100);
}

TEST_CASE("erasure(2, 1): shared objects leave their spans for two whole copies", "[erasure]") {
  erasure_fixture f(3, 2, 1);
  f.write_all(1);
  std::vector<remora::storage::object_id> ids;
  for (auto& o : f.objects) ids.push_back(o.id);
  REQUIRE(f.store->share(ids).ok());
  CHECK(f.store->wholes() == 100);
  CHECK(f.store->spans() == 0);
  CHECK(f.held(3) == 200);  // two copies each; every parity column freed
  for (auto& o : f.objects) {
    const auto copies = f.store->copies(0, o);
    REQUIRE(copies.size() == 2);
    CHECK(copies[0].node != copies[1].node);
    for (const auto& c : copies) CHECK(f.fake->bytes(c.node, o.id) == erasure_bytes(o.id, 1));
  }
  CHECK(f.read_all(1) == 100);
  CHECK(f.read_batch(1) == 100);
  for (std::uint32_t down = 0; down < 3; ++down) {
    f.fake->take_down(down);
    CHECK(f.read_all(1) == 100);
    CHECK(f.read_batch(1) == 100);
    f.fake->bring_up(down);
  }
  CHECK(f.store->failovers() > 0);
  // Given back (a publish that failed): this store's own again, written to
  // every copy, and freed with all of them.
  f.store->unshare(ids);
  f.write_all(2);
  f.fake->take_down(1);
  CHECK(f.read_all(2) == 100);
  f.fake->bring_up(1);
  REQUIRE(f.store->free(0, ids).ok());
  CHECK(f.store->wholes() == 0);
  CHECK(f.held(3) == 0);
}

TEST_CASE("erasure(2, 1): a shared object's copies are the publication's, not freed from here",
          "[erasure]") {
  erasure_fixture f(3, 2, 1);
  f.write_all(1);
  const remora::storage::object_id id = f.objects[0].id;
  REQUIRE(f.store->share({&id, 1}).ok());
  REQUIRE(f.store->free(0, {&id, 1}).ok());  // shared: the publication frees it
  CHECK(f.store->copies(0, f.objects[0]).size() == 2);
  f.store->forget(id);  // the publisher's view closed
  CHECK(f.store->wholes() == 0);
  std::size_t copies = 0;
  for (std::uint32_t n = 0; n < 3; ++n) copies += f.fake->bytes(n, id).has_value();
  CHECK(copies == 2);
  // With two of three nodes dead an object can be neither read nor given
  // two copies: sharing it is refused, typed.
  f.fake->kill(0);
  f.fake->kill(1);
  const remora::storage::object_id other = f.objects[1].id;
  auto r = f.store->share({&other, 1});
  REQUIRE_FALSE(r.ok());
  CHECK((r.err().code == remora::transport::errc::unknown_object ||
         r.err().code == remora::transport::errc::peer_unreachable));
}

// erasure_far_store over an in-process far store: every object in k data
// and m parity pieces on k + m nodes; reads that decode when a piece is
// missing, down or damaged; repair that rebuilds pieces so that a later
// failure loses nothing; typed errors when fewer than k pieces are left.
#include "objects/erasure_far_store.hpp"

#include <catch2/catch.hpp>

#include <cstring>

#include "storage/slot.hpp"
#include "tests/objects/fake_far_store.hpp"

using remora::objects::erasure_far_store;
using remora::storage::object_location;
using remora::testing::fake_far_store;

namespace {

constexpr std::uint32_t size = 1001;  // not a multiple of k: the last piece is padded

std::vector<std::byte> bytes_of(std::uint64_t id, int round) {
  std::vector<std::byte> b(size);
  for (std::uint32_t i = 0; i < size; ++i) b[i] = std::byte((id * 7 + round * 13 + i) & 0xff);
  return b;
}

struct fixture {
  fake_far_store* fake;  // owned by `store`
  std::unique_ptr<erasure_far_store> store;
  std::vector<object_location> objects;

  fixture(std::uint32_t nodes, std::uint32_t k, std::uint32_t m) {
    auto f = std::make_unique<fake_far_store>(nodes);
    fake = f.get();
    store = std::make_unique<erasure_far_store>(std::move(f), k, m,
                                                remora::objects::repair_options{false});
    for (std::uint64_t id = 1; id <= 100; ++id)
      objects.push_back(
          {id, 0, 0, size, static_cast<std::uint32_t>(remora::storage::slot_bytes(size))});
    REQUIRE(store->allocate(0, objects).ok());
    for (auto& o : objects) REQUIRE(o.version != 0);
  }
  void write_all(int round) {
    for (auto& o : objects) REQUIRE(store->write(0, o, bytes_of(o.id, round)).ok());
  }
  // How many objects read back as written in `round`, one by one.
  std::size_t read_all(int round) {
    std::size_t right = 0;
    for (auto& o : objects) {
      std::vector<std::byte> into(size);
      std::span<std::byte> to(into);
      if (store->read(0, {&o, 1}, {&to, 1}).ok() && into == bytes_of(o.id, round)) ++right;
    }
    return right;
  }
  // The same, in one batched read.
  std::size_t read_batch(int round) {
    std::vector<std::vector<std::byte>> into(objects.size(), std::vector<std::byte>(size));
    std::vector<std::span<std::byte>> to(into.begin(), into.end());
    if (!store->read(0, objects, to).ok()) return 0;
    std::size_t right = 0;
    for (std::size_t i = 0; i < objects.size(); ++i)
      right += into[i] == bytes_of(objects[i].id, round);
    return right;
  }
};

}  // namespace

TEST_CASE("erasure(2, 1): pieces of (size / k) bytes on three nodes, any one may go", "[erasure]") {
  fixture f(3, 2, 1);
  for (std::uint32_t n = 0; n < 3; ++n) CHECK(f.fake->objects(n) == 100);  // a piece on each
  CHECK(f.fake->bytes(0, 1)->size() == 501);                               // (1001 + 1) / 2
  f.write_all(1);
  CHECK(f.read_all(1) == 100);
  CHECK(f.read_batch(1) == 100);
  CHECK(f.store->failovers() == 0);  // the data pieces, no decoding
  for (std::uint32_t down = 0; down < 3; ++down) {
    f.fake->take_down(down);
    CHECK(f.read_all(1) == 100);
    CHECK(f.read_batch(1) == 100);
    f.fake->bring_up(down);
  }
  CHECK(f.store->failovers() > 0);  // reads that decoded
  // Writes go on with a node down, and read back with another one down.
  // Node 2's pieces miss the write (stale) until repair writes them again.
  f.fake->take_down(2);
  f.write_all(2);
  f.fake->bring_up(2);
  CHECK(f.store->repair_now() == 100);
  f.fake->take_down(0);
  CHECK(f.read_all(2) == 100);
}

TEST_CASE("erasure(2, 1): a damaged piece is decoded around, then rebuilt", "[erasure]") {
  fixture f(3, 2, 1);
  f.write_all(1);
  for (auto& o : f.objects) f.fake->damage(1, o.id);
  CHECK(f.read_all(1) == 100);
  // Reads came across the damaged data pieces (not the parity ones, which
  // reads do not touch): those were decoded around, and are rebuilt.
  const auto decoded = f.store->failovers();
  CHECK(decoded > 0);
  CHECK(f.store->repair_now() == decoded);
  CHECK(f.store->repair_now() == 0);
  // Rebuilt, they read whole: no decoding any more.
  CHECK(f.read_all(1) == 100);
  CHECK(f.store->failovers() == decoded);
  CHECK(f.store->objects_lost() == 0);
}

TEST_CASE("erasure(2, 1): repair after a death, so a second death loses nothing", "[erasure]") {
  fixture f(5, 2, 1);
  f.write_all(1);
  f.fake->kill(0);
  const std::size_t rebuilt = f.store->repair_now();
  CHECK(rebuilt > 0);  // a piece of every object that had one there
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
  fixture f(3, 2, 1);
  f.write_all(1);
  f.fake->kill(0);
  f.fake->kill(1);
  f.store->repair_now();
  f.store->repair_now();
  CHECK(f.store->objects_lost() == 100);  // once each, however often repair looks
  std::vector<std::byte> into(size);
  std::span<std::byte> to(into);
  auto r = f.store->read(0, {&f.objects[0], 1}, {&to, 1});
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == remora::transport::errc::unknown_object);
}

TEST_CASE("erasure(4, 2): memory and reads over six nodes, two of them down", "[erasure]") {
  fixture f(6, 4, 2);
  f.write_all(1);
  f.fake->take_down(1);
  f.fake->take_down(4);
  CHECK(f.read_all(1) == 100);
  CHECK(f.read_batch(1) == 100);
  // Freed: every piece, on nodes up now and, later, on those that were down.
  (void)f.store->free(0, std::vector<remora::storage::object_id>{f.objects[0].id});
  CHECK(f.fake->objects(0) == 99);
  f.fake->bring_up(1);
  f.fake->bring_up(4);
  f.store->repair_now();
  CHECK(f.fake->objects(1) == 99);
  CHECK(f.fake->objects(4) == 99);
}

TEST_CASE("erasure(2, 1): a scrub finds damage no read came across (parity too)", "[erasure]") {
  fixture f(3, 2, 1);
  f.write_all(1);
  for (auto& o : f.objects) f.fake->damage(1, o.id);
  // Every piece on node 1 is damaged, data or parity: the scrub reads them
  // all (a few objects a call, going on where it stopped), repair rebuilds.
  std::size_t found = 0;
  for (int call = 0; call < 10; ++call) found += f.store->scrub_now(30);
  CHECK(found == 100);
  CHECK(f.store->scrub_now() == 0);
  CHECK(f.store->repair_now() == 100);
  // Rebuilt, node 1's pieces stand in for a node that goes.
  f.fake->take_down(0);
  CHECK(f.read_all(1) == 100);
  f.fake->bring_up(0);
  f.fake->take_down(2);
  CHECK(f.read_all(1) == 100);
}

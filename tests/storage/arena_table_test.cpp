// A memory node's object table: what it costs a small object, and owners
// numbered by small indices that are reused once an owner holds nothing
// (storage/owner_table.hpp) without one owner's objects showing as another's.
#include <catch2/catch.hpp>

#include <cstdint>
#include <numeric>
#include <vector>

#include "storage/arena.hpp"
#include "storage/owner_table.hpp"
#include "temp_arena.hpp"

using namespace remora::storage;
using remora::transport::errc;

namespace {

std::vector<object_id> ids_from(object_id first, std::size_t n) {
  std::vector<object_id> ids(n);
  std::iota(ids.begin(), ids.end(), first);
  return ids;
}

}  // namespace

TEST_CASE("an owner index counts its objects and is reused only once they are gone",
          "[storage][arena]") {
  owner_table owners;
  const auto a = owners.add(0xaaaa'0000'0000'0001, 2);
  const auto b = owners.add(0xbbbb'0000'0000'0002, 1);
  CHECK(a != b);
  CHECK(owners.add(0xaaaa'0000'0000'0001, 1) == a);
  CHECK(owners.objects(a) == 3);
  CHECK(owners.owner(b) == 0xbbbb'0000'0000'0002);
  owners.remove(a, 2);
  REQUIRE(owners.find(0xaaaa'0000'0000'0001) == a);
  owners.remove(a);
  CHECK_FALSE(owners.find(0xaaaa'0000'0000'0001));
  CHECK(owners.size() == 1);
  const auto c = owners.add(0xcccc'0000'0000'0003, 5);
  CHECK(c == a);  // the free index, again
  CHECK(owners.owner(c) == 0xcccc'0000'0000'0003);
  CHECK(owners.find(0xbbbb'0000'0000'0002) == b);
}

TEST_CASE("the object table keeps a small object in 64 bytes or less", "[storage][arena]") {
  arena::options o;
  o.capacity = 64 << 20;
  testing::temp_arena fixture(o);
  arena& node = *fixture;
  // Just under three quarters of a table of 2^18 entries: as full as it gets.
  constexpr std::size_t count = 196'000;
  const auto ids = ids_from(1, count);
  const std::vector<std::uint32_t> sizes(count, 64);
  for (std::size_t at = 0; at < count; at += 10'000) {
    const std::size_t n = std::min<std::size_t>(10'000, count - at);
    REQUIRE(node.allocate(std::span(ids).subspan(at, n), std::span(sizes).subspan(at, n),
                          /*owner=*/1 + at % 3)
                .ok());
  }
  const auto s = node.stats();
  REQUIRE(s.objects == count);
  INFO("table: " << s.table_bytes << " bytes for " << count << " objects");
  CHECK(s.table_bytes <= 64 * count);
  CHECK(s.table_bytes >= 32 * count);  // it is counted at all
  CHECK(node.free_owner(1) + node.free_owner(2) + node.free_owner(3) == count);
  CHECK(node.stats().objects == 0);
}

TEST_CASE("an owner gone and its index reused: no object of one shows as another's",
          "[storage][arena]") {
  arena::options o;
  o.capacity = 8 << 20;
  testing::temp_arena fixture(o);
  arena& node = *fixture;
  const arena::owner_id first = 11, second = 12, publication = 13, stranger = 14;
  REQUIRE(node.allocate(ids_from(1, 3), std::vector<std::uint32_t>(3, 64), first).ok());
  CHECK(node.free_owner(first) == 3);  // its index is free now
  REQUIRE(node.allocate(ids_from(10, 2), std::vector<std::uint32_t>(2, 64), second).ok());
  // The second owner has the first's index; the first owns nothing of it.
  CHECK(node.lookup(ids_from(10, 2), first).err().code == errc::unknown_object);
  CHECK(node.free(ids_from(10, 1), first).err().code == errc::unknown_object);
  CHECK(node.free_owner(first) == 0);
  CHECK(node.lookup(ids_from(10, 2), second).ok());
  // The first, back with objects of its own, gets them and only them.
  REQUIRE(node.allocate(ids_from(20, 1), std::vector<std::uint32_t>(1, 64), first).ok());
  CHECK(node.lookup(ids_from(10, 1), first).err().code == errc::unknown_object);
  CHECK(node.lookup(ids_from(20, 1), first).ok());
  // Handed to a publication and back, every object counted once.
  REQUIRE(node.adopt(ids_from(10, 2), second, publication).ok());
  CHECK(node.free_owner(second) == 0);                 // they are the publication's now
  CHECK(node.lookup(ids_from(10, 2), stranger).ok());  // a client of the tenant reads them
  CHECK(node.give_back(publication, stranger) == 2);
  CHECK(node.lookup(ids_from(10, 2), second).err().code == errc::unknown_object);
  CHECK(node.free(ids_from(10, 2), stranger).ok());
  CHECK(node.free_owner(first) == 1);
  CHECK(node.stats().objects == 0);
  // Many owners, one after another, leave nothing behind.
  for (arena::owner_id owner = 100; owner < 1100; ++owner) {
    REQUIRE(node.allocate(ids_from(owner * 10, 2), std::vector<std::uint32_t>(2, 64), owner).ok());
    REQUIRE(node.free_owner(owner) == 2);
  }
  CHECK(node.stats().objects == 0);
}

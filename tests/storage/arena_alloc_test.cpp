// Allocation on a memory node's arena is idempotent for an object's owner:
// a client that lost the reply to an alloc (a cut connection) asks again and
// gets the same slots; nothing is made twice, no quota is charged twice.
// Anyone else's id, or the same id at another size, is refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "storage/arena.hpp"
#include "storage/crc32c.hpp"
#include "storage/slot.hpp"
#include "temp_arena.hpp"

using namespace remora::storage;
using remora::transport::errc;

TEST_CASE("a new object reads as zeroes with a valid checksum, in fresh memory or reused",
          "[storage][arena]") {
  arena::options o;
  o.capacity = 16 << 20;
  testing::temp_arena fixture(o);
  arena& node = *fixture;
  const arena::owner_id me = 7;
  const std::uint32_t size = 1 << 20;  // past the 16 KiB the checksum's zeroes come in
  const auto check_zeroes = [&](const object_location& w) {
    const std::byte* slot = node.memory(0).data() + w.offset;
    const std::span<const std::byte> copy(slot, slot_bytes(w.size));
    CHECK(slot_matches(copy, w.id, w.version));
    const auto payload = copy.subspan(payload_offset, w.size);
    CHECK(
        std::all_of(payload.begin(), payload.end(), [](std::byte b) { return b == std::byte{0}; }));
  };
  auto fresh = node.allocate(std::vector<object_id>{1}, std::vector<std::uint32_t>{size}, me);
  REQUIRE(fresh.ok());
  check_zeroes(fresh->at(0));
  // Written, freed, and its slot taken again once out of its reuse delay:
  // nothing of the old bytes shows through.
  std::byte* slot = node.memory(0).data() + fresh->at(0).offset;
  std::memset(slot + payload_offset, 0x5a, size);
  REQUIRE(node.free(std::vector<object_id>{1}, me).ok());
  std::this_thread::sleep_for(o.reuse_delay + std::chrono::milliseconds(20));
  bool reused = false;
  for (object_id id = 2; id < 12 && !reused; ++id) {
    auto again = node.allocate(std::vector<object_id>{id}, std::vector<std::uint32_t>{size}, me);
    REQUIRE(again.ok());
    check_zeroes(again->at(0));
    reused = again->at(0).offset == fresh->at(0).offset;
  }
  CHECK(reused);
  CHECK(crc32c_of_zeroes(0) == crc32c({}));
  for (std::size_t n :
       {std::size_t{1}, std::size_t{16 << 10}, std::size_t{(16 << 10) + 1}, std::size_t{5 << 20}}) {
    const std::vector<std::byte> zeroes(n);
    CHECK(crc32c_of_zeroes(n) == crc32c(zeroes));
  }
}

TEST_CASE("an alloc asked again by its owner gets the same slots, anyone else's is refused",
          "[storage][arena]") {
  arena::options o;
  o.capacity = 4 << 20;
  o.quotas = {1 << 20};
  testing::temp_arena fixture(o);
  {
    arena& node = *fixture;
    const arena::owner_id me = 7, other = 8;
    const std::vector<object_id> ids{1, 2};
    const std::vector<std::uint32_t> sizes{100, 3000};
    auto first = node.allocate(ids, sizes, me);
    REQUIRE(first.ok());
    REQUIRE(node.tenant_used(0) == 3100);

    auto again = node.allocate(ids, sizes, me);
    REQUIRE(again.ok());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      CHECK(again->at(i).id == ids[i]);
      CHECK(again->at(i).offset == first->at(i).offset);
      CHECK(again->at(i).version == first->at(i).version);
    }
    CHECK(node.tenant_used(0) == 3100);

    // A batch mixing a retried id with a new one: the new one is made.
    auto mixed =
        node.allocate(std::vector<object_id>{2, 3}, std::vector<std::uint32_t>{3000, 50}, me);
    REQUIRE(mixed.ok());
    CHECK(mixed->at(0).offset == first->at(1).offset);
    CHECK(mixed->at(1).id == 3);
    CHECK(node.tenant_used(0) == 3150);

    CHECK(node.allocate(std::vector<object_id>{1}, std::vector<std::uint32_t>{100}, other)
              .err()
              .code == errc::already_exists);
    CHECK(
        node.allocate(std::vector<object_id>{1}, std::vector<std::uint32_t>{101}, me).err().code ==
        errc::already_exists);
    // All or nothing: a batch refused for its quota leaves the retried id
    // and makes nothing.
    auto over =
        node.allocate(std::vector<object_id>{1, 4}, std::vector<std::uint32_t>{100, 1 << 20}, me);
    CHECK(over.err().code == errc::no_space);
    CHECK(node.lookup(std::vector<object_id>{1}, me).ok());
    CHECK(node.lookup(std::vector<object_id>{4}, me).err().code == errc::unknown_object);
    CHECK(node.tenant_used(0) == 3150);

    // A free naming an object twice frees nothing; each free checks its
    // own ids alone.
    CHECK(node.free(std::vector<object_id>{2, 3, 2}, me).err().code == errc::unknown_object);
    CHECK(node.tenant_used(0) == 3150);
    REQUIRE(node.free(std::vector<object_id>{2}, me).ok());
    REQUIRE(node.free(std::vector<object_id>{3, 1}, me).ok());
    CHECK(node.free(std::vector<object_id>{1}, me).err().code == errc::unknown_object);
    CHECK(node.tenant_used(0) == 0);
  }
}

TEST_CASE("objects handed to a publication are readable by their tenant, freed only with it",
          "[storage][arena]") {
  arena::options o;
  o.capacity = 4 << 20;
  o.quotas = {1 << 20, 1 << 20};
  testing::temp_arena fixture(o);
  {
    arena& node = *fixture;
    const arena::owner_id publisher = 7, reader = 8, stranger = 9, publication = 100;
    const std::vector<object_id> ids{1, 2};
    REQUIRE(node.allocate(ids, std::vector<std::uint32_t>{64, 64}, publisher, 0).ok());
    REQUIRE(
        node.allocate(std::vector<object_id>{3}, std::vector<std::uint32_t>{64}, reader, 0).ok());
    // Before: another client of the tenant cannot look them up.
    CHECK(node.lookup(ids, reader, 0).err().code == errc::unknown_object);
    CHECK(node.adopt(std::vector<object_id>{1, 3}, publisher, publication).err().code ==
          errc::unknown_object);  // 3 is not the publisher's: nothing changes
    CHECK(node.adopt(std::vector<object_id>{1, 1}, publisher, publication).err().code ==
          errc::invalid_argument);
    // The refusals took nothing: 1 is still the publisher's alone.
    CHECK(node.free(std::vector<object_id>{1}, publication).err().code == errc::unknown_object);
    CHECK(node.lookup(std::vector<object_id>{1}, reader, 0).err().code == errc::unknown_object);
    REQUIRE(node.adopt(ids, publisher, publication).ok());
    CHECK(node.lookup(ids, reader, 0).ok());
    CHECK(node.lookup(ids, stranger, 1).err().code == errc::unknown_object);  // another tenant
    // Nobody's to free but the publication's.
    CHECK(node.free(ids, publisher).err().code == errc::unknown_object);
    CHECK(node.free(ids, reader).err().code == errc::unknown_object);
    // Given back, they are the publisher's alone again.
    CHECK(node.give_back(publication, publisher) == 2);
    CHECK(node.lookup(ids, reader, 0).err().code == errc::unknown_object);
    REQUIRE(node.adopt(ids, publisher, publication).ok());
    CHECK(node.free_owner(publication) == 2);
    CHECK(node.lookup(ids, reader, 0).err().code == errc::unknown_object);
    CHECK(node.stats().objects == 1);
  }
}

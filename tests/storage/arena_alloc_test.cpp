// Allocation on a memory node's arena is idempotent for an object's owner:
// a client that lost the reply to an alloc (a cut connection) asks again and
// gets the same slots; nothing is made twice, no quota is charged twice.
// Anyone else's id, or the same id at another size, is refused.
#include <catch2/catch.hpp>

#include "storage/arena.hpp"
#include "temp_arena.hpp"

using namespace remora::storage;
using remora::transport::errc;

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
  }
}

// A freed slot is not handed to a new object while a writer still pins it:
// a put delayed past the free lands in a slot nobody else has. Once the
// writer unpins, the slot is reused, and the new object's pin word starts
// clean.
#include "storage/arena.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "storage/slot.hpp"
#include "temp_arena.hpp"

using namespace remora::storage;
using namespace std::chrono_literals;

TEST_CASE("a freed slot a writer still pins is not reused until it unpins", "[storage][arena]") {
  arena::options o;
  o.capacity = 4 << 20;
  testing::temp_arena fixture(o);
  {
    arena& node = *fixture;
    const std::vector<object_id> first{1};
    const std::vector<std::uint32_t> size{1000};
    auto where = node.allocate(first, size, 1);
    REQUIRE(where.ok());
    const std::uint64_t held = where->at(0).offset;
    std::byte* slot = node.memory().data() + held;
    // A remote writer's pin, as its compare-and-swap would leave it.
    auto word =
        std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(slot + pin_word_offset));
    word.fetch_add(1);
    REQUIRE(node.free(first, 1).ok());
    // Many allocations of the same size, well past the allocator's reuse
    // delay: none gets the pinned slot.
    std::set<std::uint64_t> offsets;
    for (object_id id = 100; id < 400; ++id) {
      std::this_thread::sleep_for(50us);
      auto got = node.allocate(std::vector<object_id>{id}, size, 1);
      REQUIRE(got.ok());
      offsets.insert(got->at(0).offset);
      REQUIRE(node.free(std::vector<object_id>{id}, 1).ok());
    }
    CHECK_FALSE(offsets.contains(held));
    // The writer unpins (its atomic add of -1): the slot comes back. Past
    // the allocator's reuse delay, allocations kept until the arena is
    // nearly full take every free slot of the class, that one too.
    word.fetch_add(~std::uint64_t{0});
    REQUIRE(node.allocate(std::vector<object_id>{999}, size, 1).ok());  // releases it
    std::this_thread::sleep_for(50ms);
    bool reused = false;
    for (object_id id = 1000; id < 4500 && !reused; ++id) {
      auto got = node.allocate(std::vector<object_id>{id}, size, 1);
      if (!got) break;  // full
      if (got->at(0).offset == held) {
        reused = true;
        CHECK(pin_word_pins(word.load()) == 0);
        CHECK(pin_word_version(word.load()) == got->at(0).version);
      }
    }
    CHECK(reused);
  }
}

// A full arena makes room ahead: when an object brought back from the spill
// finds no slot, the arena spills more than that one slot's worth (victims
// of its class, or whole pages), so that the next objects find slots out of
// quarantine instead of each waiting out its own reuse delay. Told not to
// wait (when_full::report), it says busy, and when to ask again, instead.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "storage/arena.hpp"
#include "storage/slot.hpp"
#include "temp_arena.hpp"

using namespace remora::storage;
using remora::transport::errc;

namespace {

std::byte pattern(object_id id, std::size_t i) {
  return std::byte(id * 31 + i * 7);
}

// Writes `id`'s pattern into its slot, with the checksum a client's put
// writes.
void write_pattern(arena& node, const object_location& at, object_id id) {
  std::byte* slot = node.memory().data() + at.offset;
  for (std::size_t i = 0; i < at.size; ++i) slot[payload_offset + i] = pattern(id, i);
  write_slot(slot, id, at.version, at.size, crc32c(std::span(slot + payload_offset, at.size)));
}

// Bytes of the objects at `where` that are not their pattern.
std::size_t wrong_bytes(arena& node, const std::vector<object_location>& where) {
  std::size_t wrong = 0;
  for (const auto& at : where) {
    const std::byte* payload = node.memory().data() + at.offset + payload_offset;
    for (std::size_t b = 0; b < at.size; ++b) wrong += payload[b] != pattern(at.id, b);
  }
  return wrong;
}

}  // namespace

TEST_CASE("objects brought back into a full arena seldom wait for quarantined slots",
          "[storage][arena]") {
  arena::options o;
  o.capacity = 32 << 20;  // 16 pages of 2 MiB
  testing::temp_arena fixture(o);
  arena& node = *fixture;
  // 96 MiB of objects from 64 B to 256 KiB, log-uniform: three times the
  // arena, in more size classes than it has pages.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> exponent(6, 18);
  std::vector<object_id> ids;
  std::vector<std::uint32_t> sizes;
  for (std::uint64_t total = 0; total < (96ull << 20);) {
    const auto size = static_cast<std::uint32_t>(std::pow(2.0, exponent(rng)));
    const object_id id = ids.size() + 1;
    auto where = node.allocate(std::vector{id}, std::vector{size}, 1);
    REQUIRE(where.ok());
    write_pattern(node, where->at(0), id);
    ids.push_back(id);
    sizes.push_back(size);
    total += size;
  }
  const auto filled = node.stats();
  REQUIRE(filled.spilled_objects > 0);

  std::vector<std::size_t> order(ids.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::size_t wrong = 0;
  for (std::size_t i : order) {
    auto where = node.lookup(std::vector{ids[i]}, 1);
    REQUIRE(where.ok());
    REQUIRE(where->at(0).size == sizes[i]);
    wrong += wrong_bytes(node, *where);
  }
  CHECK(wrong == 0);
  const auto read = node.stats();
  const std::uint64_t unspills = read.unspills - filled.unspills;
  const std::uint64_t waits = read.room_waits - filled.room_waits;
  INFO("objects " << ids.size() << ", brought back " << unspills << ", waits " << waits);
  REQUIRE(unspills > ids.size() / 2);
  // One wait in every slot or page the arena had to make was the old way;
  // making room ahead leaves one in several.
  CHECK(waits * 3 < unspills);
}

namespace {

// Asks again, after each busy, once its room is out of quarantine.
template <class Ask>
auto when_ready(arena& node, Ask ask) {
  auto r = ask();
  for (int i = 0; i < arena::max_room_waits && !r && r.err().code == errc::busy; ++i) {
    std::this_thread::sleep_until(node.room_ready_at());
    r = ask();
  }
  return r;
}

}  // namespace

TEST_CASE("an arena told not to wait says busy and when, and keeps nothing half done",
          "[storage][arena]") {
  using namespace std::chrono_literals;
  arena::options o;
  o.capacity = 4 << 20;  // two pages
  o.reuse_delay = 1s;    // far longer than any step here
  testing::temp_arena fixture(o);
  arena& node = *fixture;
  constexpr auto report = arena::when_full::report;
  constexpr std::uint32_t size = 100 << 10;
  // 3 MiB of 4: below the high watermark, nothing spilled, nothing in
  // quarantine, some slots free.
  std::vector<object_id> ids;
  for (object_id id = 1; id <= 30; ++id) {
    auto where = node.allocate(std::vector{id}, std::vector{size}, 1, 0, report);
    REQUIRE(where.ok());
    write_pattern(node, where->at(0), id);
    ids.push_back(id);
  }
  REQUIRE(node.stats().spills == 0);

  // 2 MiB more at once: the free slots take the first ones; the next finds
  // none, spills room for itself and says busy. What it made is undone.
  const auto before = node.stats();
  std::vector<object_id> batch;
  for (object_id id = 100; id < 120; ++id) batch.push_back(id);
  const std::vector<std::uint32_t> sizes(batch.size(), size);
  const auto asked = std::chrono::steady_clock::now();
  auto busy = node.allocate(batch, sizes, 1, 0, report);
  REQUIRE_FALSE(busy.ok());
  CHECK(busy.err().code == errc::busy);
  CHECK(node.room_ready_at() > asked);
  CHECK(node.stats().spills > 0);
  CHECK(node.stats().objects == before.objects);
  CHECK(node.bytes_of(batch) == 0);
  // Asked again once the room is out of quarantine, all of it is made.
  auto made = when_ready(node, [&] { return node.allocate(batch, sizes, 1, 0, report); });
  REQUIRE(made.ok());
  CHECK(node.stats().objects == before.objects + batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) write_pattern(node, made->at(i), batch[i]);
  ids.insert(ids.end(), batch.begin(), batch.end());

  // New objects one at a time until the arena has no slot left out of
  // quarantine; then a lookup of an object on disk is busy too. (All that
  // is in quarantine now comes out first: none of it may come out between
  // the two.)
  std::this_thread::sleep_for(o.reuse_delay + 100ms);
  for (object_id id = 200;; ++id) {
    REQUIRE(id < 300);
    auto one = node.allocate(std::vector{id}, std::vector{size}, 1, 0, report);
    if (!one) {
      REQUIRE(one.err().code == errc::busy);
      break;
    }
    write_pattern(node, one->at(0), id);
    ids.push_back(id);
  }
  std::vector<object_id> on_disk;
  for (object_id id : ids)
    if (!node.all_resident(std::vector{id})) on_disk.push_back(id);
  REQUIRE(on_disk.size() >= 2);
  on_disk.resize(2);
  auto waiting = node.lookup(on_disk, 1, 0, report);
  REQUIRE_FALSE(waiting.ok());
  CHECK(waiting.err().code == errc::busy);
  auto found = when_ready(node, [&] { return node.lookup(on_disk, 1, 0, report); });
  REQUIRE(found.ok());
  CHECK(node.all_resident(on_disk));
  CHECK(wrong_bytes(node, *found) == 0);

  // No slot was handed out twice: every object in memory reads back whole.
  std::size_t resident = 0, wrong = 0;
  for (object_id id : ids) {
    if (!node.all_resident(std::vector{id})) continue;
    auto at = node.lookup(std::vector{id}, 1, 0, report);
    REQUIRE(at.ok());
    wrong += wrong_bytes(node, *at);
    ++resident;
  }
  CHECK(resident >= 20);
  CHECK(wrong == 0);
}

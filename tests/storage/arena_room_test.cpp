// A full arena makes room ahead: when an object brought back from the spill
// finds no slot, the arena spills more than that one slot's worth (victims
// of its class, or whole pages), so that the next objects find slots out of
// quarantine instead of each waiting out its own reuse delay.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "storage/arena.hpp"
#include "storage/slot.hpp"
#include "temp_arena.hpp"

using namespace remora::storage;

namespace {

std::byte pattern(object_id id, std::size_t i) {
  return std::byte(id * 31 + i * 7);
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
    std::byte* payload = node.memory().data() + where->at(0).offset + payload_offset;
    for (std::size_t i = 0; i < size; ++i) payload[i] = pattern(id, i);
    // The trailer's checksum, as a client's put writes it.
    write_slot(node.memory().data() + where->at(0).offset, id, where->at(0).version, size,
               crc32c(std::span(payload, size)));
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
    const std::byte* payload = node.memory().data() + where->at(0).offset + payload_offset;
    for (std::size_t b = 0; b < sizes[i]; ++b) wrong += payload[b] != pattern(ids[i], b);
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

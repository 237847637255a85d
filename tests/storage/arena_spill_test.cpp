// An object brought back from disk keeps its record there: spilled again
// before any client writes it, it costs no disk write. One a client wrote
// since goes to disk again, and reads back as written. Freed objects leave
// no record behind.
#include <catch2/catch.hpp>

#include <cstring>

#include "storage/arena.hpp"
#include "storage/slot.hpp"
#include "temp_arena.hpp"

using namespace remora::storage;

namespace {

constexpr std::uint32_t object_size = 64 << 10;

std::byte pattern(object_id id, std::uint32_t salt, std::size_t i) {
  return std::byte(id * 31 + salt * 131 + i * 7);
}

// Writes the object's bytes as a client's write does: the payload, then its
// checksum with the written mark (written_crc).
void client_write(arena& node, const object_location& where, std::uint32_t salt) {
  std::byte* slot = node.memory().data() + where.offset;
  std::byte* payload = slot + payload_offset;
  for (std::size_t i = 0; i < where.size; ++i) payload[i] = pattern(where.id, salt, i);
  const written_crc tail{crc32c(std::span<const std::byte>(payload, where.size))};
  std::memcpy(slot + crc_offset(where.size), &tail, sizeof tail);
}

// Looks every object up, in order, and counts the bytes that are not
// `salts[i]`'s pattern.
std::size_t wrong_bytes(arena& node, const std::vector<object_id>& ids,
                        const std::vector<std::uint32_t>& salts) {
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto where = node.lookup(std::vector{ids[i]}, 1);
    REQUIRE(where.ok());
    const std::byte* payload = node.memory().data() + where->at(0).offset + payload_offset;
    for (std::size_t b = 0; b < object_size; ++b)
      wrong += payload[b] != pattern(ids[i], salts[i], b);
  }
  return wrong;
}

}  // namespace

TEST_CASE("objects brought back and spilled again unwritten cost no disk write, written ones do",
          "[storage][arena]") {
  arena::options o;
  o.capacity = 8 << 20;
  testing::temp_arena fixture(o);
  arena& node = *fixture;
  // Three times the arena, each object written by its client once.
  std::vector<object_id> ids;
  std::vector<std::uint32_t> salts;
  for (object_id id = 1; id <= 3 * (8 << 20) / object_size; ++id) {
    auto where = node.allocate(std::vector{id}, std::vector{object_size}, 1);
    REQUIRE(where.ok());
    client_write(node, where->at(0), 0);
    ids.push_back(id);
    salts.push_back(0);
  }
  REQUIRE(node.stats().spilled_objects > ids.size() / 2);

  // Two passes over all of them: the first brings objects back that were
  // spilled as written by their client; in the second, the objects spilled
  // to make room are ones the first brought back, whose records are current.
  CHECK(wrong_bytes(node, ids, salts) == 0);
  const auto first = node.stats();
  CHECK(wrong_bytes(node, ids, salts) == 0);
  const auto second = node.stats();
  INFO("spills " << second.spills - first.spills << ", of them clean "
                 << second.clean_spills - first.clean_spills);
  CHECK(second.unspills - first.unspills > ids.size() / 2);
  CHECK(second.clean_spills - first.clean_spills > (second.spills - first.spills) / 2);
  CHECK(second.spill_records <= ids.size());

  // Every other object written again by its client, wherever it is now: the
  // new bytes are the ones that come back after the next spill.
  for (std::size_t i = 0; i < ids.size(); i += 2) {
    auto where = node.lookup(std::vector{ids[i]}, 1);
    REQUIRE(where.ok());
    client_write(node, where->at(0), 1);
    salts[i] = 1;
  }
  CHECK(wrong_bytes(node, ids, salts) == 0);
  CHECK(wrong_bytes(node, ids, salts) == 0);

  // Freed, resident or not, nothing of them stays on disk.
  REQUIRE(node.free(ids, 1).ok());
  const auto freed = node.stats();
  CHECK(freed.objects == 0);
  CHECK(freed.spilled_objects == 0);
  CHECK(freed.spilled_bytes == 0);
  CHECK(freed.spill_records == 0);
}

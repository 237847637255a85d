#include "storage/slot.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

using namespace remora::storage;

namespace {

constexpr object_id id = 0x0123456789abcdefULL;

std::vector<std::byte> payload_of(std::uint32_t size, int seed) {
  std::vector<std::byte> p(size);
  for (std::uint32_t i = 0; i < size; ++i) p[i] = static_cast<std::byte>(i * 13 + seed);
  return p;
}

/// A slot as the node writes it: payload first, then header and trailer, in
/// memory that held other bytes before.
std::vector<std::byte> make_slot(object_id object, std::uint32_t version, std::uint32_t size) {
  std::vector<std::byte> slot(slot_bytes(size), std::byte{0xee});
  const auto payload = payload_of(size, static_cast<int>(version));
  std::copy(payload.begin(), payload.end(), slot.begin() + payload_offset);
  write_slot(slot.data(), object, version, size, crc32c(payload));
  return slot;
}

slot_header header_of(const std::vector<std::byte>& slot) {
  slot_header h;
  std::memcpy(&h, slot.data(), sizeof h);
  return h;
}

slot_trailer trailer_of(const std::vector<std::byte>& slot, std::uint32_t size) {
  slot_trailer t;
  std::memcpy(&t, slot.data() + trailer_offset(size), sizeof t);
  return t;
}

}  // namespace

TEST_CASE("a written slot holds its header, payload, zero padding and trailer", "[storage][slot]") {
  for (std::uint32_t size : {0u, 1u, 7u, 8u, 9u, 100u, 4096u}) {
    const auto slot = make_slot(id, 3, size);
    REQUIRE(slot.size() == 24 + (size + 7) / 8 * 8 + 16);
    const slot_header h = header_of(slot);
    CHECK(h.object_id == id);
    CHECK(h.version == 3);
    CHECK(h.size == size);
    CHECK(h.flags == slot_live);
    CHECK(h.pins == 0);
    const slot_trailer t = trailer_of(slot, size);
    CHECK(t.version == 3);
    CHECK(t.id_check == (0x89abcdefu ^ 0x01234567u));
    CHECK(std::vector(slot.begin() + payload_offset, slot.begin() + payload_offset + size) ==
          payload_of(size, 3));
    for (std::size_t i = payload_offset + size; i < trailer_offset(size); ++i)
      CHECK(slot[i] == std::byte{0});
    CHECK(slot_matches(slot, id, 3));
  }
}

TEST_CASE(
    "a client's write marks the slot written, retiring keeps the mark, the node's writes clear it",
    "[storage][slot]") {
  auto slot = make_slot(id, 3, 100);
  CHECK(trailer_of(slot, 100).written == 0);
  // The client's put: new payload, then its checksum with the mark.
  const auto payload = payload_of(100, 9);
  std::copy(payload.begin(), payload.end(), slot.begin() + payload_offset);
  const written_crc tail{crc32c(payload)};
  std::memcpy(slot.data() + crc_offset(100), &tail, sizeof tail);
  CHECK(trailer_of(slot, 100).written == 1);
  CHECK(slot_matches(slot, id, 3));
  CHECK(slot_intact(slot));
  // A spill reads the mark after retiring the slot: retiring keeps it.
  REQUIRE(try_retire_slot(slot.data(), 3, 4));
  CHECK(trailer_of(slot, 100).written == 1);
  // The node writing the slot again (an object brought back) clears it.
  write_slot(slot.data(), id, 5, 100, crc32c(payload));
  CHECK(trailer_of(slot, 100).written == 0);
}

TEST_CASE("a copy of the whole reserved slot matches too", "[storage][slot]") {
  auto slot = make_slot(id, 3, 100);
  slot.resize(slot.size() + 40, std::byte{0xaa});
  CHECK(slot_matches(slot, id, 3));
}

TEST_CASE("a copy with the wrong id or version, or truncated, is refused", "[storage][slot]") {
  const auto slot = make_slot(id, 3, 100);
  CHECK_FALSE(slot_matches(slot, id + 1, 3));
  CHECK_FALSE(slot_matches(slot, id ^ (1ull << 40), 3));
  CHECK_FALSE(slot_matches(slot, id, 2));
  CHECK_FALSE(slot_matches(slot, id, 4));
  for (std::size_t cut : {std::size_t{0}, std::size_t{8}, std::size_t{24}, std::size_t{31},
                          trailer_offset(100), slot.size() - 1})
    CHECK_FALSE(slot_matches(std::span(slot).first(cut), id, 3));

  auto bad_check = slot;
  bad_check[trailer_offset(100) + 4] ^= std::byte{1};
  CHECK_FALSE(slot_matches(bad_check, id, 3));
  for (std::uint32_t size : {50u, 200u}) {  // trailer elsewhere; larger than the copy
    auto bad_size = slot;
    std::memcpy(bad_size.data() + offsetof(slot_header, size), &size, sizeof size);
    CHECK_FALSE(slot_matches(bad_size, id, 3));
  }
}

TEST_CASE("a torn copy, header and trailer from different writes, is refused", "[storage][slot]") {
  const auto older = make_slot(id, 3, 100);
  const auto newer = make_slot(id, 4, 100);
  auto old_header = newer;
  std::memcpy(old_header.data(), older.data(), sizeof(slot_header));
  CHECK_FALSE(slot_matches(old_header, id, 3));
  CHECK_FALSE(slot_matches(old_header, id, 4));
  auto new_header = older;
  std::memcpy(new_header.data(), newer.data(), sizeof(slot_header));
  CHECK_FALSE(slot_matches(new_header, id, 3));
  CHECK_FALSE(slot_matches(new_header, id, 4));

  // The slot was reused by another object of another size while the reader
  // copied: the old header, then the new object's bytes.
  auto reused = make_slot(id + 7, 1, 40);
  reused.resize(older.size(), std::byte{0x55});
  std::memcpy(reused.data(), older.data(), sizeof(slot_header));
  CHECK_FALSE(slot_matches(reused, id, 3));
}

TEST_CASE("a retired slot refuses readers of the old version", "[storage][slot]") {
  auto slot = make_slot(id, 3, 100);
  const auto before = slot;
  REQUIRE(try_retire_slot(slot.data(), 3, 4));
  CHECK_FALSE(slot_matches(slot, id, 3));
  CHECK_FALSE(slot_matches(slot, id, 4));  // not live
  CHECK(header_of(slot).version == 4);
  CHECK((header_of(slot).flags & slot_live) == 0);
  CHECK(header_of(slot).size == 100);
  CHECK(trailer_of(slot, 100).version == 4);
  CHECK(std::memcmp(slot.data() + payload_offset, before.data() + payload_offset, 100) == 0);

  // A reader copying in address order got the header before the invalidation
  // and the trailer after it.
  auto raced = before;
  std::memcpy(raced.data() + trailer_offset(100), slot.data() + trailer_offset(100),
              sizeof(slot_trailer));
  CHECK_FALSE(slot_matches(raced, id, 3));

  write_slot(slot.data(), id, 5, 100, trailer_of(slot, 100).crc);
  CHECK(slot_matches(slot, id, 5));
}

TEST_CASE("a pinned slot cannot be retired for a spill, but can be freed", "[storage][slot]") {
  auto slot = make_slot(id, 3, 64);
  auto word = std::atomic_ref<std::uint64_t>(
      *reinterpret_cast<std::uint64_t*>(slot.data() + pin_word_offset));
  REQUIRE(word.load() == pin_word(3, 0));
  word.fetch_add(1);  // a writer pins, as its remote compare-and-swap would
  CHECK(header_of(slot).pins == 1);
  CHECK(slot_matches(slot, id, 3));  // pins do not disturb readers
  CHECK_FALSE(try_retire_slot(slot.data(), 3, 4));
  CHECK(slot_matches(slot, id, 3));                 // nothing changed
  CHECK_FALSE(try_retire_slot(slot.data(), 2, 4));  // wrong version, refused too
  word.fetch_add(~std::uint64_t{0});                // the writer unpins
  CHECK(word.load() == pin_word(3, 0));
  CHECK(try_retire_slot(slot.data(), 3, 4));
  CHECK(pin_word_version(word.load()) == 4);

  auto freed = make_slot(id, 9, 64);
  auto freed_word = std::atomic_ref<std::uint64_t>(
      *reinterpret_cast<std::uint64_t*>(freed.data() + pin_word_offset));
  freed_word.fetch_add(2);  // two writers still in
  retire_slot(freed.data(), 10);
  CHECK(freed_word.load() == pin_word(10, 2));  // version bumped, pins kept
  CHECK_FALSE(slot_matches(freed, id, 9));
  CHECK(trailer_of(freed, 64).version == 10);
}

TEST_CASE("crc32c: the standard check value, on both of its paths' sizes", "[storage][slot]") {
  const std::string check = "123456789";
  CHECK(crc32c(std::as_bytes(std::span(check.data(), check.size()))) == 0xe3069283u);
  CHECK(crc32c({}) == 0u);
  // 8-byte steps and a tail agree with a byte at a time (the table path).
  std::vector<std::byte> bytes(1001);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = std::byte(i * 31 + 7);
  std::uint32_t one_by_one = ~0u;
  for (std::byte b : bytes) {
    one_by_one ^= static_cast<std::uint8_t>(b);
    for (int k = 0; k < 8; ++k)
      one_by_one = (one_by_one >> 1) ^ ((one_by_one & 1) ? 0x82f63b78u : 0);
  }
  CHECK(crc32c(bytes) == ~one_by_one);
}

TEST_CASE("a flipped payload byte passes the id checks but fails the checksum", "[storage][slot]") {
  for (std::uint32_t size : {1u, 64u, 100u, 5000u}) {
    auto slot = make_slot(42, 7, size);
    REQUIRE(slot_matches(slot, 42, 7));
    CHECK(slot_intact(slot));
    slot[payload_offset + size / 2] ^= std::byte{0x10};
    CHECK(slot_matches(slot, 42, 7));  // still the object asked for...
    CHECK_FALSE(slot_intact(slot));    // ...but not the bytes written
    CHECK_FALSE(payload_intact(std::span(slot).subspan(payload_offset, size),
                               std::span(slot).subspan(trailer_offset(size))));
  }
}

// Slot layout: how one object sits in a memory node's UCX-registered arena.
// A client fetches header, payload and trailer with ONE one-sided get, while
// the node may free, move or spill the object at the same moment; the copy
// carries enough to tell whether it is the object and version that was asked
// for.
//
// clang-format off
//   header (24 bytes, slot_header)           payload           trailer (16 bytes, slot_trailer)
//   0        8      12       16     20       24                T        T+4       T+8   T+12
//   +--------+------+--------+------+-------+-----------------+--------+---------+-----+---------+
//   | object | pins | version| size | flags | size bytes,     | version| id_check| crc | written |
//   | id u64 | u32  | u32    | u32  | u32   | zero-padded to 8| u32    | u32     | u32 | u32     |
//   +--------+------+--------+------+-------+-----------------+--------+---------+-----+---------+
//            '-- pin word --'
// clang-format on
//
//   T = trailer_offset(size) = 24 + round_up(size, 8); slot_bytes(size) = T + 16.
//   id_check = low 32 bits of the id XOR its high 32 bits.
//   crc = crc32c of the payload (crc32c.hpp), written by whoever writes the
//   payload; a reader that finds the slot is the object it asked for checks
//   it, and a mismatch is corruption (errc::corrupt), not a moved object.
//   A client may write a packed payload's packed part alone
//   (packed_payload.hpp: it checks itself), with crc that part's.
//   written = 1 once a client has written the payload since the node last
//   wrote the slot (a client's write puts crc and written together); the
//   node's own writes (write_slot) leave 0. A node that still holds the
//   object's bytes on disk spills an unwritten slot without writing them
//   again.
//
// Integers are in the node's byte order: clients and nodes share one
// architecture. A copy is trusted only if the header AND the trailer agree
// with the id and version asked for. A get copies in address order, so a
// reader that raced a free (retire_slot) or a reuse saw the header before
// the change and the trailer after it, or both after it: either way one of
// them mismatches. A reuse that could overwrite a slot while a get is still
// reading it is made practically impossible on top of that: the slab
// allocator quarantines freed slots for a reuse delay before handing them out
// again.
//
// The pin word (bytes 8..15, one aligned little-endian u64 = version << 32 |
// pins) makes writes safe against spills: a remote writer pins with a
// compare-and-swap that only succeeds while the version is the one it knows,
// puts the payload, and unpins with an atomic add of -1. The node retires a
// slot it wants to spill with a compare-and-swap from (version, 0 pins) to
// (new version, 0 pins), which fails while any writer is in: a spill never
// copies a half-written payload, and a writer that lost the race learns it
// from its own compare-and-swap. Frees bump the version whatever the pins
// (a writer still in then writes into a quarantined slot, harmlessly).
//
// Thread-safety: pure functions on memory the caller owns; writers are the
// node's single owner of the arena, readers are remote and unsynchronised.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "storage/crc32c.hpp"
#include "storage/packed_payload.hpp"

namespace remora::storage {

/// Identifies an object across the pool. 0 is never a valid id.
using object_id = std::uint64_t;

struct slot_header {
  std::uint64_t object_id;
  std::uint32_t pins;     // writers in the slot now (low half of the pin word)
  std::uint32_t version;  // high half of the pin word
  std::uint32_t size;     // payload bytes, without padding
  std::uint32_t flags;    // slot_live | ...
};

struct slot_trailer {
  std::uint32_t version;
  std::uint32_t id_check;
  std::uint32_t crc;      // crc32c of the payload
  std::uint32_t written;  // 1: a client wrote the payload since the node wrote the slot
};

/// Set while the slot holds an object; cleared when the slot is retired.
inline constexpr std::uint32_t slot_live = 1u << 0;

inline constexpr std::size_t payload_offset = sizeof(slot_header);

constexpr std::size_t trailer_offset(std::uint32_t size) {
  return payload_offset + (std::size_t{size} + 7) / 8 * 8;
}

constexpr std::size_t slot_bytes(std::uint32_t size) {
  return trailer_offset(size) + sizeof(slot_trailer);
}

constexpr std::uint32_t id_check(object_id id) {
  return static_cast<std::uint32_t>(id) ^ static_cast<std::uint32_t>(id >> 32);
}

static_assert(sizeof(slot_header) == 24 && alignof(slot_header) == 8);
static_assert(offsetof(slot_header, object_id) == 0 && offsetof(slot_header, pins) == 8 &&
              offsetof(slot_header, version) == 12 && offsetof(slot_header, size) == 16 &&
              offsetof(slot_header, flags) == 20);
static_assert(std::endian::native == std::endian::little,
              "the pin word puts pins in the low half of a little-endian u64");

/// Where the pin word sits in a slot, and how it reads.
inline constexpr std::size_t pin_word_offset = offsetof(slot_header, pins);
constexpr std::uint64_t pin_word(std::uint32_t version, std::uint32_t pins) {
  return (std::uint64_t{version} << 32) | pins;
}
constexpr std::uint32_t pin_word_version(std::uint64_t word) {
  return static_cast<std::uint32_t>(word >> 32);
}
constexpr std::uint32_t pin_word_pins(std::uint64_t word) {
  return static_cast<std::uint32_t>(word);
}
static_assert(pin_word_offset % 8 == 0 && pin_word_version(pin_word(7, 3)) == 7 &&
              pin_word_pins(pin_word(7, 3)) == 3);
static_assert(sizeof(slot_trailer) == 16 && offsetof(slot_trailer, id_check) == 4 &&
              offsetof(slot_trailer, crc) == 8 && offsetof(slot_trailer, written) == 12);
static_assert(payload_offset == 24 && trailer_offset(0) == 24 && trailer_offset(1) == 32 &&
              trailer_offset(8) == 32 && slot_bytes(0) == 40 && slot_bytes(9) == 56);

/// Where a slot's payload checksum is, from the slot's start.
constexpr std::size_t crc_offset(std::uint32_t size) {
  return trailer_offset(size) + offsetof(slot_trailer, crc);
}

/// What a client's write puts after the payload, at crc_offset(size): the
/// new payload's checksum and the mark that a client wrote it.
struct written_crc {
  std::uint32_t crc;
  std::uint32_t written = 1;
};
static_assert(sizeof(written_crc) == sizeof(slot_trailer) - offsetof(slot_trailer, crc));

/// Writes the header and trailer of a slot holding `size` payload bytes and
/// zeroes the padding; the payload itself is the caller's, and `crc` its
/// checksum. The trailer is stored before the header (a release fence
/// orders the two), so a reader that sees the new header also sees the new
/// trailer; written is 0. Write the payload first when readers may already
/// look at it.
/// REQUIRES: `slot` points to slot_bytes(size) writable bytes; id != 0.
inline void write_slot(std::byte* slot, object_id id, std::uint32_t version, std::uint32_t size,
                       std::uint32_t crc) {
  const slot_trailer trailer{version, id_check(id), crc, 0};
  const slot_header header{id, 0, version, size, slot_live};
  std::memset(slot + payload_offset + size, 0, trailer_offset(size) - payload_offset - size);
  std::memcpy(slot + trailer_offset(size), &trailer, sizeof trailer);
  std::atomic_thread_fence(std::memory_order_release);
  std::memcpy(slot, &header, sizeof header);
}

namespace detail {

inline std::atomic_ref<std::uint64_t> pin_word_of(std::byte* slot) {
  return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(slot + pin_word_offset));
}

// The rest of retiring, once the pin word carries `new_version`.
inline void finish_retire(std::byte* slot, std::uint32_t new_version) {
  slot_header header;
  std::memcpy(&header, slot, sizeof header);
  slot_trailer trailer;
  std::memcpy(&trailer, slot + trailer_offset(header.size), sizeof trailer);
  trailer.version = new_version;
  std::memcpy(slot + trailer_offset(header.size), &trailer, sizeof trailer);
  std::atomic_thread_fence(std::memory_order_release);
  std::uint32_t flags = header.flags & ~slot_live;
  std::memcpy(slot + offsetof(slot_header, flags), &flags, sizeof flags);
}

}  // namespace detail

/// Retires a slot for a spill or move: moves its pin word from (`version`,
/// no pins) to (`new_version`, no pins), then stamps the trailer and clears
/// slot_live, so readers and writers of the old version are refused. Returns
/// false, changing nothing, when a writer holds a pin or the version is not
/// `version`. REQUIRES: `slot` was written by write_slot; 8-byte aligned.
inline bool try_retire_slot(std::byte* slot, std::uint32_t version, std::uint32_t new_version) {
  std::uint64_t expected = pin_word(version, 0);
  if (!detail::pin_word_of(slot).compare_exchange_strong(expected, pin_word(new_version, 0)))
    return false;
  detail::finish_retire(slot, new_version);
  return true;
}

/// Retires a slot whatever its pins (a free): stamps `new_version` into the
/// pin word, keeping the pins, then the trailer, and clears slot_live.
/// REQUIRES: `slot` was written by write_slot; 8-byte aligned.
inline void retire_slot(std::byte* slot, std::uint32_t new_version) {
  auto word = detail::pin_word_of(slot);
  std::uint64_t seen = word.load();
  while (!word.compare_exchange_weak(seen, pin_word(new_version, pin_word_pins(seen)))) {
  }
  detail::finish_retire(slot, new_version);
}

/// Whether a slot's header and trailer, read separately (the payload having
/// gone straight to its destination in between, in address order), name
/// live object `id` at `version`.
inline bool slot_parts_match(std::span<const std::byte> header_copy,
                             std::span<const std::byte> trailer_copy, object_id id,
                             std::uint32_t version) {
  if (header_copy.size() < sizeof(slot_header) || trailer_copy.size() < sizeof(slot_trailer))
    return false;
  slot_header header;
  std::memcpy(&header, header_copy.data(), sizeof header);
  if (header.object_id != id || header.version != version || !(header.flags & slot_live))
    return false;
  slot_trailer trailer;
  std::memcpy(&trailer, trailer_copy.data(), sizeof trailer);
  return trailer.version == version && trailer.id_check == id_check(id);
}

/// Whether `payload` (an object's bytes, read apart from its slot) is what
/// the slot's trailer (`trailer_copy`) says was written. A packed payload
/// (packed_payload.hpp) carries its own checksum, of its packed part: what
/// lies after that part is not its, and the trailer's covers what was
/// written.
inline bool payload_intact(std::span<const std::byte> payload,
                           std::span<const std::byte> trailer_copy) {
  if (trailer_copy.size() < sizeof(slot_trailer)) return false;
  if (looks_packed(payload)) return true;
  slot_trailer trailer;
  std::memcpy(&trailer, trailer_copy.data(), sizeof trailer);
  return crc32c(payload) == trailer.crc;
}

/// As payload_intact, for a whole slot's copy that slot_matches accepted.
inline bool slot_intact(std::span<const std::byte> copy) {
  slot_header header;
  std::memcpy(&header, copy.data(), sizeof header);
  return payload_intact(copy.subspan(payload_offset, header.size),
                        copy.subspan(trailer_offset(header.size), sizeof(slot_trailer)));
}

/// Whether `copy` (a slot read from its first byte, at least slot_bytes(size)
/// long; a reader may fetch the whole reserved slot) holds live object `id`
/// at `version`: the header's id, version, live flag and size (which must fit
/// the copy), and the trailer's version and id_check all agree.
inline bool slot_matches(std::span<const std::byte> copy, object_id id, std::uint32_t version) {
  if (copy.size() < slot_bytes(0)) return false;
  slot_header header;
  std::memcpy(&header, copy.data(), sizeof header);
  if (slot_bytes(header.size) > copy.size()) return false;
  return slot_parts_match(copy.first(sizeof(slot_header)),
                          copy.subspan(trailer_offset(header.size), sizeof(slot_trailer)), id,
                          version);
}

}  // namespace remora::storage

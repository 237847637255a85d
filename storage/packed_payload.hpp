// packed_payload: an object's payload packed with zstd for a link slower
// than memory. A packed payload is self-describing, so that whoever reads
// the slot (another runtime, a repair, a published array's reader) can
// unpack it without being told; its packed bytes come first, so a reader
// that knows their length moves only those.
//
// clang-format off
//   packed payload of an object of `size` bytes (header 24 bytes, packed_header)
//   0        8       12       16       20      24                 24 + packed     size
//   +--------+-------+--------+--------+-------+------------------+---------------+
//   | mark   | codec | packed | size   | crc   | packed bytes     | not its own   |
//   | u64    | u32   | u32    | u32    | u32   | (a zstd frame)   | (stale bytes) |
//   +--------+-------+--------+--------+-------+------------------+---------------+
// clang-format on
//
//   A writer writes the packed part alone (the slot's checksum then covers
//   that part: slot.hpp); the rest of the slot keeps what it held.
//
//   mark = packed_mark; codec = 1 (zstd); packed = the frame's length;
//   size = the object's; crc = crc32c of the frame. A payload is packed only
//   if all five check; a writer never stores a raw payload that would pass
//   for a packed one (looks_packed: it packs it, or refuses), so a raw
//   object is never unpacked by mistake.
//
// Thread-safety: pure functions (a thread's zstd contexts are its own).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace remora::storage {

struct packed_header {
  std::uint64_t mark;
  std::uint32_t codec;
  std::uint32_t packed;
  std::uint32_t size;
  std::uint32_t crc;
};
static_assert(sizeof(packed_header) == 24);

inline constexpr std::uint64_t packed_mark = 0x9e3d'51c7'a4f0'2b68ULL;
/// Objects smaller than this are never packed (too little to gain; and
/// objects of up to 4 KiB travel inside allocation messages, whole).
inline constexpr std::size_t packed_min_size = 8192;

/// Packs `raw` (an object's payload) into `out` (as long): the packed
/// part's length (header included), its bytes at the start of `out` — or
/// 0, when packing would not save an eighth of the object.
std::size_t pack_payload(std::span<const std::byte> raw, std::span<std::byte> out);

/// Whether `data` may be written as the payload of an object of `size`
/// bytes: all of it, or a packed part.
bool is_payload_for(std::span<const std::byte> data, std::size_t size);

/// If `head` (a payload's first bytes, at least a header's worth) starts a
/// packed payload of an object of `size` bytes, the length of its packed
/// part, header included; 0 when it is raw. The frame's checksum is not
/// looked at here (unpack_payload checks it).
std::size_t packed_length(std::span<const std::byte> head, std::size_t size);

/// Unpacks `packed` (a packed part, header first: packed_length() bytes)
/// into `raw` (the object's size): false, `raw` unspecified, when its
/// checksum or its frame does not check.
bool unpack_payload(std::span<const std::byte> packed, std::span<std::byte> raw);

/// Whether `raw`, written as it is, would be read back as a packed payload.
bool looks_packed(std::span<const std::byte> raw);

/// What unpack_in_place found.
enum class unpacked { raw, done, corrupt };

/// A whole payload read back (the object's size): if it is packed (header
/// and checksum check), unpacks it in place, its packed part copied into
/// `scratch` first: `done`, or `corrupt` when the frame does not unpack.
/// `raw` when it is not packed, untouched. One pass of the checksum.
unpacked unpack_in_place(std::span<std::byte> payload, std::vector<std::byte>& scratch);

}  // namespace remora::storage

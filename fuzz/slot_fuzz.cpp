// Fuzz target: what a client checks in bytes it read one-sided from a memory
// node (a node that is faulty, or not a node at all). The input is a slot's
// copy; the object id and version the reader expects come from its first
// bytes. slot_matches must refuse anything that does not fit the copy, and
// slot_intact is only asked of what slot_matches accepted, as readers do.
// A copy that says it is a packed payload is unpacked, as readers do. The
// same bytes go to the decoder of a published array's description,
// which a reader gets from a node when it opens a name.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "objects/published_array.hpp"
#include "storage/packed_payload.hpp"
#include "storage/slot.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)remora::objects::published_array::decode({reinterpret_cast<const char*>(data), size});
  if (size < 12) return 0;
  std::uint64_t id;
  std::uint32_t version;
  std::memcpy(&id, data, 8);
  std::memcpy(&version, data + 8, 4);
  const std::span<const std::byte> copy(reinterpret_cast<const std::byte*>(data + 12), size - 12);
  if (remora::storage::slot_matches(copy, id, version)) (void)remora::storage::slot_intact(copy);
  // Header and trailer read apart, as batched reads of payloads do.
  const std::size_t half = copy.size() / 2;
  (void)remora::storage::slot_parts_match(copy.first(half), copy.subspan(half), id, version);
  (void)remora::storage::payload_intact(copy.first(half), copy.subspan(half));
  // A payload that says it is packed, unpacked into an object of its size.
  if (const std::size_t n = remora::storage::packed_length(copy, copy.size()); n != 0) {
    std::vector<std::byte> raw(copy.size());
    (void)remora::storage::unpack_payload(copy.first(n), raw);
  }
  return 0;
}

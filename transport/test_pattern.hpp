// The deterministic bytes a serving remora-transport-demo fills its region
// with, so a client can verify what it reads without a second copy.
#pragma once

#include <cstddef>
#include <cstdint>

namespace remora::transport {

inline std::byte test_pattern(std::uint64_t seed, std::uint64_t offset) {
  std::uint64_t x = (offset >> 3) * 0x9e3779b97f4a7c15ull + seed;
  x ^= x >> 29;
  return static_cast<std::byte>((x >> (8 * (offset & 7))) & 0xff);
}

/// Active messages the demo server answers.
enum demo_am : std::uint16_t {
  demo_checksum_request = 1,  // payload: u64 offset, u64 length
  demo_checksum_reply = 2,    // payload: u32 FNV-1a of those bytes (or empty if out of range)
};

}  // namespace remora::transport

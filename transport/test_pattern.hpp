// The deterministic bytes a serving remora-transport-demo fills its region
// with, so a client can verify what it reads without a second copy.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace remora::transport {

/// The pattern's 8-byte word number `word`: bytes 8 * word onwards, lowest first.
inline std::uint64_t test_pattern_word(std::uint64_t seed, std::uint64_t word) {
  std::uint64_t x = word * 0x9e3779b97f4a7c15ull + seed;
  return x ^ (x >> 29);
}

inline std::byte test_pattern(std::uint64_t seed, std::uint64_t offset) {
  return static_cast<std::byte>((test_pattern_word(seed, offset >> 3) >> (8 * (offset & 7))) &
                                0xff);
}

/// test_pattern(seed, offset + i) for each byte i of `into`, a word at a
/// time where the bytes line up with the pattern's words.
inline void fill_test_pattern(std::uint64_t seed, std::uint64_t offset, std::span<std::byte> into) {
  std::size_t i = 0;
  for (; i < into.size() && (offset + i) % 8 != 0; ++i) into[i] = test_pattern(seed, offset + i);
  if constexpr (std::endian::native == std::endian::little) {
    for (; i + 8 <= into.size(); i += 8) {
      const std::uint64_t x = test_pattern_word(seed, (offset + i) >> 3);
      std::memcpy(into.data() + i, &x, 8);
    }
  }
  for (; i < into.size(); ++i) into[i] = test_pattern(seed, offset + i);
}

/// Active messages the demo server answers.
enum demo_am : std::uint16_t {
  demo_checksum_request = 1,  // payload: u64 offset, u64 length
  demo_checksum_reply = 2,    // payload: u32 FNV-1a of those bytes (or empty if out of range)
};

}  // namespace remora::transport

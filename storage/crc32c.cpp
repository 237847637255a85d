#include "storage/crc32c.hpp"

#include <isa-l/crc.h>

#include <algorithm>
#include <limits>

namespace remora::storage {

std::uint32_t crc32c(std::span<const std::byte> bytes) {
  // ISA-L picks its fastest kernel for this CPU once; its iSCSI CRC is
  // crc32c before the final inversion.
  std::uint32_t crc = 0xffffffffu;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t left = bytes.size(); left > 0;) {
    const std::size_t n = std::min<std::size_t>(left, std::numeric_limits<int>::max());
    crc = crc32_iscsi(const_cast<unsigned char*>(p), static_cast<int>(n), crc);
    p += n;
    left -= n;
  }
  return ~crc;
}

std::uint32_t crc32c_of_zeroes(std::size_t count) {
  static constexpr std::size_t block = 16 << 10;
  alignas(64) static const unsigned char zeroes[block] = {};
  std::uint32_t crc = 0xffffffffu;
  for (std::size_t left = count; left > 0;) {
    const std::size_t n = std::min(left, block);
    crc = crc32_iscsi(const_cast<unsigned char*>(zeroes), static_cast<int>(n), crc);
    left -= n;
  }
  return ~crc;
}

}  // namespace remora::storage

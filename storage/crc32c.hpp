// crc32c: the Castagnoli CRC of a payload, as slots and spill records carry
// it (slot.hpp), computed by ISA-L (libisal, Debian's libisal-dev), tens of
// GB/s on one core here. crc32c("123456789") is 0xe3069283.
//
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace remora::storage {

std::uint32_t crc32c(std::span<const std::byte> bytes);
/// crc32c of `count` zero bytes, without a buffer that long: it reads one
/// small block of zeroes again and again, from the CPU's cache.
std::uint32_t crc32c_of_zeroes(std::size_t count);

}  // namespace remora::storage

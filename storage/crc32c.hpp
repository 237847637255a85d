// crc32c: the Castagnoli CRC of a payload, as slots and spill records carry
// it (slot.hpp). The SSE4.2 instruction where the CPU has it (checked once),
// a table otherwise; both give the same values (crc32c("123456789") is
// 0xe3069283).
//
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace remora::storage {

std::uint32_t crc32c(std::span<const std::byte> bytes);

}  // namespace remora::storage

// secure_random: numbers from the kernel's CSPRNG (getrandom), for what a
// peer must not guess: sessions, owner ids, tokens.
//
// Thread-safety: free functions.
#pragma once

#include <cstdint>
#include <string>

namespace remora::transport {

/// 64 random bits, never 0.
std::uint64_t secure_random_u64();
/// `bytes` random bytes as lowercase hex (2 * bytes characters).
std::string secure_random_hex(std::size_t bytes);

}  // namespace remora::transport

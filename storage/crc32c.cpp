#include "storage/crc32c.hpp"

#include <array>
#include <cstring>

namespace remora::storage {

namespace {

constexpr std::uint32_t polynomial = 0x82f63b78;  // reversed Castagnoli

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? polynomial : 0);
    t[i] = c;
  }
  return t;
}
constexpr auto table = make_table();

std::uint32_t by_table(const std::byte* p, std::size_t n, std::uint32_t c) {
  for (std::size_t i = 0; i < n; ++i)
    c = table[(c ^ static_cast<std::uint8_t>(p[i])) & 0xff] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)
[[gnu::target("sse4.2")]] std::uint32_t by_instruction(const std::byte* p, std::size_t n,
                                                       std::uint32_t c) {
  std::uint64_t c64 = c;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    c64 = __builtin_ia32_crc32di(c64, word);
  }
  c = static_cast<std::uint32_t>(c64);
  for (; n > 0; ++p, --n) c = __builtin_ia32_crc32qi(c, static_cast<unsigned char>(*p));
  return c;
}
const bool have_instruction = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

std::uint32_t crc32c(std::span<const std::byte> bytes) {
#if defined(__x86_64__)
  if (have_instruction) return ~by_instruction(bytes.data(), bytes.size(), ~0u);
#endif
  return ~by_table(bytes.data(), bytes.size(), ~0u);
}

}  // namespace remora::storage

// The tests' byte pattern filled a word at a time is the pattern byte by
// byte, whatever the offset and length.
#include "transport/test_pattern.hpp"

#include <catch2/catch.hpp>

#include <vector>

using remora::transport::fill_test_pattern;
using remora::transport::test_pattern;

TEST_CASE("fill_test_pattern writes test_pattern's bytes at any offset and length",
          "[transport][pattern]") {
  std::size_t wrong = 0, checked = 0;
  for (std::uint64_t offset : {0, 1, 5, 7, 8, 13, 4096, 4099}) {
    for (std::size_t length : {0, 1, 3, 7, 8, 9, 16, 63, 64, 1000}) {
      std::vector<std::byte> filled(length, std::byte{0xee});
      fill_test_pattern(42, offset, filled);
      for (std::size_t i = 0; i < length; ++i, ++checked)
        wrong += filled[i] != test_pattern(42, offset + i);
    }
  }
  CHECK(checked == 8 * (0 + 1 + 3 + 7 + 8 + 9 + 16 + 63 + 64 + 1000));
  CHECK(wrong == 0);
  // Another seed, other bytes.
  std::vector<std::byte> a(64), b(64);
  fill_test_pattern(1, 0, a);
  fill_test_pattern(2, 0, b);
  CHECK(a != b);
}

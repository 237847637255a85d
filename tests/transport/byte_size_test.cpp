#include "transport/byte_size.hpp"

#include <catch2/catch.hpp>

using remora::transport::format_byte_size;
using remora::transport::parse_byte_size;

TEST_CASE("byte sizes parse with binary suffixes", "[transport][byte_size]") {
  CHECK(parse_byte_size("4096") == 4096u);
  CHECK(parse_byte_size("17B") == 17u);
  CHECK(parse_byte_size("8K") == 8192u);
  CHECK(parse_byte_size("64MiB") == (64u << 20));
  CHECK(parse_byte_size("1.5GiB") == (3ull << 29));
  CHECK(parse_byte_size("2 T") == (2ull << 40));
  CHECK_FALSE(parse_byte_size("").has_value());
  CHECK_FALSE(parse_byte_size("MiB").has_value());
  CHECK_FALSE(parse_byte_size("12 parsecs").has_value());
  CHECK_FALSE(parse_byte_size("-1K").has_value());
  // Any case; KB, MB, GB, TB are decimal, the rest binary.
  CHECK(parse_byte_size("64mib") == (64u << 20));
  CHECK(parse_byte_size("8GB") == 8'000'000'000u);
  CHECK(parse_byte_size("8gb") == 8'000'000'000u);
  CHECK(parse_byte_size("8G") == (8ull << 30));
  CHECK(parse_byte_size("3 kb") == 3000u);
  CHECK(parse_byte_size("2TB") == 2'000'000'000'000u);
  CHECK(parse_byte_size("1b") == 1u);
  CHECK_FALSE(parse_byte_size("8 GiBs").has_value());
  CHECK(format_byte_size(512) == "512 B");
  CHECK(format_byte_size(3ull << 29) == "1.5 GiB");
}

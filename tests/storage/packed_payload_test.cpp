// Packed payloads (storage/packed_payload.hpp): what packs and what does
// not, that a packed payload unpacks to its bytes, and that damaged,
// truncated or look-alike bytes are never taken for packed ones.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "storage/crc32c.hpp"
#include "storage/packed_payload.hpp"

using namespace remora::storage;

namespace {

// 16 KiB of 4-byte vertex ids that climb slowly, as a CSR's targets do.
std::vector<std::byte> compressible(std::size_t bytes = 16384) {
  std::vector<std::byte> v(bytes);
  std::mt19937 rng(3);
  std::uint32_t id = 1000;
  for (std::size_t at = 0; at + 4 <= bytes; at += 4) {
    id += rng() % 64;
    std::memcpy(v.data() + at, &id, 4);
  }
  return v;
}

std::vector<std::byte> random_bytes(std::size_t bytes = 16384) {
  std::vector<std::byte> v(bytes);
  std::mt19937_64 rng(5);
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

}  // namespace

TEST_CASE("a payload that packs unpacks to its bytes, and its packed part says how long it is",
          "[storage][packed]") {
  const auto raw = compressible();
  std::vector<std::byte> packed(raw.size(), std::byte{0x55});
  const std::size_t n = pack_payload(raw, packed);
  REQUIRE(n > sizeof(packed_header));
  CHECK(n <= raw.size() - raw.size() / 8);
  CHECK(packed_length(packed, raw.size()) == n);
  CHECK(looks_packed(packed));
  CHECK_FALSE(looks_packed(raw));
  CHECK(is_payload_for(std::span(packed).first(n), raw.size()));
  CHECK_FALSE(is_payload_for(std::span(packed).first(n - 1), raw.size()));
  CHECK_FALSE(is_payload_for(std::span(raw).first(n), raw.size()));
  // The packed part alone is enough, as is the whole payload, whatever
  // follows the part (a slot's stale bytes).
  std::vector<std::byte> back(raw.size());
  REQUIRE(unpack_payload(std::span(packed).first(n), back));
  CHECK(back == raw);
  std::fill(back.begin(), back.end(), std::byte{0});
  std::fill(packed.begin() + static_cast<std::ptrdiff_t>(n), packed.end(), std::byte{0xee});
  REQUIRE(unpack_payload(packed, back));
  CHECK(back == raw);
}

TEST_CASE("what does not pack is left raw: random bytes, objects under 8 KiB",
          "[storage][packed]") {
  const auto noise = random_bytes();
  std::vector<std::byte> out(noise.size());
  CHECK(pack_payload(noise, out) == 0);
  const auto small = compressible(packed_min_size - 8);
  std::vector<std::byte> small_out(small.size());
  CHECK(pack_payload(small, small_out) == 0);
  CHECK(packed_length(small, small.size()) == 0);
}

TEST_CASE("damaged, truncated or misnamed packed bytes do not unpack", "[storage][packed]") {
  const auto raw = compressible();
  std::vector<std::byte> packed(raw.size());
  const std::size_t n = pack_payload(raw, packed);
  REQUIRE(n != 0);
  std::vector<std::byte> back(raw.size());
  SECTION("a flipped bit in the frame fails its checksum") {
    packed[sizeof(packed_header) + 7] ^= std::byte{0x10};
    CHECK_FALSE(unpack_payload(packed, back));
    CHECK_FALSE(looks_packed(packed));
  }
  SECTION("a part shorter than the header says") {
    CHECK_FALSE(unpack_payload(std::span(packed).first(n - 1), back));
    CHECK_FALSE(unpack_payload(std::span(packed).first(10), back));
  }
  SECTION("an object of another size") {
    std::vector<std::byte> other(raw.size() + 8);
    CHECK(packed_length(packed, other.size()) == 0);
    CHECK_FALSE(unpack_payload(std::span(packed).first(n), other));
  }
  SECTION("a header that claims more than the object holds") {
    packed_header h;
    std::memcpy(&h, packed.data(), sizeof h);
    h.packed = static_cast<std::uint32_t>(raw.size());
    std::memcpy(packed.data(), &h, sizeof h);
    CHECK(packed_length(packed, raw.size()) == 0);
    CHECK_FALSE(unpack_payload(packed, back));
  }
  SECTION("the mark alone, at the start of raw bytes, is not a packed payload") {
    auto look_alike = random_bytes();
    std::memcpy(look_alike.data(), &packed_mark, sizeof packed_mark);
    CHECK_FALSE(looks_packed(look_alike));
  }
}

TEST_CASE("a whole payload read back unpacks in place when it is packed, and only then",
          "[storage][packed]") {
  const auto raw = compressible();
  std::vector<std::byte> scratch;
  SECTION("packed, stale bytes after its part: unpacked to the object's bytes") {
    std::vector<std::byte> payload(raw.size(), std::byte{0xee});
    REQUIRE(pack_payload(raw, payload) != 0);
    CHECK(unpack_in_place(payload, scratch) == unpacked::done);
    CHECK(payload == raw);
  }
  SECTION("raw bytes, even behind a packed header whose checksum fails: left as they are") {
    auto payload = random_bytes();
    CHECK(unpack_in_place(payload, scratch) == unpacked::raw);
    CHECK(payload == random_bytes());
    std::vector<std::byte> packed(raw.size());
    const std::size_t n = pack_payload(raw, packed);
    REQUIRE(n != 0);
    packed[n - 1] ^= std::byte{0x01};
    const auto before = packed;
    CHECK(unpack_in_place(packed, scratch) == unpacked::raw);
    CHECK(packed == before);
  }
  SECTION("a frame that checks but does not unpack: corrupt") {
    // Random bytes as the frame, under a header with their checksum.
    auto payload = random_bytes();
    const std::uint32_t frame = 1000;
    const packed_header h{packed_mark, 1, frame, static_cast<std::uint32_t>(payload.size()),
                          crc32c(std::span(payload).subspan(sizeof(packed_header), frame))};
    std::memcpy(payload.data(), &h, sizeof h);
    CHECK(looks_packed(payload));
    CHECK(unpack_in_place(payload, scratch) == unpacked::corrupt);
  }
}

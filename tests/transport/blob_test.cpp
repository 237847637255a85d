#include "transport/blob.hpp"

#include <catch2/catch.hpp>

using namespace remora::transport;

namespace {
bytes payload_of(std::size_t n) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::byte>(i * 7 + 3);
  return b;
}
}  // namespace

TEST_CASE("a sealed blob opens to its payload", "[transport][blob]") {
  for (std::size_t n : {0, 1, 100, 5000}) {
    bytes p = payload_of(n);
    bytes sealed = seal(blob_kind::remote_key, p);
    REQUIRE(sealed.size() == blob_header_size + n);
    auto opened = unseal(blob_kind::remote_key, sealed);
    REQUIRE(opened.ok());
    REQUIRE(bytes(opened->begin(), opened->end()) == p);
  }
}

TEST_CASE("truncated, padded, corrupted and foreign blobs are rejected", "[transport][blob]") {
  bytes sealed = seal(blob_kind::worker_address, payload_of(200));
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, blob_header_size - 1, blob_header_size,
                          sealed.size() - 1}) {
    auto r = unseal(blob_kind::worker_address, std::span(sealed).first(cut));
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::bad_address);
  }
  bytes padded = sealed;
  padded.push_back(std::byte{0});
  CHECK(unseal(blob_kind::worker_address, padded).err().code == errc::bad_address);
  for (std::size_t at : {std::size_t{0}, std::size_t{5}, std::size_t{13}, sealed.size() - 1}) {
    bytes flipped = sealed;
    flipped[at] ^= std::byte{0x40};
    auto r = unseal(blob_kind::worker_address, flipped);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::bad_address);
  }
  auto wrong_kind = unseal(blob_kind::remote_key, sealed);
  REQUIRE_FALSE(wrong_kind.ok());
  CHECK(wrong_kind.err().code == errc::bad_key);
  CHECK(wrong_kind.err().message.find("wrong kind") != std::string::npos);
}

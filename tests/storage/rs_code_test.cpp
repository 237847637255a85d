// rs_code: any k of k + m pieces give back every piece, byte for byte.
#include <catch2/catch.hpp>

#include <bit>
#include <random>

#include "storage/rs_code.hpp"

using remora::storage::rs_code;

TEST_CASE("rs_code: any k of k + m pieces rebuild the others", "[storage][erasure]") {
  for (auto [k, m] : {std::pair{2, 1}, std::pair{4, 2}, std::pair{3, 3}}) {
    const rs_code code(k, m);
    const std::size_t len = 1000;
    std::mt19937 random(static_cast<unsigned>(k * 10 + m));
    std::vector<std::vector<std::byte>> pieces(k + m, std::vector<std::byte>(len));
    for (int i = 0; i < k; ++i)
      for (auto& b : pieces[i]) b = static_cast<std::byte>(random());
    std::vector<std::byte*> p;
    for (auto& piece : pieces) p.push_back(piece.data());
    code.encode(p, len);
    const auto whole = pieces;
    // Every way of losing m pieces (and fewer) is rebuilt.
    for (unsigned lost = 0; lost < (1u << (k + m)); ++lost) {
      if (std::popcount(lost) > m) continue;
      std::vector<bool> have(k + m);
      for (int i = 0; i < k + m; ++i) {
        have[i] = !(lost & (1u << i));
        if (!have[i]) std::fill(pieces[i].begin(), pieces[i].end(), std::byte{0xee});
      }
      bool flags[rs_code::max_pieces];
      for (int i = 0; i < k + m; ++i) flags[i] = have[i];
      REQUIRE(code.decode(p, std::span<const bool>(flags, k + m), len));
      CHECK(pieces == whole);
    }
    // Fewer than k pieces: refused.
    bool too_few[rs_code::max_pieces] = {};
    for (int i = 0; i < k - 1; ++i) too_few[i] = true;
    CHECK_FALSE(code.decode(p, std::span<const bool>(too_few, k + m), len));
  }
}

TEST_CASE("rs_code: a parity update by one piece's delta equals encoding afresh",
          "[storage][erasure]") {
  const rs_code code(4, 2);
  const std::size_t len = 777;
  std::mt19937 random(7);
  std::vector<std::vector<std::byte>> pieces(6, std::vector<std::byte>(len));
  for (int i = 0; i < 4; ++i)
    for (auto& b : pieces[i]) b = static_cast<std::byte>(random());
  std::vector<std::byte*> p;
  for (auto& piece : pieces) p.push_back(piece.data());
  code.encode(p, len);
  // Piece 2 changes: its delta updates the parity in place.
  std::vector<std::byte> fresh(len), delta(len);
  for (std::size_t i = 0; i < len; ++i) {
    fresh[i] = static_cast<std::byte>(random());
    delta[i] = fresh[i] ^ pieces[2][i];
  }
  pieces[2] = fresh;
  p[2] = pieces[2].data();
  code.update(2, delta.data(), std::span<std::byte* const>(p.data() + 4, 2), len);
  auto updated = pieces;
  code.encode(p, len);
  CHECK(updated == pieces);
}

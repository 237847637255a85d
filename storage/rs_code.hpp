// rs_code: Reed-Solomon erasure coding of k equal pieces into k + m, by
// ISA-L (libisal, Debian's libisal-dev): any k of the k + m pieces give back
// all of them. Pieces 0 .. k-1 are the data itself (the code is systematic,
// a Cauchy matrix), k .. k+m-1 the parity.
//
// Thread-safety: const members from any number of threads.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace remora::storage {

class rs_code {
 public:
  static constexpr int max_pieces = 32;

  /// REQUIRES: 1 <= k, 1 <= m, k + m <= max_pieces.
  rs_code(int k, int m);

  int k() const { return k_; }
  int m() const { return m_; }

  /// Fills the m parity pieces from the k data pieces; `pieces` holds all
  /// k + m, each `len` bytes.
  void encode(std::span<std::byte* const> pieces, std::size_t len) const;

  /// Data piece `piece` changed by `delta` (old XOR new, `len` bytes): adds
  /// its share to the m parity pieces `parity` (each `len` bytes), so they
  /// code the new data without the other data pieces.
  void update(int piece, const std::byte* delta, std::span<std::byte* const> parity,
              std::size_t len) const;

  /// Rebuilds the pieces `have` says are missing from k that are there
  /// (pieces[i] of `len` bytes each, all k + m). False when fewer than k
  /// are there.
  bool decode(std::span<std::byte* const> pieces, std::span<const bool> have,
              std::size_t len) const;

 private:
  int k_, m_;
  std::vector<unsigned char> matrix_;  // (k + m) x k, the identity on top
  std::vector<unsigned char> tables_;  // ISA-L's expansion of the parity rows
};

}  // namespace remora::storage

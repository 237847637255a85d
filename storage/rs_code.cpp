#include "storage/rs_code.hpp"

#include <isa-l/erasure_code.h>

namespace remora::storage {

rs_code::rs_code(int k, int m)
    : k_(k), m_(m), matrix_(std::size_t(k + m) * k), tables_(std::size_t(32) * k * m) {
  gf_gen_cauchy1_matrix(matrix_.data(), k + m, k);
  ec_init_tables(k, m, matrix_.data() + std::size_t(k) * k, tables_.data());
}

void rs_code::encode(std::span<std::byte* const> pieces, std::size_t len) const {
  auto** p = reinterpret_cast<unsigned char**>(const_cast<std::byte**>(pieces.data()));
  ec_encode_data(static_cast<int>(len), k_, m_, const_cast<unsigned char*>(tables_.data()), p,
                 p + k_);
}

void rs_code::update(int piece, const std::byte* delta, std::span<std::byte* const> parity,
                     std::size_t len) const {
  auto** p = reinterpret_cast<unsigned char**>(const_cast<std::byte**>(parity.data()));
  ec_encode_data_update(static_cast<int>(len), k_, m_, piece,
                        const_cast<unsigned char*>(tables_.data()),
                        reinterpret_cast<unsigned char*>(const_cast<std::byte*>(delta)), p);
}

bool rs_code::decode(std::span<std::byte* const> pieces, std::span<const bool> have,
                     std::size_t len) const {
  const int n = k_ + m_;
  // The first k pieces there, and the rows of the matrix that made them.
  std::vector<int> used;
  for (int i = 0; i < n && static_cast<int>(used.size()) < k_; ++i)
    if (have[i]) used.push_back(i);
  if (static_cast<int>(used.size()) < k_) return false;
  std::vector<unsigned char> rows(std::size_t(k_) * k_), inverse(std::size_t(k_) * k_);
  for (int r = 0; r < k_; ++r)
    for (int c = 0; c < k_; ++c) rows[r * k_ + c] = matrix_[used[r] * k_ + c];
  if (gf_invert_matrix(rows.data(), inverse.data(), k_) != 0) return false;
  // Each missing piece as a combination of the used ones: its matrix row
  // times the inverse (for a data piece, its row of the inverse).
  std::vector<int> missing;
  for (int i = 0; i < n; ++i)
    if (!have[i]) missing.push_back(i);
  if (missing.empty()) return true;
  std::vector<unsigned char> decode(missing.size() * k_);
  for (std::size_t r = 0; r < missing.size(); ++r)
    for (int c = 0; c < k_; ++c) {
      unsigned char v = 0;
      for (int j = 0; j < k_; ++j) v ^= gf_mul(matrix_[missing[r] * k_ + j], inverse[j * k_ + c]);
      decode[r * k_ + c] = v;
    }
  std::vector<unsigned char> tables(std::size_t(32) * k_ * missing.size());
  ec_init_tables(k_, static_cast<int>(missing.size()), decode.data(), tables.data());
  std::vector<unsigned char*> sources, targets;
  for (int i : used) sources.push_back(reinterpret_cast<unsigned char*>(pieces[i]));
  for (int i : missing) targets.push_back(reinterpret_cast<unsigned char*>(pieces[i]));
  ec_encode_data(static_cast<int>(len), k_, static_cast<int>(missing.size()), tables.data(),
                 sources.data(), targets.data());
  return true;
}

}  // namespace remora::storage

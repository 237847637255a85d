// Zipf(s) request streams over n items, as recommendation and key-value
// traffic looks: rank 0 the most frequent. Shared by remora-embedding and
// the benchmarks that compare it with its peers, so every side of a
// comparison draws the same stream.
//
// zipf draws ranks by rejection-inversion (W. Hörmann and G. Derflinger,
// "Rejection-inversion to generate variates from monotone discrete
// distributions", 1996): O(1) time and no table, exact for any s > 0.
// scatter() maps ranks onto item ids by a fixed bijection, so that hot items
// lie far apart, as hashed ids do, rather than side by side.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace remora::examples {

class zipf {
 public:
  zipf(std::uint64_t n, double s)
      : n_(double(n)), s_(s), top_(H(1.5) - 1.0), bottom_(H(n_ + 0.5)),
        squeeze_(2.0 - H_inverse(H(2.5) - h(2.0))) {}

  /// A rank in [0, n).
  template <class Rng>
  std::uint64_t operator()(Rng& rng) const {
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    for (;;) {
      // u is uniform over the area under the hat; x its inverse image.
      const double u = bottom_ + uniform(rng) * (top_ - bottom_);
      const double x = H_inverse(u);
      const double k = std::clamp(std::floor(x + 0.5), 1.0, n_);
      if (k - x <= squeeze_ || u >= H(k + 0.5) - h(k)) return std::uint64_t(k) - 1;
    }
  }

 private:
  // h(x) = x^-s, the density's shape; H its antiderivative, H(1) = 0.
  double h(double x) const { return std::exp(-s_ * std::log(x)); }
  double H(double x) const {
    const double log_x = std::log(x);
    return expm1_over((1.0 - s_) * log_x) * log_x;
  }
  double H_inverse(double y) const {
    const double t = std::max(y * (1.0 - s_), -1.0 + 1e-12);
    return std::exp(log1p_over(t) * y);
  }
  // expm1(t)/t and log1p(t)/t, both 1 at t = 0 (s = 1 is the log case).
  static double expm1_over(double t) { return std::abs(t) > 1e-8 ? std::expm1(t) / t : 1.0 + t / 2; }
  static double log1p_over(double t) { return std::abs(t) > 1e-8 ? std::log1p(t) / t : 1.0 - t / 2; }

  double n_, s_, top_, bottom_, squeeze_;
};

/// Rank r's item among n: a bijection of [0, n) that spreads neighbouring
/// ranks across the whole range.
inline std::uint64_t scatter(std::uint64_t rank, std::uint64_t n) {
  // A prime multiplier: a bijection whenever n is not a multiple of it.
  constexpr std::uint64_t spread = 2654435761u;
  if (n % spread == 0) return rank;
  return static_cast<std::uint64_t>((unsigned __int128)rank * spread % n);
}

/// `length` item ids drawn Zipf(s) over n items and scattered, from `seed`.
inline std::vector<std::uint32_t> request_stream(std::uint64_t n, double s, std::size_t length,
                                                 std::uint64_t seed) {
  const zipf draw(n, s);
  std::mt19937_64 rng(seed);
  std::vector<std::uint32_t> out(length);
  for (auto& id : out) id = static_cast<std::uint32_t>(scatter(draw(rng), n));
  return out;
}

}  // namespace remora::examples

// A Zipf(s) sampler over 0 .. n-1 (rank 0 the most frequent), by inverting a
// precomputed CDF: what recommendation and key-value traffic looks like.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace remora::bench {

class zipf {
 public:
  zipf(std::size_t n, double s, std::uint64_t seed) : cdf_(n), rng_(seed) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) cdf_[i] = (sum += 1.0 / std::pow(double(i + 1), s));
    for (double& c : cdf_) c /= sum;
  }
  std::size_t operator()() {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    return std::min<std::size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin(),
                                 cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
  std::mt19937_64 rng_;
};

}  // namespace remora::bench

// The request streams the embedding service and its benchmarks share: the
// sampler must draw Zipf(s) exactly, and scatter must be a bijection.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "examples/zipf.hpp"

using remora::examples::request_stream;
using remora::examples::scatter;
using remora::examples::zipf;

TEST_CASE("zipf draws each rank with its Zipf probability", "[zipf]") {
  const std::uint64_t n = 1000;
  for (double s : {0.5, 0.99, 1.0, 1.3}) {
    const zipf draw(n, s);
    std::mt19937_64 rng(42);
    std::vector<double> seen(n);
    const int draws = 2'000'000;
    for (int i = 0; i < draws; ++i) {
      const std::uint64_t k = draw(rng);
      REQUIRE(k < n);
      ++seen[k];
    }
    double norm = 0;
    for (std::uint64_t k = 1; k <= n; ++k) norm += std::pow(double(k), -s);
    for (std::uint64_t rank : {0, 1, 2, 9, 99}) {
      const double p = std::pow(double(rank + 1), -s) / norm;
      const double sd = std::sqrt(p * (1 - p) / draws);
      INFO("s=" << s << " rank " << rank << ": " << seen[rank] / draws << " vs " << p);
      CHECK(std::abs(seen[rank] / draws - p) < 5 * sd);
    }
  }
}

TEST_CASE("scatter is a bijection that spreads neighbouring ranks", "[zipf]") {
  for (std::uint64_t n : {1ull, 7ull, 1000ull, 4096ull, 100003ull}) {
    std::vector<bool> hit(n);
    for (std::uint64_t r = 0; r < n; ++r) {
      const std::uint64_t id = scatter(r, n);
      REQUIRE(id < n);
      REQUIRE_FALSE(hit[id]);
      hit[id] = true;
    }
  }
  CHECK(scatter(1, 1'000'000) - scatter(0, 1'000'000) > 1000);
}

TEST_CASE("request_stream is the same for the same seed", "[zipf]") {
  const auto a = request_stream(5000, 0.99, 10000, 7), b = request_stream(5000, 0.99, 10000, 7);
  const auto c = request_stream(5000, 0.99, 10000, 8);
  CHECK(a == b);
  CHECK(a != c);
  for (auto id : a) REQUIRE(id < 5000);
}

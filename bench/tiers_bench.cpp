// remora-bench-tiers: one tier configuration per run, on the public API:
//   random: uniform random 64-byte derefs over a working set of 64-byte objects
//   scan:   a declared-order sum over an Array<uint64_t>, a chunk's span at a time
// Configurations: dram (DRAM only), dram+cxl (a CXL tier on NUMA node 0 as
// big again), all (and an HBM tier on GPU 0). Prints key=value lines for
// bench/run tiers, or "skipped" with the reason when the machine lacks a tier.
//   remora-bench-tiers --tiers=dram|dram+cxl|all [--tier-size=64MiB]
//                      [--objects=2000000] [--array=512MiB] [--seconds=2]
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <remora/remora.hpp>

#include "bench/driver.hpp"

namespace {

using remora::bench::clock_type;
using remora::bench::seconds_since;

struct payload64 {
  std::uint64_t words[8];
};

}  // namespace

int main(int argc, char** argv) {
  std::string tiers = "dram";
  std::uint64_t tier_bytes = 64ull << 20, array_bytes = 512ull << 20;
  std::size_t objects = 2'000'000;
  double seconds = 2;
  remora::cli::command_line app{
      "Random derefs and a scan through DRAM alone, DRAM + CXL, or every local tier.",
      "remora-bench-tiers"};
  app.add("--tiers", tiers, "the local tiers").one_of({"dram", "dram+cxl", "all"});
  app.bytes("--tier-size", tier_bytes, "bytes of each tier").default_text("64MiB");
  app.add("--objects", objects, "objects of the random case").positive();
  app.bytes("--array", array_bytes, "bytes of the scanned array").default_text("512MiB");
  app.add("--seconds", seconds, "how long the random case runs").positive();
  if (auto code = app.parse(argc, argv)) return *code;
  return remora::cli::run("remora-bench-tiers", [&] {
    remora::Options o;
    o.dram_cache(tier_bytes).embedded_capacity(array_bytes + objects * 200 + (256 << 20));
    if (tiers != "dram") o.cxl_cache(0, tier_bytes);
    if (tiers == "all") o.hbm_cache(0, tier_bytes);
    std::optional<remora::Runtime> rt;
    try {
      rt.emplace(o);
    } catch (const remora::ConfigError& e) {
      std::printf("case=%s skipped reason=\"%s\"\n", tiers.c_str(), e.what());
      return 0;
    }

    // Random 64-byte derefs.
    std::vector<remora::UniquePtr<payload64>> p;
    p.reserve(objects);
    for (std::uint64_t i = 0; i < objects; ++i)
      p.push_back(rt->make_unique<payload64>(payload64{{i}}));
    std::mt19937_64 rng(11);
    std::uint64_t done = 0, wrong = 0;
    auto before = rt->stats();
    auto t0 = clock_type::now();
    while (seconds_since(t0) < seconds) {
      for (int k = 0; k < 1024; ++k) {
        const std::uint64_t i = rng() % objects;
        remora::DerefScope scope;
        wrong += p[i].deref(scope)->words[0] != i;
      }
      done += 1024;
    }
    double s = seconds_since(t0);
    auto after = rt->stats();
    std::printf(
        "case=random tiers=%s ops_per_s=%.0f hit_rate=%.3f promotions=%llu demotions=%llu\n",
        tiers.c_str(), done / s,
        double(after.hits - before.hits) /
            double(std::max<std::uint64_t>(
                1, after.hits + after.misses - before.hits - before.misses)),
        (unsigned long long)(after.promotions - before.promotions),
        (unsigned long long)(after.demotions - before.demotions));
    std::fflush(stdout);
    p.clear();

    // A declared-order scan.
    const std::size_t n = array_bytes / sizeof(std::uint64_t);
    auto a = rt->make_array<std::uint64_t>(n);
    for (std::size_t i = 0; i < n;) {
      remora::DerefScope scope;
      for (auto& v : a.span_mut(scope, i)) v = i++;
    }
    double best = 1e9;
    for (int rep = 0; rep < 2; ++rep) {
      a.prefetch(remora::order::sequential());
      std::uint64_t sum = 0;
      t0 = clock_type::now();
      for (std::size_t i = 0; i < n;) {
        remora::DerefScope scope;
        auto chunk = a.span(scope, i);
        for (std::uint64_t v : chunk) sum += v;
        i += chunk.size();
      }
      best = std::min(best, seconds_since(t0));
      wrong += sum != std::uint64_t{n} * (n - 1) / 2;
    }
    std::printf("case=scan tiers=%s gb_per_s=%.3f\n", tiers.c_str(), n * 8 / best / 1e9);
    if (wrong != 0) {
      std::fprintf(stderr, "remora-bench-tiers: wrong values read\n");
      return 1;
    }
    return 0;
  });
}

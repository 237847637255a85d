// remora-bench-tiers: one tier configuration per run, on the public API:
//   random: uniform random 64-byte derefs over a working set of 64-byte objects
//   scan:   a declared-order sum over an Array<uint64_t>, a chunk's span at a time
// Configurations: dram (DRAM only), dram+cxl (a CXL tier on NUMA node 0 as
// big again), all (and an HBM tier on GPU 0). Prints key=value lines for
// bench/run tiers, or "skipped" with the reason when the machine lacks a tier.
//   remora-bench-tiers --tiers=dram|dram+cxl|all [--tier-mib=64]
//                      [--objects=2000000] [--array-mib=512] [--seconds=2]
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <remora/remora.hpp>

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

struct payload64 {
  std::uint64_t words[8];
};

}  // namespace

int main(int argc, char** argv) {
  std::string tiers = "dram";
  std::size_t tier_mib = 64, objects = 2'000'000, array_mib = 512;
  double seconds = 2;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&] { return a.substr(a.find('=') + 1); };
    if (a == "--help") {
      std::puts("usage: remora-bench-tiers --tiers=dram|dram+cxl|all [--tier-mib=64] "
                "[--objects=2000000] [--array-mib=512] [--seconds=2]");
      return 0;
    } else if (a.rfind("--tiers=", 0) == 0) tiers = value();
    else if (a.rfind("--tier-mib=", 0) == 0) tier_mib = std::stoull(value());
    else if (a.rfind("--objects=", 0) == 0) objects = std::stoull(value());
    else if (a.rfind("--array-mib=", 0) == 0) array_mib = std::stoull(value());
    else if (a.rfind("--seconds=", 0) == 0) seconds = std::stod(value());
    else {
      std::fprintf(stderr, "remora-bench-tiers: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  const std::uint64_t tier_bytes = std::uint64_t{tier_mib} << 20;
  remora::Options o;
  o.dram_cache(tier_bytes).embedded_capacity((std::uint64_t{array_mib} << 20) + objects * 200 +
                                             (256 << 20));
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
  for (std::uint64_t i = 0; i < objects; ++i) p.push_back(rt->make_unique<payload64>(payload64{{i}}));
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
  std::printf("case=random tiers=%s ops_per_s=%.0f hit_rate=%.3f promotions=%llu demotions=%llu\n",
              tiers.c_str(), done / s,
              double(after.hits - before.hits) /
                  double(std::max<std::uint64_t>(1, after.hits + after.misses - before.hits -
                                                        before.misses)),
              (unsigned long long)(after.promotions - before.promotions),
              (unsigned long long)(after.demotions - before.demotions));
  std::fflush(stdout);
  p.clear();

  // A declared-order scan.
  const std::size_t n = (std::size_t{array_mib} << 20) / sizeof(std::uint64_t);
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
}

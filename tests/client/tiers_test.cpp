// Local tiers: a CXL tier (NUMA node 0 stands in for CXL memory on a
// one-node machine) above DRAM, objects demoted and promoted between them
// and evicted to the memory node, every byte intact, no tier over its
// capacity; and the HBM tier where a GPU exists (skipped, saying so, where
// none does).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "remora/remora.hpp"

namespace {

struct page {
  std::uint64_t words[512];  // 4 KiB
};

page page_for(std::uint64_t i) {
  page p;
  for (std::uint64_t k = 0; k < 512; ++k) p.words[k] = i * 1000003 + k;
  return p;
}

bool intact(const page& p, std::uint64_t i) {
  const page want = page_for(i);
  return std::memcmp(&p, &want, sizeof p) == 0;
}

bool within_capacity(const remora::Stats& s) {
  return s.dram_used <= s.dram_capacity && s.cxl_used <= s.cxl_capacity &&
         s.hbm_used <= s.hbm_capacity;
}

// The runtime, or nullopt (with the reason printed) when this machine cannot
// give the tiers asked for.
std::optional<remora::Runtime> runtime_or_skip(const remora::Options& o, const char* what) {
  try {
    return std::optional<remora::Runtime>(std::in_place, o);
  } catch (const remora::ConfigError& e) {
    WARN("SKIPPED: " << what << ": " << e.what());
    return std::nullopt;
  }
}

}  // namespace

TEST_CASE("a cxl tier on NUMA node 0 above dram: demoted, promoted, evicted, bytes intact",
          "[client][tiers]") {
  auto rt = runtime_or_skip(
      remora::Options{}.cxl_cache(0, 8 << 20).dram_cache(8 << 20).embedded_capacity(512ull << 20),
      "no NUMA node 0 for the cxl tier");
  if (!rt) return;
  // 40,000 pages: 160 MiB, 20 times the fastest tier.
  constexpr std::uint64_t n = 40'000;
  std::vector<remora::UniquePtr<page>> pages;
  bool fits = true;
  for (std::uint64_t i = 0; i < n; ++i) {
    pages.push_back(rt->make_unique<page>(page_for(i)));
    if (i % 1000 == 0) fits = fits && within_capacity(rt->stats());
  }
  std::size_t wrong = 0;
  for (std::uint64_t i = 0; i < n; ++i) wrong += !intact(pages[i].read(), i);
  std::mt19937_64 rng(3);
  for (int k = 0; k < 20'000; ++k) {
    const std::uint64_t i = rng() % n;
    wrong += !intact(pages[i].read(), i);
    if (k % 1000 == 0) fits = fits && within_capacity(rt->stats());
  }
  CHECK(wrong == 0);
  CHECK(fits);
  auto s = rt->stats();
  CHECK(s.cxl_capacity == 8u << 20);
  CHECK(s.demotions > 0);  // cxl → dram
  CHECK(s.evictions > 0);  // dram → the memory node
  CHECK(s.writebacks > 0);

  // Free most pages so the cxl tier has room, then keep a small set hot:
  // those of it sitting in dram are promoted. The set (2.5 MiB) is well
  // within the room promotions need in cxl (above 15 % of it free), however
  // late the tiering thread runs: fetches of the rest cannot fill cxl first.
  for (std::uint64_t i = 0; i < n; ++i)
    if (i % 64 != 0) pages[i].reset();
  const auto promoted_before = rt->stats().promotions;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (rt->stats().promotions == promoted_before && std::chrono::steady_clock::now() < until)
    for (std::uint64_t i = 0; i < n; i += 64) wrong += !intact(pages[i].read(), i);
  CHECK(rt->stats().promotions > promoted_before);
  for (std::uint64_t i = 0; i < n; i += 64) wrong += !intact(pages[i].read(), i);
  CHECK(wrong == 0);
  CHECK(within_capacity(rt->stats()));
}

TEST_CASE("hbm_cache: a GPU tier where a device exists, a clear ConfigError where none does",
          "[client][tiers][hbm]") {
  try {
    remora::Runtime rt(remora::Options{}.hbm_cache(0, 64 << 20));
    SUCCEED("a CUDA device is present: the HBM tier opened");
  } catch (const remora::ConfigError& e) {
    const std::string why = e.what();
    WARN("SKIPPED (no GPU here): " << why);
    CHECK(why.find("hbm_cache") != std::string::npos);
    CHECK((why.find("no CUDA device") != std::string::npos ||
           why.find("no CUDA support") != std::string::npos));
  }
  // Without an HBM tier, asking for device memory is a clear error.
  remora::Runtime plain(remora::Options{}.dram_cache(8 << 20));
  auto p = plain.make_unique<page>(page_for(1));
  remora::DerefScope scope;
  CHECK_THROWS_AS(p.deref_device(scope), remora::ConfigError);
}

TEST_CASE("three tiers, working set 20 times the fastest: every byte right, moves counted",
          "[client][tiers][hbm]") {
  auto rt = runtime_or_skip(remora::Options{}
                                .hbm_cache(0, 8 << 20)
                                .cxl_cache(0, 8 << 20)
                                .dram_cache(8 << 20)
                                .embedded_capacity(512ull << 20),
                            "three tiers need a CUDA device and NUMA node 0");
  if (!rt) return;
  constexpr std::uint64_t n = 40'000;  // 160 MiB
  std::vector<remora::UniquePtr<page>> pages;
  for (std::uint64_t i = 0; i < n; ++i) pages.push_back(rt->make_unique<page>(page_for(i)));
  std::size_t wrong = 0, on_device = 0;
  // Every 8th page goes through GPU memory and back to the host.
  for (std::uint64_t i = 0; i < n; i += 8) {
    remora::DerefScope scope;
    on_device += pages[i].deref_device(scope) != nullptr;
  }
  for (std::uint64_t i = 0; i < n; ++i) wrong += !intact(pages[i].read(), i);
  CHECK(on_device == n / 8);
  CHECK(wrong == 0);
  auto s = rt->stats();
  CHECK(within_capacity(s));
  CHECK(s.demotions > 0);
  CHECK(s.promotions > 0);
  CHECK(s.evictions > 0);
}

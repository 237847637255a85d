// remora-bench-scan: sum over an Array<uint64_t> several times the local cache
// (embedded node, shared memory): a plain in-memory vector, then Remora with
// prefetching off, with detection only, and with a declared sequential order
// (each summing a chunk's span at a time, as a program that cares about speed
// does), the declared order again through at() per element, a scan(), and
// one then two threads reading the array at once (each its share, each
// with its own declared order).
// Prints one line of key=value pairs per case for bench/run scan.
//   remora-bench-scan [--array=2GiB] [--dram-cache=128MiB]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <remora/remora.hpp>

#include "bench/driver.hpp"

namespace {

using remora::bench::clock_type;
using remora::bench::seconds_since;

void report(const char* name, std::size_t bytes, double seconds, const remora::Stats& before,
            const remora::Stats& after) {
  std::printf("case=%s gb_per_s=%.3f seconds=%.3f misses=%llu prefetch_hits=%llu\n", name,
              bytes / seconds / 1e9, seconds, (unsigned long long)(after.misses - before.misses),
              (unsigned long long)(after.prefetch_hits - before.prefetch_hits));
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t array_bytes = 2ull << 30, cache = 128ull << 20;
  CLI::App app{"Sums over an Array several times the local cache, in every way Remora reads.",
               "remora-bench-scan"};
  remora::cli::standard(app);
  remora::cli::add_bytes(app, "--array", array_bytes, "bytes of the array")->default_str("2GiB");
  remora::cli::add_bytes(app, "--dram-cache", cache, "local DRAM cache")->default_str("128MiB");
  if (auto code = remora::cli::parse(app, argc, argv)) return *code;
  if (cache < (4u << 20) || array_bytes < cache)
    return remora::cli::usage_error(app, "--dram-cache must be at least 4MiB and at most --array");
  return remora::cli::run("remora-bench-scan", [&] {
    const std::size_t n = array_bytes / sizeof(std::uint64_t), bytes = n * sizeof(std::uint64_t);
    std::uint64_t expected = 0;
    {
      std::vector<std::uint64_t> plain(n);
      for (std::size_t i = 0; i < n; ++i) plain[i] = i * 3;
      double best = 1e9;
      for (int rep = 0; rep < 3; ++rep) {
        auto t0 = clock_type::now();
        std::uint64_t sum = 0;
        for (std::uint64_t v : plain) sum += v;
        best = std::min(best, seconds_since(t0));
        expected = sum;
      }
      std::printf("case=memory gb_per_s=%.3f seconds=%.3f\n", bytes / best / 1e9, best);
      // The ceiling for any cache that copies: one thread moving the array,
      // chunk by chunk, into a ring the size of the cache.
      std::vector<std::uint64_t> ring(cache / sizeof(std::uint64_t));
      const std::size_t per = remora::array_chunk_bytes / sizeof(std::uint64_t);
      best = 1e9;
      for (int rep = 0; rep < 3; ++rep) {
        auto t0 = clock_type::now();
        for (std::size_t first = 0; first < n; first += per)
          std::memcpy(ring.data() + first % ring.size(), plain.data() + first,
                      std::min(per, n - first) * sizeof(std::uint64_t));
        best = std::min(best, seconds_since(t0));
      }
      std::printf("case=copy gb_per_s=%.3f seconds=%.3f check=%llu\n", bytes / best / 1e9, best,
                  (unsigned long long)ring[ring.size() / 2]);
      std::fflush(stdout);
    }
    remora::Runtime rt(
        remora::Options{}.dram_cache(cache).embedded_capacity(bytes + bytes / 4 + (256 << 20)));
    auto a = rt.make_array<std::uint64_t>(n);
    {
      const std::size_t per = remora::array_chunk_bytes / sizeof(std::uint64_t);
      for (std::size_t first = 0; first < n; first += per) {
        remora::DerefScope scope;
        for (std::size_t i = first; i < std::min(n, first + per); ++i) a.at_mut(scope, i) = i * 3;
      }
    }
    auto sum_with = [&](const char* name, remora::order::declared o, bool per_element) {
      a.prefetch(std::move(o));
      const std::size_t per = remora::array_chunk_bytes / sizeof(std::uint64_t);
      auto before = rt.stats();
      auto t0 = clock_type::now();
      std::uint64_t sum = 0;
      for (std::size_t first = 0; first < n; first += per) {
        remora::DerefScope scope;
        if (per_element) {
          const std::size_t end = std::min(n, first + per);
          for (std::size_t i = first; i < end; ++i) sum += a.at(scope, i);
        } else {
          for (std::uint64_t v : a.span(scope, first)) sum += v;
        }
      }
      double s = seconds_since(t0);
      if (sum != expected) {
        std::fprintf(stderr, "remora-bench-scan: %s summed wrong\n", name);
        std::exit(1);
      }
      report(name, bytes, s, before, rt.stats());
      std::fflush(stdout);
    };
    sum_with("off", remora::order::off(), false);
    sum_with("detected", remora::order::none(), false);
    sum_with("declared", remora::order::sequential(), false);
    sum_with("declared-at", remora::order::sequential(), true);
    a.prefetch(remora::order::none());
    auto before = rt.stats();
    auto t0 = clock_type::now();
    std::uint64_t sum = 0;
    for (const std::uint64_t& v : a.scan()) sum += v;
    double s = seconds_since(t0);
    if (sum != expected) {
      std::fprintf(stderr, "remora-bench-scan: scan summed wrong\n");
      return 1;
    }
    report("scan", bytes, s, before, rt.stats());
    std::fflush(stdout);

    // Readers of one Array at once: each thread sums its share of the array a
    // span at a time, following an order of its own.
    auto read_with = [&](unsigned readers) {
      std::vector<std::uint64_t> sums(readers);
      std::vector<std::thread> threads;
      const auto before = rt.stats();
      const auto t0 = clock_type::now();
      for (unsigned t = 0; t < readers; ++t)
        threads.emplace_back([&, t] {
          const std::size_t begin = n / readers * t,
                            end = t + 1 == readers ? n : n / readers * (t + 1);
          a.prefetch(remora::order::sequential(begin, end));
          std::uint64_t sum = 0;
          for (std::size_t first = begin; first < end;) {
            remora::DerefScope scope;
            const std::span<const std::uint64_t> s = a.span(scope, first);
            const std::size_t count = std::min(s.size(), end - first);
            for (std::size_t k = 0; k < count; ++k) sum += s[k];
            first += count;
          }
          sums[t] = sum;
        });
      for (auto& t : threads) t.join();
      const double s = seconds_since(t0);
      std::uint64_t total = 0;
      for (std::uint64_t v : sums) total += v;
      if (total != expected) {
        std::fprintf(stderr, "remora-bench-scan: %u readers summed wrong\n", readers);
        std::exit(1);
      }
      const std::string name = "readers-" + std::to_string(readers);
      report(name.c_str(), bytes, s, before, rt.stats());
      std::fflush(stdout);
    };
    read_with(1);
    read_with(2);
    return 0;
  });
}

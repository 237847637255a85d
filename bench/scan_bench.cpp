// remora-bench-scan: sum over an Array<uint64_t> several times the local cache
// (embedded node, shared memory): a plain in-memory vector, then Remora with
// prefetching off, with detection only, and with a declared sequential order
// (each summing a chunk's span at a time, as a program that cares about speed
// does), the declared order again through at() per element, a scan(), and
// one then two threads reading the array at once (each its share, each
// with its own declared order). Beside the readers, their peer: one then
// two threads doing only what a cache that copies must (each chunk of its
// share copied into its part of a cache-sized ring, then summed there).
// Prints one line of key=value pairs per case for bench/run scan.
//   remora-bench-scan [--array=2GiB] [--dram-cache=128MiB]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <remora/remora.hpp>

#include "bench/driver.hpp"

namespace {

using remora::bench::clock_type;
using remora::bench::seconds_since;

// Copies elements [begin, end) of `from` into `ring` a chunk at a time
// (round the ring's chunk-sized places), summing each chunk where it landed:
// the least a reader of a cache that copies does.
std::uint64_t copy_and_sum(const std::vector<std::uint64_t>& from, std::size_t begin,
                           std::size_t end, std::span<std::uint64_t> ring) {
  const std::size_t per = remora::array_chunk_bytes / sizeof(std::uint64_t);
  std::uint64_t sum = 0;
  for (std::size_t first = begin; first < end; first += per) {
    const std::size_t count = std::min(per, end - first);
    std::uint64_t* to = ring.data() + (first - begin) / per % (ring.size() / per) * per;
    std::memcpy(to, from.data() + first, count * sizeof(std::uint64_t));
    for (std::size_t k = 0; k < count; ++k) sum += to[k];
  }
  return sum;
}

void report(const char* name, std::size_t bytes, double seconds, const remora::Stats& before,
            const remora::Stats& after) {
  std::printf("case=%s gb_per_s=%.3f seconds=%.3f misses=%llu prefetch_hits=%llu\n", name,
              bytes / seconds / 1e9, seconds, (unsigned long long)(after.misses - before.misses),
              (unsigned long long)(after.prefetch_hits - before.prefetch_hits));
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t array_bytes = 2ull << 30, cache = 128ull << 20;
  remora::cli::command_line app{
      "Sums over an Array several times the local cache, in every way Remora reads.",
      "remora-bench-scan"};
  app.bytes("--array", array_bytes, "bytes of the array").default_text("2GiB");
  app.bytes("--dram-cache", cache, "local DRAM cache").default_text("128MiB");
  if (auto code = app.parse(argc, argv)) return *code;
  if (cache < (4u << 20) || array_bytes < cache)
    return app.usage_error("--dram-cache must be at least 4MiB and at most --array");
  return remora::cli::run("remora-bench-scan", [&] {
    const std::size_t n = array_bytes / sizeof(std::uint64_t), bytes = n * sizeof(std::uint64_t);
    std::uint64_t expected = 0;
    // Kept for the readers' peer, at the end.
    std::vector<std::uint64_t> plain(n);
    std::vector<std::uint64_t> ring(cache / sizeof(std::uint64_t));
    {
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
    // span at a time, following an order of its own. Beside them, their
    // peer: as many threads each copying its share into its part of the ring
    // and summing it there. One reader, one copier, two readers, two
    // copiers, in turns, three times: the best of each (a disturbed pass on
    // this shared machine is one of three, and each kind has a quiet one).
    //
    // Runs part(t, begin, end) for each thread t < k at once, over the k
    // shares of the array; their sums must add up to the array's. Returns
    // the seconds it took.
    auto on_threads = [&](unsigned k, const char* who, auto part) {
      std::vector<std::uint64_t> sums(k);
      std::vector<std::thread> threads;
      const auto t0 = clock_type::now();
      for (unsigned t = 0; t < k; ++t)
        threads.emplace_back(
            [&, t] { sums[t] = part(t, n / k * t, t + 1 == k ? n : n / k * (t + 1)); });
      for (auto& t : threads) t.join();
      const double s = seconds_since(t0);
      if (std::accumulate(sums.begin(), sums.end(), std::uint64_t{0}) != expected) {
        std::fprintf(stderr, "remora-bench-scan: %u %s summed wrong\n", k, who);
        std::exit(1);
      }
      return s;
    };
    auto read_with = [&](unsigned readers, remora::Stats& delta) {
      const auto before = rt.stats();
      const double s =
          on_threads(readers, "readers", [&](unsigned, std::size_t begin, std::size_t end) {
            a.prefetch(remora::order::sequential(begin, end));
            std::uint64_t sum = 0;
            for (std::size_t first = begin; first < end;) {
              remora::DerefScope scope;
              const std::span<const std::uint64_t> s = a.span(scope, first);
              const std::size_t count = std::min(s.size(), end - first);
              for (std::size_t k = 0; k < count; ++k) sum += s[k];
              first += count;
            }
            return sum;
          });
      const auto after = rt.stats();
      delta.misses = after.misses - before.misses;
      delta.prefetch_hits = after.prefetch_hits - before.prefetch_hits;
      return s;
    };
    auto copy_with = [&](unsigned copiers) {
      const std::size_t part = ring.size() / copiers;
      return on_threads(copiers, "copiers", [&](unsigned t, std::size_t begin, std::size_t end) {
        return copy_and_sum(plain, begin, end, std::span(ring.data() + part * t, part));
      });
    };
    double readers_best[2] = {1e9, 1e9}, copiers_best[2] = {1e9, 1e9};
    remora::Stats readers_stats[2];
    for (int round = 0; round < 3; ++round)
      for (unsigned k = 1; k <= 2; ++k) {
        remora::Stats delta;
        if (const double s = read_with(k, delta); s < readers_best[k - 1]) {
          readers_best[k - 1] = s;
          readers_stats[k - 1] = delta;
        }
        copiers_best[k - 1] = std::min(copiers_best[k - 1], copy_with(k));
      }
    for (unsigned k = 1; k <= 2; ++k) {
      const double s = readers_best[k - 1];
      std::printf("case=readers-%u gb_per_s=%.3f seconds=%.3f misses=%llu prefetch_hits=%llu\n", k,
                  bytes / s / 1e9, s, (unsigned long long)readers_stats[k - 1].misses,
                  (unsigned long long)readers_stats[k - 1].prefetch_hits);
    }
    std::printf("case=copy-readers one_gb_per_s=%.3f two_gb_per_s=%.3f\n",
                bytes / copiers_best[0] / 1e9, bytes / copiers_best[1] / 1e9);
    return 0;
  });
}

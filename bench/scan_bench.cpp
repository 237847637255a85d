// remora-bench-scan: sum over an Array<uint64_t> several times the local cache
// (embedded node, shared memory): a plain in-memory vector, then Remora with
// prefetching off, with detection only, and with a declared sequential order
// (each summing a chunk's span at a time, as a program that cares about speed
// does), the declared order again through at() per element, a scan(), and
// one then two threads reading the array at once (each its share, each
// with its own declared order).
// Prints one line of key=value pairs per case for bench/run scan.
//   remora-bench-scan [--mib=2048] [--cache-mib=128]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <remora/remora.hpp>

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

void report(const char* name, std::size_t bytes, double seconds, const remora::Stats& before,
            const remora::Stats& after) {
  std::printf("case=%s gb_per_s=%.3f seconds=%.3f misses=%llu prefetch_hits=%llu\n", name,
              bytes / seconds / 1e9, seconds, (unsigned long long)(after.misses - before.misses),
              (unsigned long long)(after.prefetch_hits - before.prefetch_hits));
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = 2048, cache_mib = 128;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help") {
      std::puts("usage: remora-bench-scan [--mib=2048] [--cache-mib=128]");
      return 0;
    } else if (a.rfind("--mib=", 0) == 0) {
      mib = std::stoull(a.substr(6));
    } else if (a.rfind("--cache-mib=", 0) == 0) {
      cache_mib = std::stoull(a.substr(12));
    } else {
      std::fprintf(stderr, "remora-bench-scan: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  const std::size_t n = (mib << 20) / sizeof(std::uint64_t), bytes = n * sizeof(std::uint64_t);
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
    std::vector<std::uint64_t> ring((cache_mib << 20) / sizeof(std::uint64_t));
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
  remora::Runtime rt(remora::Options{}
                         .dram_cache(cache_mib << 20)
                         .embedded_capacity(bytes + bytes / 4 + (256 << 20)));
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
}

// remora-bench-deref: the deref paths, on the public API only.
//   hot:  sum over N resident objects through deref, and over raw pointers
//   miss: random 64-byte reads over a working set 10x the local cache, and
//         the floor under them: dependent random reads of the same sizes;
//         then the same reads sixteen at a time (miss-batch16), each batch
//         brought in by one Runtime::fetch before it is read
//   array: Array<uint64_t>::at() over 64 MiB, every chunk resident: random
//          indices with a DerefScope per element, and sequential with a
//          scope per 1024 elements, each against std::vector indexing
//          in the same round (five rounds; the median round is printed),
//          and the random case's floor: the least its contract does, as a
//          plain loop (bare_contract_sum); and the sequential walk again
//          over an Array<double>, summing doubles (array-seq-double)
//   array-miss: random 8-byte reads of an Array 4x the local cache
// Prints one line of key=value pairs per case for bench/run deref.
//   remora-bench-deref [--hot-objects=10000000] [--dram-cache=16MiB] [--seconds=3]
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <ranges>
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

void hot_path(std::size_t n) {
  std::vector<std::unique_ptr<std::uint64_t>> raw;
  raw.reserve(n);
  for (std::size_t i = 0; i < n; ++i) raw.push_back(std::make_unique<std::uint64_t>(i));
  // The cache holds every object (64-byte slots) with room to spare, so
  // nothing is evicted while the loop runs.
  remora::Runtime rt(
      remora::Options{}.dram_cache(n * 128 + (64 << 20)).embedded_capacity(64 << 20));
  std::vector<remora::UniquePtr<std::uint64_t>> objects;
  objects.reserve(n);
  for (std::size_t i = 0; i < n; ++i) objects.push_back(rt.make_unique<std::uint64_t>(i));

  double best_raw = 1e9, best_remora = 1e9;
  std::uint64_t check_raw = 0, check_remora = 0;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = clock_type::now();
    std::uint64_t sum = 0;
    for (const auto& p : raw) sum += *p;
    best_raw = std::min(best_raw, seconds_since(t0));
    check_raw = sum;
    t0 = clock_type::now();
    sum = 0;
    constexpr std::size_t per_scope = 4096;
    for (std::size_t first = 0; first < n; first += per_scope) {
      remora::DerefScope scope;
      const std::size_t end = std::min(n, first + per_scope);
      for (std::size_t i = first; i < end; ++i) sum += *objects[i].deref(scope);
    }
    best_remora = std::min(best_remora, seconds_since(t0));
    check_remora = sum;
  }
  if (rt.stats().evictions != 0) {
    std::fprintf(stderr, "remora-bench-deref: the hot set was evicted; the cache is too small\n");
    std::exit(1);
  }
  if (check_raw != check_remora) {
    std::fprintf(stderr, "remora-bench-deref: sums differ\n");
    std::exit(1);
  }
  std::printf("case=hot objects=%zu remora_ns=%.2f raw_ns=%.2f ratio=%.3f\n", n,
              best_remora * 1e9 / n, best_raw * 1e9 / n, best_raw / best_remora);
}

// The share of timed reads' time spent in reads of over 10 us: waits (for
// a lock, for an object the evacuator holds), or this machine's own pauses,
// which a plain loop meets as well (dependent_reads).
double stalled_share(const std::vector<double>& latencies) {
  double timed = 0, stalled = 0;
  for (double l : latencies) {
    timed += l;
    if (l > 10'000) stalled += l;
  }
  return stalled / timed;
}

struct floor_reads {
  double p50_ns, stalled;
};

// The memory's own floor under a miss, on plain vectors of the miss case's
// sizes: p50 of a random read of a 16-byte handle, then (with `word`) of an
// 8-byte word it names, then of the 64-byte slot in a node-sized buffer that
// names: two dependent reads, as any design with handles in the reader's
// memory and objects in the node's pays (AIFM keeps its metadata in the
// handle), or three, as Remora's record word adds. Timed as the miss case
// times its reads; `stalled` is what the machine alone adds to a loop with
// no locks and no other threads (2026-12-06: 0.04-0.05, about 1,800 pauses
// of 10-100 us a second, as many as the miss case then met).
floor_reads dependent_reads(std::size_t n, bool word) {
  struct handle {
    std::uint64_t next, unused;
  };
  std::mt19937_64 rng(11);
  std::vector<handle> handles(n);
  std::vector<std::uint64_t> words(n);
  std::vector<payload64> slots(n * 3 / 2);  // 96-byte slots: 1.5 payloads each
  for (std::size_t i = 0; i < n; ++i) {
    handles[i].next = rng() % n;
    words[i] = (rng() % n) * 3 / 2;
  }
  for (std::size_t i = 0; i < slots.size(); ++i) slots[i].words[3] = i;
  std::vector<double> latencies;
  std::uint64_t sum = 0;
  const auto read = [&](std::size_t i) {
    const std::uint64_t h = handles[i].next;
    const payload64 p = slots[word ? words[h] : h * 3 / 2];
    return p.words[3];
  };
  for (int k = 0; k < (1 << 20); ++k) {
    const std::size_t i = rng() % n;
    if (k % 8 == 0) {
      const auto t0 = clock_type::now();
      sum += read(i);
      latencies.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - t0).count());
    } else {
      sum += read(i);
    }
  }
  if (sum == 0) std::printf("%llu", (unsigned long long)sum);  // keeps the reads
  const double stalled = stalled_share(latencies);
  std::sort(latencies.begin(), latencies.end());
  return {latencies[latencies.size() / 2], stalled};
}

void miss_path(std::uint64_t cache, double seconds) {
  // The embedded node holds the whole working set without spilling.
  remora::Runtime rt(remora::Options{}.dram_cache(cache).embedded_capacity(cache * 40));
  // Slots of 64-byte objects take 96 bytes: ten caches' worth of them.
  const std::size_t n = cache * 10 / 96;
  std::vector<remora::UniquePtr<payload64>> objects;
  objects.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    payload64 p;
    for (std::uint64_t w = 0; w < 8; ++w) p.words[w] = i + w;
    objects.push_back(rt.make_unique<payload64>(p));
  }
  std::mt19937_64 rng(9);
  for (std::size_t i = 0; i < n / 4; ++i) (void)objects[rng() % n].read();  // warm up
  auto before = rt.stats();
  // Touched before the timed phase: its first touches (page faults) would
  // count against the misses' throughput.
  std::vector<double> latencies(std::size_t{1} << 22);
  std::size_t timed_reads = 0;
  std::uint64_t ops = 0, wrong = 0;
  const auto start = clock_type::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int k = 0; k < 256; ++k) {
      const std::size_t i = rng() % n;
      // The latency of one read in eight (the clock costs too), as many as
      // `latencies` holds.
      if (k % 8 == 0 && timed_reads < latencies.size()) {
        const auto t0 = clock_type::now();
        payload64 p = objects[i].read();
        latencies[timed_reads++] =
            std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
        wrong += p.words[3] != i + 3;
      } else {
        wrong += objects[i].read().words[3] != i + 3;
      }
    }
    ops += 256;
    elapsed = seconds_since(start);
  }
  if (wrong != 0) {
    std::fprintf(stderr, "remora-bench-deref: %llu wrong reads\n", (unsigned long long)wrong);
    std::exit(1);
  }
  auto after = rt.stats();
  latencies.resize(timed_reads);
  const double misses = static_cast<double>(after.misses - before.misses);
  const double stalled = stalled_share(latencies);
  std::sort(latencies.begin(), latencies.end());
  const floor_reads floor2 = dependent_reads(n, false), floor3 = dependent_reads(n, true);
  std::printf(
      "case=miss objects=%zu cache=%llu ops_per_s=%.0f p50_ns=%.0f p99_ns=%.0f p9999_ns=%.0f "
      "stalled=%.3f miss_rate=%.3f writebacks=%llu floor2_p50_ns=%.0f floor3_p50_ns=%.0f "
      "floor3_stalled=%.3f\n",
      n, (unsigned long long)cache, ops / elapsed, latencies[latencies.size() / 2],
      latencies[latencies.size() * 99 / 100], latencies[latencies.size() * 9999 / 10000], stalled,
      misses / static_cast<double>(ops), (unsigned long long)(after.writebacks - before.writebacks),
      floor2.p50_ns, floor3.p50_ns, floor3.stalled);

  // The same reads sixteen at a time, as a pipeline of sixteen GETs sends
  // them: the batch's objects brought in with one Runtime::fetch, then read.
  constexpr std::size_t depth = 16;
  std::vector<double> batch_latencies;
  batch_latencies.reserve(std::size_t{1} << 20);
  std::size_t batch[depth];
  const auto handle = [&](std::size_t i) -> const remora::UniquePtr<payload64>& {
    return objects[i];
  };
  before = rt.stats();
  ops = 0;
  const auto batch_start = clock_type::now();
  elapsed = 0;
  while (elapsed < seconds) {
    for (int k = 0; k < 64; ++k) {
      for (auto& i : batch) i = rng() % n;
      const auto t0 = clock_type::now();
      rt.fetch(batch | std::views::transform(handle));
      for (std::size_t i : batch) wrong += objects[i].read().words[3] != i + 3;
      if (batch_latencies.size() < batch_latencies.capacity())
        batch_latencies.push_back(
            std::chrono::duration<double, std::nano>(clock_type::now() - t0).count());
    }
    ops += 64 * depth;
    elapsed = seconds_since(batch_start);
  }
  if (wrong != 0) {
    std::fprintf(stderr, "remora-bench-deref: %llu wrong batched reads\n",
                 (unsigned long long)wrong);
    std::exit(1);
  }
  after = rt.stats();
  std::sort(batch_latencies.begin(), batch_latencies.end());
  // miss_rate: the reads whose object was absent (brought by the batch, or
  // left to the read).
  std::printf(
      "case=miss-batch%zu ops_per_s=%.0f batch_p50_ns=%.0f batch_p99_ns=%.0f miss_rate=%.3f\n",
      depth, ops / elapsed, batch_latencies[batch_latencies.size() / 2],
      batch_latencies[batch_latencies.size() * 99 / 100],
      static_cast<double>(after.misses - before.misses + after.prefetch_issued -
                          before.prefetch_issued) /
          static_cast<double>(ops));
}

// The floor under a random at() with a DerefScope per element: the least
// the API's contract makes any implementation do, as a plain loop over the
// vector with none of Remora's code. Open the scope (the thread's pin count
// and epoch stored), read the chunk's metadata word from a table and test
// it, log the pin, load the element, close the scope (the epoch stored).
// Random reads overlap their cache misses only as far as the core's window
// reaches, so the work held beside each miss, not its count of
// instructions alone, sets the time: this loop shows what of the vector's
// speed the contract leaves on the machine of the run.
struct bare_thread_state {
  std::atomic<std::uint64_t> epoch{0};
  std::atomic<std::uint32_t> pins{0};
  std::atomic<const void*> log[16] = {};
};
thread_local bare_thread_state bare_thread;
// The floor table's bit for a present chunk (beside its 8-byte aligned address).
constexpr std::uint64_t bare_present = 1;

[[gnu::noinline]] std::uint64_t bare_contract_sum(
    const std::vector<std::atomic<std::uint64_t>>& words, unsigned shift,
    const std::vector<std::uint32_t>& index) {
  const std::size_t mask = (std::size_t{1} << shift) - 1;
  std::uint64_t sum = 0;
  for (std::uint32_t i : index) {
    auto& t = bare_thread;
    const std::uint64_t e = t.epoch.load(std::memory_order_relaxed);
    t.pins.store(0, std::memory_order_relaxed);
    t.epoch.store(e + 1, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    const auto& word = words[i >> shift];
    const std::uint64_t w = word.load(std::memory_order_relaxed);
    if ((w & bare_present) == 0) [[unlikely]]
      std::abort();
    const std::uint32_t n = t.pins.load(std::memory_order_relaxed);
    t.log[n % 16].store(&word, std::memory_order_relaxed);
    t.pins.store(n + 1, std::memory_order_relaxed);
    sum += reinterpret_cast<const std::uint64_t*>(w & ~bare_present)[i & mask];
    t.epoch.store(e + 2, std::memory_order_release);
  }
  return sum;
}

// The sequential sums of doubles, each a function of its own as a user's
// loop would be (inside array_path, GCC kept even the vector's sum on the
// stack).
[[gnu::noinline]] double sum_doubles(const std::vector<double>& v) {
  double sum = 0;
  for (std::size_t i = 0; i < v.size(); ++i) sum += v[i];
  return sum;
}
[[gnu::noinline]] double sum_doubles(const remora::Array<double>& a) {
  double sum = 0;
  for (std::size_t first = 0; first < a.size(); first += 1024) {
    remora::DerefScope scope;
    for (std::size_t i = first; i < first + 1024; ++i) sum += a.at(scope, i);
  }
  return sum;
}

void array_path() {
  constexpr std::size_t n = (64u << 20) / sizeof(std::uint64_t);
  constexpr std::size_t reads = 20'000'000;
  std::vector<std::uint64_t> raw(n);
  for (std::size_t i = 0; i < n; ++i) raw[i] = i * 3;
  remora::Runtime rt(remora::Options{}.dram_cache(256ull << 20).embedded_capacity(256ull << 20));
  remora::Array<std::uint64_t> a = rt.make_array<std::uint64_t>(n);
  for (std::size_t i = 0; i < n;) {
    remora::DerefScope scope;
    auto chunk = a.span_mut(scope, i);
    for (std::size_t k = 0; k < chunk.size(); ++k) chunk[k] = (i + k) * 3;
    i += chunk.size();
  }
  // The same walk summing doubles: a floating-point sum lives in a register
  // only if no call the loop returns from may throw (array_state.hpp).
  std::vector<double> raw_d(n);
  for (std::size_t i = 0; i < n; ++i) raw_d[i] = static_cast<double>(i) * 0.5;
  remora::Array<double> d = rt.make_array<double>(n);
  for (std::size_t i = 0; i < n;) {
    remora::DerefScope scope;
    auto chunk = d.span_mut(scope, i);
    for (std::size_t k = 0; k < chunk.size(); ++k) chunk[k] = raw_d[i + k];
    i += chunk.size();
  }
  std::vector<std::uint32_t> index(reads);
  std::mt19937_64 rng(5);
  for (auto& i : index) i = static_cast<std::uint32_t>(rng() % n);

  // The floor's table: one word per chunk of the array's size, naming that
  // chunk of the vector (present).
  const std::size_t per_chunk = a.chunk_elements();
  const auto shift = static_cast<unsigned>(std::countr_zero(per_chunk));
  std::vector<std::atomic<std::uint64_t>> words((n + per_chunk - 1) / per_chunk);
  for (std::size_t c = 0; c < words.size(); ++c)
    words[c] = reinterpret_cast<std::uint64_t>(raw.data() + c * per_chunk) | bare_present;

  // Five rounds, each timing the seven loops back to back; a round's ratio
  // compares passes that ran moments apart, and the median round is printed,
  // so one disturbed pass (this machine is shared) does not make the figure.
  constexpr int rounds = 5;
  std::vector<double> times[7];
  std::uint64_t sums[5] = {};
  double double_sums[2] = {};
  for (int round = 0; round < rounds; ++round) {
    auto t0 = clock_type::now();
    std::uint64_t sum = 0;
    for (std::uint32_t i : index) sum += raw[i];
    times[0].push_back(seconds_since(t0));
    sums[0] = sum;
    t0 = clock_type::now();
    sum = 0;
    for (std::uint32_t i : index) {
      remora::DerefScope scope;
      sum += a.at(scope, i);
    }
    times[1].push_back(seconds_since(t0));
    sums[1] = sum;
    t0 = clock_type::now();
    sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += raw[i];
    times[2].push_back(seconds_since(t0));
    sums[2] = sum;
    t0 = clock_type::now();
    sum = 0;
    for (std::size_t first = 0; first < n; first += 1024) {
      remora::DerefScope scope;
      for (std::size_t i = first; i < first + 1024; ++i) sum += a.at(scope, i);
    }
    times[3].push_back(seconds_since(t0));
    sums[3] = sum;
    t0 = clock_type::now();
    sums[4] = bare_contract_sum(words, shift, index);
    times[4].push_back(seconds_since(t0));
    t0 = clock_type::now();
    double_sums[0] = sum_doubles(raw_d);
    times[5].push_back(seconds_since(t0));
    t0 = clock_type::now();
    double_sums[1] = sum_doubles(d);
    times[6].push_back(seconds_since(t0));
  }
  if (sums[0] != sums[1] || sums[0] != sums[4] || sums[2] != sums[3] ||
      double_sums[0] != double_sums[1] || rt.stats().evictions != 0) {
    std::fprintf(stderr, "remora-bench-deref: array sums differ or chunks were evicted\n");
    std::exit(1);
  }
  // The round whose ratio (vector / remora) is the median of the rounds'.
  const auto median_round = [&](int vector_loop, int remora_loop) {
    std::vector<int> order(rounds);
    for (int r = 0; r < rounds; ++r) order[r] = r;
    const auto ratio = [&](int r) { return times[vector_loop][r] / times[remora_loop][r]; };
    std::sort(order.begin(), order.end(), [&](int x, int y) { return ratio(x) < ratio(y); });
    return order[rounds / 2];
  };
  const int r = median_round(0, 1), s = median_round(2, 3), f = median_round(5, 6);
  std::printf(
      "case=array-random reads=%zu remora_ns=%.2f vector_ns=%.2f floor_ns=%.2f ratio=%.3f\n", reads,
      times[1][r] * 1e9 / reads, times[0][r] * 1e9 / reads, times[4][r] * 1e9 / reads,
      times[0][r] / times[1][r]);
  std::printf("case=array-seq reads=%zu remora_ns=%.2f vector_ns=%.2f ratio=%.3f\n", n,
              times[3][s] * 1e9 / n, times[2][s] * 1e9 / n, times[2][s] / times[3][s]);
  std::printf("case=array-seq-double reads=%zu remora_ns=%.2f vector_ns=%.2f ratio=%.3f\n", n,
              times[6][f] * 1e9 / n, times[5][f] * 1e9 / n, times[5][f] / times[6][f]);
}

void array_miss_path(std::uint64_t cache, double seconds) {
  remora::Runtime rt(remora::Options{}.dram_cache(cache).embedded_capacity(cache * 16));
  const std::size_t n = cache * 4 / sizeof(std::uint64_t);
  remora::Array<std::uint64_t> a = rt.make_array<std::uint64_t>(n);
  for (std::size_t i = 0; i < n;) {
    remora::DerefScope scope;
    auto chunk = a.span_mut(scope, i);
    for (std::size_t k = 0; k < chunk.size(); ++k) chunk[k] = i + k;
    i += chunk.size();
  }
  std::mt19937_64 rng(11);
  for (std::size_t k = 0; k < 20000; ++k) (void)a.read(rng() % n);  // warm up
  std::vector<double> latencies;
  std::uint64_t ops = 0, wrong = 0;
  const auto before = rt.stats();
  const auto start = clock_type::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int k = 0; k < 64; ++k) {
      const std::size_t i = rng() % n;
      const auto t0 = clock_type::now();
      wrong += a.read(i) != i;
      latencies.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - t0).count());
    }
    ops += 64;
    elapsed = seconds_since(start);
  }
  if (wrong != 0) {
    std::fprintf(stderr, "remora-bench-deref: %llu wrong array reads\n", (unsigned long long)wrong);
    std::exit(1);
  }
  const auto after = rt.stats();
  std::sort(latencies.begin(), latencies.end());
  double total = 0;
  for (double l : latencies) total += l;
  std::printf(
      "case=array-miss elements=%zu cache=%llu ops_per_s=%.0f mean_ns=%.0f p50_ns=%.0f "
      "p99_ns=%.0f miss_rate=%.3f bytes_in_per_read=%.0f\n",
      n, (unsigned long long)cache, ops / elapsed, total / latencies.size(),
      latencies[latencies.size() / 2], latencies[latencies.size() * 99 / 100],
      static_cast<double>(after.misses - before.misses) / static_cast<double>(ops),
      static_cast<double>(after.bytes_in - before.bytes_in) / static_cast<double>(ops));
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t hot_objects = 10'000'000;
  std::uint64_t cache = 16ull << 20;
  double seconds = 3;
  std::string only;
  remora::cli::command_line app{"The deref paths: hot derefs, misses, Array::at(), Array misses.",
                                "remora-bench-deref"};
  app.add("--hot-objects", hot_objects, "objects of the hot case");
  app.bytes("--dram-cache", cache, "local DRAM cache").default_text("16MiB");
  app.add("--seconds", seconds, "how long each timed case runs").positive();
  app.add("--only", only, "one case").one_of({"hot", "miss", "array", "array-miss"});
  if (auto code = app.parse(argc, argv)) return *code;
  return remora::cli::run("remora-bench-deref", [&] {
    if (only.empty() || only == "hot") hot_path(hot_objects);
    if (only.empty() || only == "miss") miss_path(cache, seconds);
    if (only.empty() || only == "array") array_path();
    if (only.empty() || only == "array-miss") array_miss_path(cache, seconds);
    return 0;
  });
}

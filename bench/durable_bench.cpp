// remora-bench-durable: what keeping copies costs and buys. Against the
// memory nodes given, with --replicas=R or --erasure=K,M:
//   write     N objects made through a small cache, so that nearly all of
//             them are written home (to R nodes each, or as K + M pieces):
//             MB/s of payload;
//   read      random reads over them, most missing: reads/s and p50/p99;
//   dying     the same, with --kill-pid (a node) SIGKILLed halfway: p99 and
//             the slowest read while a node dies;
//   degraded  the same after that: every read checked, reads/s, p99, and
//             how many failed over;
//   repair    the copies (or columns) repair made after the kill, and how
//             fast; a node counts as dead a second after it went silent.
// With --hold-s, it stops after the write phase instead: prints how much
// payload went home (case=written) and waits, so that the caller can read
// the nodes' memory use (remora-ctl stats) before it exits.
// One line per phase: "case=PHASE mode=rR|ecK+M key=value ...".
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <remora/remora.hpp>

#include "bench/driver.hpp"

namespace {

using remora::bench::clock_type;
using remora::bench::seconds_since;

struct object4k {
  std::uint64_t id, words[511];
};

// Random reads for `seconds`; every read checked; `midway` (if any) runs
// once halfway through. Returns reads/s, p50, p99 and the slowest read.
struct read_figures {
  double per_s, p50_ns, p99_ns, max_ns;
  std::uint64_t wrong;
};
read_figures read_phase(std::vector<remora::UniquePtr<object4k>>& objects, double seconds,
                        const std::function<void()>& midway = {}) {
  bool halfway = !midway;
  std::mt19937_64 rng(3);
  std::vector<double> latencies;
  std::uint64_t wrong = 0, reads = 0;
  const auto start = clock_type::now();
  while (seconds_since(start) < seconds) {
    if (!halfway && seconds_since(start) >= seconds / 2) {
      midway();
      halfway = true;
    }
    for (int k = 0; k < 64; ++k) {
      const std::size_t i = rng() % objects.size();
      const auto t0 = clock_type::now();
      remora::DerefScope scope;
      const object4k* o = objects[i].deref(scope);
      wrong += o->id != i || o->words[510] != i * 3;
      latencies.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - t0).count());
    }
    reads += 64;
  }
  const double elapsed = seconds_since(start);
  std::sort(latencies.begin(), latencies.end());
  return {reads / elapsed, latencies[latencies.size() / 2], latencies[latencies.size() * 99 / 100],
          latencies.back(), wrong};
}

}  // namespace

int main(int argc, char** argv) {
  remora::Options options;
  std::size_t count = 40'000;  // 160 MiB of payload
  double seconds = 2;
  pid_t kill_pid = 0;
  double hold_s = 0;
  remora::cli::command_line app{
      "Writes N 4 KiB objects through an 8 MiB cache and reads them at random; with "
      "--kill-pid, reads again after SIGKILLing that process (a memory node). With "
      "--hold-s, stops after writing: reports the payload written home and waits S "
      "seconds (for the nodes' memory use to be read).",
      "remora-bench-durable"};
  app.add("--objects", count, "objects written").positive();
  app.add("--seconds", seconds, "how long reads run").positive();
  app.add("--kill-pid", kill_pid, "a memory node's process, SIGKILLed halfway");
  app.add("--hold-s", hold_s, "seconds to wait after writing");
  app.runtime_options(options, /*dram_cache=*/false);
  if (auto code = app.parse(argc, argv)) return *code;
  if (options.memory_nodes().empty())
    return app.usage_error("name the memory nodes (--memory-node)");
  return remora::cli::run("remora-bench-durable", [&] {
    // A node silent for a second is dead: repair starts then.
    options.dram_cache(8 << 20)
        .timeout(std::chrono::seconds(2))
        .dead_after(std::chrono::seconds(1));
    const std::uint32_t k = options.erasure() ? options.erasure()->k : 0;
    const std::uint32_t m = options.erasure() ? options.erasure()->m : 0;
    const std::uint32_t replicas = options.replicas();
    const std::string mode =
        k > 0 ? "ec" + std::to_string(k) + "+" + std::to_string(m) : "r" + std::to_string(replicas);
    remora::Runtime rt(options);
    std::vector<remora::UniquePtr<object4k>> objects;
    objects.reserve(count);
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < count; ++i) {
      object4k o{};
      o.id = i;
      o.words[510] = i * 3;
      objects.push_back(rt.make_unique<object4k>(o));
    }
    const double write_s = seconds_since(start);
    std::printf("case=write mode=%s objects=%zu seconds=%.3f mb_per_s=%.1f writebacks=%llu\n",
                mode.c_str(), count, write_s, count * sizeof(object4k) / write_s / 1e6,
                (unsigned long long)rt.stats().writebacks);
    if (hold_s > 0) {
      // Frees and write-backs settle first; then what went home stays put.
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      std::printf("case=written mode=%s payload_bytes=%llu\n", mode.c_str(),
                  (unsigned long long)(rt.stats().writebacks * sizeof(object4k)));
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::duration<double>(hold_s));
      return 0;
    }
    auto healthy = read_phase(objects, seconds);
    std::printf("case=read mode=%s reads_per_s=%.0f p50_ns=%.0f p99_ns=%.0f wrong=%llu\n",
                mode.c_str(), healthy.per_s, healthy.p50_ns, healthy.p99_ns,
                (unsigned long long)healthy.wrong);
    if (kill_pid != 0) {
      // Reads go on while the node dies, halfway through this phase.
      auto kill_time = clock_type::now();
      auto dying = read_phase(objects, seconds, [&] {
        if (::kill(kill_pid, SIGKILL) != 0)
          remora::bench::fail("cannot kill " + std::to_string(kill_pid));
        kill_time = clock_type::now();
      });
      std::printf(
          "case=dying mode=%s reads_per_s=%.0f p50_ns=%.0f p99_ns=%.0f max_ns=%.0f "
          "wrong=%llu\n",
          mode.c_str(), dying.per_s, dying.p50_ns, dying.p99_ns, dying.max_ns,
          (unsigned long long)dying.wrong);
      if (dying.wrong != 0) return 1;
      const auto before = rt.stats().failovers;
      auto degraded = read_phase(objects, seconds);
      std::printf(
          "case=degraded mode=%s reads_per_s=%.0f p50_ns=%.0f p99_ns=%.0f wrong=%llu "
          "failovers=%llu\n",
          mode.c_str(), degraded.per_s, degraded.p50_ns, degraded.p99_ns,
          (unsigned long long)degraded.wrong, (unsigned long long)(rt.stats().failovers - before));
      if (degraded.wrong != 0) return 1;
      // Repair runs in the background from the kill on: wait until it stops
      // making copies, and report what it copied and how fast.
      const auto repair_start = clock_type::now();
      const double unit = double(sizeof(object4k));  // a copy, or a span's column
      std::uint64_t last = rt.stats().repairs;
      double settled = seconds_since(kill_time);
      for (int quiet = 0; quiet < 3 && seconds_since(repair_start) < 300;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        const std::uint64_t now = rt.stats().repairs;
        if (now == last) {
          ++quiet;
        } else {
          quiet = 0;
          last = now;
          settled = seconds_since(kill_time);
        }
      }
      std::printf("case=repair mode=%s pieces=%llu mb=%.1f seconds=%.2f mb_per_s=%.1f\n",
                  mode.c_str(), (unsigned long long)last, last * unit / 1e6, settled,
                  settled > 0 ? last * unit / 1e6 / settled : 0.0);
    }
    return healthy.wrong == 0 ? 0 : 1;
  });
}

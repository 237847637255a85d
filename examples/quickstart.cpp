// quickstart: the smallest complete Remora program. It makes remoteable
// objects, reads and writes them, and prints what the runtime did. With no
// --memory-node it runs against an embedded memory node in-process.
//
//   build/examples/quickstart                        # embedded node
//   build/examples/quickstart --memory-node=HOST:PORT --dram-cache=16MiB
//
// Exit codes: 0 ok, 1 a runtime error (a node that does not answer, ...),
// 2 a usage error; every Remora error arrives as a remora::Error.
#include <algorithm>
#include <cstdio>
#include <span>
#include <vector>

#include <remora/remora.hpp>

struct point {
  double x, y;
};

int main(int argc, char** argv) try {
  const remora::Options options = remora::Options::from_args(argc, argv);
  if (options.help_requested()) {
    std::printf("usage: quickstart [options]\n%s", remora::Options::help());
    return 0;
  }
  if (options.version_requested()) {
    std::printf("quickstart %s\n", remora::version);
    return 0;
  }
  remora::Runtime rt{options};

  remora::UniquePtr<point> p = rt.make_unique<point>(point{1.0, 2.0});
  {
    remora::DerefScope scope;
    point* w = p.deref_mut(scope);  // local, and marked dirty
    w->x += 10;
  }
  std::printf("p = (%.1f, %.1f)\n", p.read().x, p.read().y);

  // More objects than the local cache holds: the cold ones go to the memory
  // node and come back on the next deref.
  std::vector<remora::UniquePtr<std::uint64_t>> many;
  for (std::uint64_t i = 0; i < 1'500'000; ++i) many.push_back(rt.make_unique<std::uint64_t>(i));
  // Read a thousand at a time: fetch() brings a batch's absent objects in
  // together (one round per memory node) instead of a miss each.
  std::uint64_t sum = 0;
  for (std::size_t first = 0; first < many.size(); first += 1000) {
    const std::span batch(many.data() + first, std::min<std::size_t>(1000, many.size() - first));
    rt.fetch(batch);
    for (auto& v : batch) sum += v.read();
  }
  std::printf("sum of 0..1499999 = %llu\n", static_cast<unsigned long long>(sum));

  remora::Stats s = rt.stats();
  std::printf("hits %llu, misses %llu, evictions %llu, writebacks %llu, cache %llu/%llu bytes\n",
              (unsigned long long)s.hits, (unsigned long long)s.misses,
              (unsigned long long)s.evictions, (unsigned long long)s.writebacks,
              (unsigned long long)s.dram_used, (unsigned long long)s.dram_capacity);
  return sum == 1499999ull * 1500000 / 2 ? 0 : 1;
} catch (const remora::ConfigError& e) {
  std::fprintf(stderr, "quickstart: %s (see --help)\n", e.what());
  return 2;
} catch (const remora::Error& e) {
  std::fprintf(stderr, "quickstart: %s\n", e.what());
  return 1;
}

// The runtime against its embedded memory node: a working set ten times the
// local cache goes out and comes back, every byte right.
#include <catch2/catch.hpp>

#include <sched.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "remora/remora.hpp"

namespace {

struct record64 {
  std::uint64_t words[8];
};

bool same(const record64& a, const record64& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

record64 record_for(std::uint64_t i) {
  record64 r;
  for (std::uint64_t w = 0; w < 8; ++w) r.words[w] = i * 8 + w + 0x5eed;
  return r;
}

}  // namespace

TEST_CASE("a million 64-byte objects, ten times the cache, read back in both orders",
          "[client][runtime]") {
  // 64-byte objects take 64-byte cache slots: 64 MB against a 6 MiB cache.
  remora::Runtime rt(remora::Options{}.dram_cache(6 << 20).embedded_capacity(512ull << 20));
  constexpr std::size_t count = 1'000'000;
  std::vector<remora::UniquePtr<record64>> objects;
  objects.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    objects.push_back(rt.make_unique<record64>(record_for(i)));
  auto written = rt.stats();
  CHECK(written.evictions > 0);
  CHECK(written.writebacks > 0);
  CHECK(written.dram_used <= written.dram_capacity);

  std::size_t wrong = 0;
  for (std::size_t i = 0; i < count; ++i) {
    record64 back = objects[i].read();
    wrong += !same(back, record_for(i));
  }
  CHECK(wrong == 0);
  std::vector<std::size_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(5));
  for (std::size_t i : order) {
    record64 back = objects[i].read();
    wrong += !same(back, record_for(i));
  }
  CHECK(wrong == 0);
  auto s = rt.stats();
  INFO("misses " << s.misses << " hits " << s.hits << " evictions " << s.evictions << " writebacks "
                 << s.writebacks);
  CHECK(s.misses > count);  // most reads in both passes had to fetch
  CHECK(s.bytes_in >= s.misses * sizeof(record64));
  CHECK(s.writebacks >= count - (6u << 20) / sizeof(record64));
  CHECK(s.dram_used <= s.dram_capacity);
}

TEST_CASE("writes after eviction reach home and come back", "[client][runtime]") {
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20));
  std::vector<remora::UniquePtr<record64>> objects;
  for (std::size_t i = 0; i < 200'000; ++i)
    objects.push_back(rt.make_unique<record64>(record_for(i)));
  for (std::size_t i = 0; i < objects.size(); i += 3) {
    remora::DerefScope scope;
    record64* w = objects[i].deref_mut(scope);
    w->words[0] = ~w->words[0];
  }
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    record64 expected = record_for(i);
    if (i % 3 == 0) expected.words[0] = ~expected.words[0];
    remora::DerefScope scope;
    wrong += std::memcmp(objects[i].deref(scope), &expected, sizeof expected) != 0;
  }
  CHECK(wrong == 0);
}

TEST_CASE("a Runtime's hits and misses count from when it was made, not the process's",
          "[client][runtime]") {
  // Hits and misses are counted per thread: a second Runtime on the same
  // thread once reported the first one's too.
  {
    remora::Runtime first(remora::Options{}.dram_cache(4 << 20));
    std::vector<remora::UniquePtr<record64>> objects;
    for (std::size_t i = 0; i < 200'000; ++i)
      objects.push_back(first.make_unique<record64>(record_for(i)));
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < objects.size(); ++i) {
      remora::DerefScope scope;
      wrong += !same(*objects[i].deref(scope), record_for(i));
    }
    for (int k = 0; k < 3; ++k) {  // here now: hits
      remora::DerefScope scope;
      wrong += !same(*objects.back().deref(scope), record_for(objects.size() - 1));
    }
    CHECK(wrong == 0);
    REQUIRE(first.stats().misses > 0);
    REQUIRE(first.stats().hits > 0);
  }
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20));
  CHECK(rt.stats().hits == 0);
  CHECK(rt.stats().misses == 0);
  auto p = rt.make_unique<record64>(record_for(7));
  for (int k = 0; k < 3; ++k) {
    remora::DerefScope scope;
    CHECK(same(*p.deref(scope), record_for(7)));
  }
  CHECK(rt.stats().hits == 3);
  CHECK(rt.stats().misses == 0);
}

TEST_CASE("two Runtimes at once on one thread keep their objects apart", "[client][runtime]") {
  // Each its own embedded node and cache; one thread reads and writes both
  // in turn, arrays larger than either cache and pointers, some in one scope.
  remora::Runtime a(remora::Options{}.dram_cache(4 << 20).embedded_capacity(256ull << 20));
  remora::Runtime b(remora::Options{}.dram_cache(4 << 20).embedded_capacity(256ull << 20));
  constexpr std::size_t n = 2'000'000;  // 16 MB each, four times each cache
  auto xa = a.make_array<std::uint64_t>(n);
  auto xb = b.make_array<std::uint64_t>(n);
  for (std::size_t i = 0; i < n; ++i) {
    xa.write(i, i * 3 + 1);
    xb.write(i, i * 5 + 2);
  }
  auto pa = a.make_unique<record64>(record_for(1));
  auto pb = b.make_unique<record64>(record_for(2));
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < n; ++i) {
    wrong += xa.read(i) != i * 3 + 1;
    wrong += xb.read(n - 1 - i) != (n - 1 - i) * 5 + 2;
  }
  std::mt19937_64 rng(3);
  for (int k = 0; k < 20'000; ++k) {
    const std::size_t i = rng() % n;
    remora::DerefScope scope;
    wrong += xa.at(scope, i) != i * 3 + 1;
    wrong += xb.at(scope, i) != i * 5 + 2;
    wrong += !same(*pa.deref(scope), record_for(1));
    wrong += !same(*pb.deref(scope), record_for(2));
  }
  CHECK(wrong == 0);
  CHECK(a.stats().evictions > 0);
  CHECK(b.stats().evictions > 0);
}

TEST_CASE("options: from_args, and clear errors for what cannot work", "[client][options]") {
  const char* argv[] = {"prog",
                        "--dram-cache=16MiB",
                        "--memory-node=10.0.0.2:4242",
                        "--memory-node=10.0.0.3:4242",
                        "--auth-token=t",
                        "--timeout-ms=1500",
                        "--prefetch-on-reader"};
  // Unset, it follows the cores this process may use: the reader below 3.
  cpu_set_t cores;
  REQUIRE(::sched_getaffinity(0, sizeof cores, &cores) == 0);
  CHECK(remora::Options{}.prefetch_on_reader() == (CPU_COUNT(&cores) < 3));
  CHECK_FALSE(remora::Options{}.prefetch_on_reader(false).prefetch_on_reader());
  const char* threads_argv[] = {"prog", "--prefetch-on-threads"};
  CHECK_FALSE(remora::Options::from_args(2, const_cast<char**>(threads_argv)).prefetch_on_reader());
  const char* check_argv[] = {"prog", "--check-access"};
  CHECK(remora::Options::from_args(2, const_cast<char**>(check_argv)).check_access());
  CHECK_FALSE(remora::Options{}.check_access(false).check_access());
  auto o = remora::Options::from_args(7, const_cast<char**>(argv));
  CHECK(o.prefetch_on_reader());
  CHECK(o.dram_cache() == 16u << 20);
  CHECK(o.memory_nodes() == std::vector<std::string>{"10.0.0.2:4242", "10.0.0.3:4242"});
  CHECK(o.auth_token() == "t");
  CHECK(o.timeout() == std::chrono::milliseconds(1500));
  CHECK_FALSE(o.help_requested());
  const char* bad[] = {"prog", "--dram-cache=lots"};
  CHECK_THROWS_AS(remora::Options::from_args(2, const_cast<char**>(bad)), remora::ConfigError);
  // A typo is an error naming it, not an option quietly left at its default.
  const char* typo[] = {"prog", "--dram-cahce=1GiB"};
  CHECK_THROWS_WITH(remora::Options::from_args(2, const_cast<char**>(typo)),
                    Catch::Contains("--dram-cahce=1GiB"));
  const char* partial_tls[] = {"prog", "--tls-ca-file=ca.pem"};
  CHECK_THROWS_AS(remora::Options::from_args(2, const_cast<char**>(partial_tls)),
                  remora::ConfigError);
  // --help and --version are the program's to answer: the library never exits.
  const char* help[] = {"prog", "--help", "--dram-cache=8GB"};
  const auto asked = remora::Options::from_args(3, const_cast<char**>(help));
  CHECK(asked.help_requested());
  CHECK(asked.dram_cache() == 8'000'000'000u);
  CHECK(std::string(remora::Options::help()).find("--memory-node HOST:PORT") != std::string::npos);
  const char* version[] = {"prog", "--version"};
  CHECK(remora::Options::from_args(2, const_cast<char**>(version)).version_requested());
  CHECK_THROWS_AS(remora::Runtime(remora::Options{}.dram_cache(1024)), remora::ConfigError);
  CHECK_THROWS_AS(remora::Runtime(remora::Options{}.hbm_cache(0, 1024)), remora::ConfigError);
  CHECK_THROWS_AS(remora::Runtime(remora::Options{}.cxl_cache(0, 1024)), remora::ConfigError);
  CHECK_THROWS_AS(remora::Runtime(remora::Options{}.memory_node("nonsense")), remora::ConfigError);
  auto start = std::chrono::steady_clock::now();
  try {
    remora::Runtime rt(
        remora::Options{}.memory_node("127.0.0.1:1").timeout(std::chrono::seconds(2)));
    FAIL("a runtime without its memory node started");
  } catch (const remora::NodeUnavailable& e) {
    CHECK(std::string(e.what()).find("127.0.0.1:1") != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
}

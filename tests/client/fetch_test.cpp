// Runtime::fetch: the objects of a batch of handles brought in with one
// read per memory node ahead of their reads, against the embedded node and
// against real memory nodes, one of them killed; what it cannot bring is
// left to the reads, which say why.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <ranges>
#include <vector>

#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/child_process.hpp"

using namespace std::chrono_literals;
using remora::testing::wide;

namespace {

// `count` distinct indices below `n`, in random order.
std::vector<std::size_t> pick(std::size_t n, std::size_t count, std::uint64_t seed) {
  std::vector<std::size_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  std::mt19937_64 rng(seed);
  std::ranges::shuffle(all, rng);
  all.resize(count);
  return all;
}

// What a 4 MiB cache cannot hold: 25 MiB of objects, most of them at home.
template <class Handle, class Make>
std::vector<Handle> many(Make make) {
  std::vector<Handle> objects;
  for (std::uint64_t i = 0; i < 100'000; ++i) objects.push_back(make(wide{i, ~i, {}}));
  return objects;
}

}  // namespace

TEST_CASE("fetch brings a batch of evicted objects in, and the reads after it hit",
          "[client][fetch]") {
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20));
  auto objects = many<remora::UniquePtr<wide>>([&](wide w) { return rt.make_unique<wide>(w); });
  const auto picked = pick(objects.size(), 64, 7);
  const auto before = rt.stats();
  rt.fetch(picked | std::views::transform([&](std::size_t i) -> auto& { return objects[i]; }));
  const auto fetched = rt.stats();
  const auto issued = fetched.prefetch_issued - before.prefetch_issued;
  INFO("fetched " << issued << " of 64");
  CHECK(issued >= 32);  // a 4 MiB cache holds a sixth of the objects
  CHECK(issued <= 64);
  CHECK(fetched.misses == before.misses);
  CHECK(fetched.bytes_in - before.bytes_in == issued * sizeof(wide));
  std::size_t wrong = 0;
  for (std::size_t i : picked) {
    const wide v = objects[i].read();
    wrong += v.a != i || v.b != ~i;
  }
  CHECK(wrong == 0);
  // Every object the fetch brought was there for its read. (One that was
  // resident already may have been evicted since: the evacuator runs.)
  const auto after = rt.stats();
  CHECK(after.prefetch_hits - fetched.prefetch_hits == issued);
  CHECK(after.misses - fetched.misses <= 64 - issued);
}

TEST_CASE("fetch takes SharedPtrs in any range, skips empty handles, refuses another Runtime's",
          "[client][fetch]") {
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20));
  auto shared = many<remora::SharedPtr<wide>>([&](wide w) { return rt.make_shared<wide>(w); });
  // The oldest objects, evicted first; and an empty handle among them.
  std::vector<remora::SharedPtr<wide>> some(shared.begin(), shared.begin() + 100);
  some.emplace_back();
  const auto before = rt.stats();
  rt.fetch(some);
  const auto fetched = rt.stats();
  const auto issued = fetched.prefetch_issued - before.prefetch_issued;
  CHECK(issued >= 50);
  std::size_t wrong = 0;
  for (std::uint64_t i = 0; i < 100; ++i) wrong += some[i].read().a != i;
  CHECK(wrong == 0);
  CHECK(rt.stats().prefetch_hits - fetched.prefetch_hits == issued);
  CHECK(rt.stats().misses - fetched.misses <= 100 - issued);

  remora::Runtime other;
  std::vector<remora::UniquePtr<wide>> mixed;
  mixed.push_back(rt.make_unique<wide>(wide{1, 1, {}}));
  mixed.push_back(other.make_unique<wide>(wide{2, 2, {}}));
  try {
    rt.fetch(mixed);
    FAIL("a handle of another Runtime was fetched");
  } catch (const remora::InvalidObject& e) {
    CHECK_THAT(e.what(), Catch::Contains("another Runtime"));
  }
  rt.fetch(std::vector<remora::UniquePtr<wide>>{});  // nothing to do
  CHECK(rt.stats().prefetch_issued == fetched.prefetch_issued);
}

TEST_CASE("fetch of more objects than the cache holds returns, and every object reads back",
          "[client][fetch]") {
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20));
  auto objects = many<remora::UniquePtr<wide>>([&](wide w) { return rt.make_unique<wide>(w); });
  const auto before = rt.stats();
  const auto start = std::chrono::steady_clock::now();
  rt.fetch(objects);  // 25 MiB through a 4 MiB cache
  CHECK(std::chrono::steady_clock::now() - start < 60s);
  CHECK(rt.stats().prefetch_issued - before.prefetch_issued >= objects.size() / 2);
  std::size_t wrong = 0;
  for (std::uint64_t i = 0; i < objects.size(); ++i) {
    const wide v = objects[i].read();
    wrong += v.a != i || v.b != ~i;
  }
  CHECK(wrong == 0);
}

TEST_CASE("fetch of objects on a killed node returns in bounded time, and their reads say why",
          "[client][fetch][failure]") {
  remora::Options options;
  options.dram_cache(4 << 20).timeout(3s).dead_after(1s);
  auto nodes = remora::testing::start_nodes(2, options);
  remora::Runtime rt(options);
  auto objects = many<remora::UniquePtr<wide>>([&](wide w) { return rt.make_unique<wide>(w); });
  nodes[0]->signal(SIGKILL);
  REQUIRE(nodes[0]->wait_exit(5s).has_value());
  const auto picked = pick(objects.size(), 256, 11);
  const auto before = rt.stats();
  const auto start = std::chrono::steady_clock::now();
  rt.fetch(picked | std::views::transform([&](std::size_t i) -> auto& { return objects[i]; }));
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  // The survivor's share came in all the same.
  CHECK(rt.stats().prefetch_issued - before.prefetch_issued >= 32);
  std::size_t fine = 0, lost = 0, wrong = 0;
  for (std::size_t i : picked) {
    try {
      wrong += objects[i].read().a != i;
      ++fine;
    } catch (const remora::ObjectLost&) {
      ++lost;
    } catch (const remora::NodeUnavailable&) {
      ++lost;
    }
  }
  INFO("fine " << fine << ", lost " << lost);
  CHECK(fine >= 64);  // about half lived on the survivor
  CHECK(lost >= 64);
  CHECK(fine + lost == picked.size());
  CHECK(wrong == 0);
  CHECK(std::chrono::steady_clock::now() - start < 60s);
}

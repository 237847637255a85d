// UniquePtr and SharedPtr semantics, against the embedded node and against
// two real remora-memnode processes; a node killed mid-run.
#include <catch2/catch.hpp>

#include <signal.h>

#include <cstring>
#include <thread>

#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/forced_transports.hpp"

using namespace std::chrono_literals;
using remora::testing::start_node;
using remora::testing::wide;

namespace {

struct pair64 {
  std::uint64_t a, b;
};

void exercise_pointers(remora::Runtime& rt) {
  auto u = rt.make_unique<pair64>(pair64{1, 2});
  REQUIRE(static_cast<bool>(u));
  CHECK(u.read().b == 2);
  u.write({3, 4});
  CHECK(u.read().a == 3);
  auto moved = std::move(u);
  CHECK_FALSE(static_cast<bool>(u));
  CHECK_THROWS_AS(u.read(), remora::InvalidObject);
  CHECK(moved.read().b == 4);
  moved.reset();
  CHECK_THROWS_AS(moved.read(), remora::InvalidObject);
  {
    remora::DerefScope scope;
    CHECK_THROWS_AS(moved.deref(scope), remora::InvalidObject);
  }

  auto s = rt.make_shared<pair64>(pair64{7, 8});
  auto copy = s;
  CHECK(s.use_count() == 2);
  copy.write({9, 10});
  CHECK(s.read().a == 9);  // one object, two handles
  s.reset();
  CHECK(copy.use_count() == 1);
  CHECK(copy.read().b == 10);  // still alive through the copy
  copy.reset();
  CHECK_THROWS_AS(copy.read(), remora::InvalidObject);
}

}  // namespace

TEST_CASE("pointers on the embedded node", "[client][pointers]") {
  remora::Runtime rt;
  exercise_pointers(rt);
}

TEST_CASE("pointers across two real memory nodes, with eviction", "[client][pointers]") {
  remora::testing::child_process a({REMORA_MEMNODE, "--port=0", "--capacity=64MiB"});
  remora::testing::child_process b({REMORA_MEMNODE, "--port=0", "--capacity=64MiB"});
  remora::Runtime rt(
      remora::Options{}.dram_cache(4 << 20).memory_node(start_node(a)).memory_node(start_node(b)));
  exercise_pointers(rt);
  std::vector<remora::SharedPtr<wide>> many;
  for (std::uint64_t i = 0; i < 100'000; ++i) many.push_back(rt.make_shared<wide>(wide{i, ~i, {}}));
  std::size_t wrong = 0;
  for (std::uint64_t i = 0; i < many.size(); ++i) {
    auto v = many[i].read();
    wrong += v.a != i || v.b != ~i;
  }
  CHECK(wrong == 0);
  CHECK(rt.stats().writebacks > 0);
}

TEST_CASE("over UCX tcp, new objects go home with their allocation and all read back",
          "[client][pointers]") {
  // Over tcp a node takes new objects' bytes in their allocation
  // (node_far_store::place), a message for up to 1 MiB of them.
  remora::testing::forced_transports tcp("tcp");
  remora::testing::child_process node({REMORA_MEMNODE, "--port=0", "--capacity=128MiB"});
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20).memory_node(start_node(node)));
  struct block {
    std::uint64_t words[8192];  // 64 KiB
  };
  auto block_of = [](std::uint64_t i) {
    block b;
    for (std::uint64_t w = 0; w < 8192; ++w) b.words[w] = i * 8192 + w;
    return b;
  };
  std::vector<remora::UniquePtr<wide>> small;
  std::vector<remora::UniquePtr<block>> large;
  for (std::uint64_t i = 0; i < 40'000; ++i) {
    small.push_back(rt.make_unique<wide>(wide{i, ~i, {}}));
    if (i % 400 == 0) large.push_back(rt.make_unique<block>(block_of(i / 400)));
  }
  CHECK(rt.stats().writebacks > 0);
  std::size_t wrong = 0;
  for (std::uint64_t i = 0; i < small.size(); ++i) {
    auto v = small[i].read();
    wrong += v.a != i || v.b != ~i;
  }
  for (std::uint64_t i = 0; i < large.size(); ++i) {
    const block expected = block_of(i);
    wrong += std::memcmp(large[i].read().words, expected.words, sizeof expected.words) != 0;
  }
  CHECK(wrong == 0);
}

TEST_CASE(
    "a memory node killed mid-run: its objects throw ObjectLost once it is dead, the "
    "other's work",
    "[client][pointers][failure]") {
  // Room for all the objects below on the survivor alone: reading back
  // spilled objects from disk is not what this test is about.
  remora::testing::child_process a({REMORA_MEMNODE, "--port=0", "--capacity=128MiB"});
  remora::testing::child_process b({REMORA_MEMNODE, "--port=0", "--capacity=128MiB"});
  const std::string address_a = start_node(a);
  remora::Runtime rt(remora::Options{}
                         .dram_cache(4 << 20)
                         .memory_node(address_a)
                         .memory_node(start_node(b))
                         .timeout(3s)
                         .dead_after(1s));
  std::vector<remora::UniquePtr<wide>> objects;
  for (std::uint64_t i = 0; i < 200'000; ++i)
    objects.push_back(rt.make_unique<wide>(wide{i, i, {}}));
  a.signal(SIGKILL);
  REQUIRE(a.wait_exit(5s).has_value());
  std::this_thread::sleep_for(300ms);
  // Unreachable, not yet dead: its objects are waited for (within the
  // timeout), then lost once it counts as dead (dead_after).
  std::size_t unavailable = 0, fine = 0, wrong = 0;
  auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < objects.size(); ++i) {
    try {
      auto v = objects[i].read();
      ++fine;
      wrong += v.a != i;
    } catch (const remora::ObjectLost& e) {
      ++unavailable;
      if (unavailable == 1) CHECK(std::string(e.what()).find(address_a) != std::string::npos);
    }
  }
  INFO("fine " << fine << ", unavailable " << unavailable);
  CHECK(unavailable > 50'000);  // about half the objects lived on the dead node
  CHECK(fine > 50'000);
  CHECK(wrong == 0);
  CHECK(std::chrono::steady_clock::now() - start < 60s);
  // What the cache held when the node died, and everything made since, is
  // written to the survivor when evicted, never dropped: all of it reads
  // back, through a cache that turns over many times.
  std::vector<remora::UniquePtr<wide>> more;
  for (std::uint64_t i = 0; i < 100'000; ++i) more.push_back(rt.make_unique<wide>(wide{i, 5, {}}));
  std::size_t lost = 0;
  for (std::uint64_t i = 0; i < more.size(); ++i) {
    try {
      wrong += more[i].read().a != i;
    } catch (const remora::NodeUnavailable&) {
      ++lost;
    }
  }
  CHECK(lost == 0);
  CHECK(wrong == 0);
}

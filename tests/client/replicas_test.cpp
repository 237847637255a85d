// Options::replicas(2) and Options::erasure(2, 1) against real
// remora-memnode processes: one is SIGKILLed while objects are dirty in the
// cache and on the nodes, and every object still reads back byte for byte;
// new objects go on; after repair a second death loses nothing either; and
// what is freed leaves the nodes.
#include <catch2/catch.hpp>

#include <signal.h>

#include <thread>

#include "actors/control_plane.hpp"
#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"

using namespace std::chrono_literals;
using remora::testing::start_node;
using remora::testing::wide;

TEST_CASE("replicas(2): a node SIGKILLed mid-run loses no object", "[client][replicas][failure]") {
  remora::testing::child_process a({REMORA_MEMNODE, "--port=0", "--capacity=128MiB"});
  remora::testing::child_process b({REMORA_MEMNODE, "--port=0", "--capacity=128MiB"});
  remora::testing::child_process c({REMORA_MEMNODE, "--port=0", "--capacity=128MiB"});
  remora::Runtime rt(remora::Options{}
                         .dram_cache(4 << 20)
                         .memory_node(start_node(a))
                         .memory_node(start_node(b))
                         .memory_node(start_node(c))
                         .replicas(2)
                         .timeout(2s));
  // 100,000 objects of 256 bytes: six caches' worth, most written home.
  std::vector<remora::UniquePtr<wide>> objects;
  for (std::uint64_t i = 0; i < 100'000; ++i)
    objects.push_back(rt.make_unique<wide>(wide{i, i, {}}));
  // A second round of writes to every fourth: some are dirty in the cache
  // when the node dies, others were written to both replicas again.
  for (std::uint64_t i = 0; i < objects.size(); i += 4) objects[i].write(wide{i, i + 1, {}});
  a.signal(SIGKILL);
  REQUIRE(a.wait_exit(5s).has_value());
  std::size_t wrong = 0;
  for (std::uint64_t i = 0; i < objects.size(); ++i) {
    const wide v = objects[i].read();  // throws (and fails the test) if a copy was lost
    wrong += v.a != i || v.b != (i % 4 == 0 ? i + 1 : i);
  }
  CHECK(wrong == 0);
  CHECK(rt.stats().failovers > 0);
  // New objects are placed on the survivors and read back too.
  std::vector<remora::UniquePtr<wide>> more;
  for (std::uint64_t i = 0; i < 50'000; ++i) more.push_back(rt.make_unique<wide>(wide{i, 7, {}}));
  for (std::uint64_t i = 0; i < more.size(); ++i) wrong += more[i].read().a != i;
  for (std::uint64_t i = 0; i < objects.size(); i += 97) wrong += objects[i].read().a != i;
  CHECK(wrong == 0);
}

TEST_CASE("replicas(r) needs r memory nodes", "[client][replicas]") {
  CHECK_THROWS_AS(remora::Runtime(remora::Options{}.replicas(2)), remora::ConfigError);
  CHECK_THROWS_AS(remora::Options{}.replicas(0), remora::ConfigError);
  CHECK_THROWS_AS(remora::Options{}.replicas(5), remora::ConfigError);
}

TEST_CASE("replicas(2): after repair, a second node SIGKILLed loses nothing either",
          "[client][replicas][failure]") {
  remora::Options options;
  options.dram_cache(4 << 20).replicas(2).timeout(2s).dead_after(1s);
  auto nodes = remora::testing::start_nodes(4, options);
  remora::Runtime rt(options);
  std::vector<remora::UniquePtr<wide>> objects;
  for (std::uint64_t i = 0; i < 40'000; ++i)
    objects.push_back(rt.make_unique<wide>(wide{i, i, {}}));
  nodes[0]->signal(SIGKILL);
  REQUIRE(nodes[0]->wait_exit(5s).has_value());
  // Repair runs in the background: wait for it to settle.
  remora::testing::wait_for_repair(rt);
  CHECK(rt.stats().repairs > 0);
  nodes[1]->signal(SIGKILL);
  REQUIRE(nodes[1]->wait_exit(5s).has_value());
  std::size_t wrong = 0;
  for (std::uint64_t i = 0; i < objects.size(); ++i) wrong += objects[i].read().a != i;
  CHECK(wrong == 0);
}

TEST_CASE(
    "erasure(2, 1): a node SIGKILLed mid-run loses no object, after repair, a second "
    "one neither",
    "[client][erasure][failure]") {
  remora::Options options;
  options.dram_cache(4 << 20).erasure(2, 1).timeout(2s).dead_after(1s);
  auto nodes = remora::testing::start_nodes(4, options);
  remora::Runtime rt(options);
  std::vector<remora::UniquePtr<wide>> objects;
  for (std::uint64_t i = 0; i < 60'000; ++i)
    objects.push_back(rt.make_unique<wide>(wide{i, i, {}}));
  for (std::uint64_t i = 0; i < objects.size(); i += 4) objects[i].write(wide{i, i + 1, {}});
  nodes[0]->signal(SIGKILL);
  REQUIRE(nodes[0]->wait_exit(5s).has_value());
  std::size_t wrong = 0;
  for (std::uint64_t i = 0; i < objects.size(); ++i) {
    const wide v = objects[i].read();  // throws (and fails the test) if too few pieces are left
    wrong += v.a != i || v.b != (i % 4 == 0 ? i + 1 : i);
  }
  CHECK(wrong == 0);
  CHECK(rt.stats().failovers > 0);  // reads that decoded
  // Repair rebuilds the dead node's pieces on the fourth.
  remora::testing::wait_for_repair(rt);
  CHECK(rt.stats().repairs > 0);
  nodes[1]->signal(SIGKILL);
  REQUIRE(nodes[1]->wait_exit(5s).has_value());
  for (std::uint64_t i = 0; i < objects.size(); ++i)
    wrong += objects[i].read().b != (i % 4 == 0 ? i + 1 : i);
  CHECK(wrong == 0);
  CHECK(rt.stats().objects_lost == 0);
}

TEST_CASE("erasure(2, 1): freed objects leave the nodes, in a request a node, not one a column",
          "[client][erasure]") {
  remora::Options options;
  options.dram_cache(4 << 20).erasure(2, 1);
  auto nodes = remora::testing::start_nodes(3, options);
  remora::actors::control_plane cp;
  auto total = [&](std::uint64_t remora::actors::node_stats::*field) {
    std::uint64_t sum = 0;
    for (const auto& where : options.memory_nodes())
      sum += remora::testing::stats_of(cp, where).*field;
    return sum;
  };
  std::uint64_t held = 0, requests_before = 0;
  {
    remora::Runtime rt(options);
    remora::testing::wide_objects objects;
    remora::testing::add_wide(rt, objects, 40'000);      // 10 MiB: most are written home
    held = total(&remora::actors::node_stats::objects);  // columns: data and parity
    REQUIRE(held > 20'000);
    requests_before = total(&remora::actors::node_stats::requests);
    objects.clear();
  }  // the Runtime's end sends what was still queued
  CHECK(remora::testing::eventually(
      [&] { return total(&remora::actors::node_stats::objects) == 0; }, 30s));
  // Frees go a batch a node: a request a column would be `held` of them.
  const std::uint64_t requests = total(&remora::actors::node_stats::requests) - requests_before;
  INFO("columns held " << held << ", requests while freeing " << requests);
  CHECK(requests < held / 10);
}

TEST_CASE("erasure(k, m) needs k + m memory nodes, and is not combined with replicas",
          "[client][erasure]") {
  CHECK_THROWS_AS(remora::Runtime(remora::Options{}.erasure(2, 1)), remora::ConfigError);
  CHECK_THROWS_AS(remora::Options{}.erasure(0, 1), remora::ConfigError);
  CHECK_THROWS_AS(remora::Options{}.erasure(6, 3), remora::ConfigError);
  CHECK_THROWS_AS(remora::Runtime(remora::Options{}
                                      .memory_node("127.0.0.1:1")
                                      .memory_node("127.0.0.1:2")
                                      .memory_node("127.0.0.1:3")
                                      .replicas(2)
                                      .erasure(2, 1)),
                  remora::ConfigError);
  char name[] = "prog", arg[] = "--erasure=4,2", bad[] = "--erasure=4";
  char* good_argv[] = {name, arg};
  CHECK(remora::Options::from_args(2, good_argv).erasure()->m == 2);
  char* bad_argv[] = {name, bad};
  CHECK_THROWS_AS(remora::Options::from_args(2, bad_argv), remora::ConfigError);
}

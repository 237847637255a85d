// Draining a memory node (remora-ctl drain) against real remora-memnode
// processes: the node takes no new objects, its clients move theirs to the
// other nodes while the application keeps reading and writing, and once it
// is empty it leaves the pool and stops. Nothing is lost.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "actors/control_plane.hpp"
#include "actors/node_client.hpp"
#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"

using namespace std::chrono_literals;
using remora::testing::child_process;
using remora::testing::wide;

namespace {

// How many objects the node at `address` holds.
std::uint64_t objects_on(const std::string& address) {
  remora::actors::control_plane cp;
  return remora::testing::stats_of(cp, address).objects;
}

// Drains the node at `address` with remora-ctl while a reader checks every
// object and new ones are made; then checks them all again.
void drain_while_in_use(remora::Runtime& rt, std::vector<remora::UniquePtr<wide>>& objects,
                        const std::string& address, child_process& node) {
  REQUIRE(objects_on(address) > 0);
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> wrong{0}, checked{0};
  // Handles are one thread's at a time: the reader owns `objects` until done.
  std::thread reader([&] {
    while (!done.load())
      for (std::uint64_t i = 0; i < objects.size() && !done.load(); i += 7) {
        wrong += objects[i].read().a != i;
        ++checked;
      }
  });
  // A generous timeout for each of remora-ctl's requests: under ctest -j2 a
  // node serving this test's traffic beside another test's once took more
  // than the default 5 s to answer its hello.
  child_process ctl({REMORA_CTL, "drain", address, "--wait-s=120", "--timeout-ms=30000"});
  const auto left = ctl.wait_for_line("has left the pool", 150s);
  const auto ctl_exit = ctl.wait_exit(10s);
  done = true;
  reader.join();
  REQUIRE(left.has_value());
  CHECK(ctl_exit == 0);
  CHECK(node.wait_exit(10s) == 0);  // it stopped by itself
  CHECK(checked.load() > 0);
  CHECK(wrong.load() == 0);
  // Everything reads back, and new objects go to the nodes that stayed.
  CHECK(remora::testing::wrong_reads(objects) == 0);
  remora::testing::add_wide(rt, objects, 20'000);
  CHECK(remora::testing::wrong_reads(objects) == 0);
  CHECK(rt.stats().objects_lost == 0);
}

}  // namespace

TEST_CASE("drain: a node's objects move to the others while in use, then it leaves",
          "[client][drain]") {
  remora::Options options;
  options.dram_cache(4 << 20).timeout(5s);
  auto nodes = remora::testing::start_nodes(3, options);
  remora::Runtime rt(options);
  remora::testing::wide_objects objects;
  remora::testing::add_wide(rt, objects, 40'000);
  drain_while_in_use(rt, objects, options.memory_nodes()[0], *nodes[0]);
  CHECK(rt.stats().rebalanced > 0);
}

TEST_CASE("drain: with replicas(2), copies on the node are made elsewhere first",
          "[client][drain][replicas]") {
  remora::Options options;
  options.dram_cache(4 << 20).timeout(5s).replicas(2);
  auto nodes = remora::testing::start_nodes(3, options);
  remora::Runtime rt(options);
  remora::testing::wide_objects objects;
  remora::testing::add_wide(rt, objects, 30'000);
  drain_while_in_use(rt, objects, options.memory_nodes()[1], *nodes[1]);
  CHECK(rt.stats().repairs > 0);
}

TEST_CASE("drain: erasure(2, 1) rebuilds the node's pieces elsewhere", "[client][drain][erasure]") {
  remora::Options options;
  options.dram_cache(4 << 20).timeout(5s).erasure(2, 1);
  auto nodes = remora::testing::start_nodes(4, options);
  remora::Runtime rt(options);
  remora::testing::wide_objects objects;
  remora::testing::add_wide(rt, objects, 30'000);
  drain_while_in_use(rt, objects, options.memory_nodes()[2], *nodes[2]);
}

TEST_CASE("drain: refused without the node's token, and a node that cannot empty stays",
          "[client][drain]") {
  remora::Options options;
  options.dram_cache(4 << 20).timeout(5s).auth_token("sesame");
  auto nodes = remora::testing::start_nodes(1, options, {"--auth-token=sesame"});
  const std::string address = options.memory_nodes()[0];
  {
    // (Its errors go to stderr.)
    child_process ctl({"/bin/sh", "-c", std::string(REMORA_CTL) + " drain " + address + " 2>&1"});
    CHECK(ctl.wait_for_line("auth token", 20s).has_value());
    CHECK(ctl.wait_exit(10s) == 1);
  }
  remora::Runtime rt(options);
  remora::testing::wide_objects objects;
  remora::testing::add_wide(rt, objects, 30'000);
  // The only node: its objects have nowhere to go. The drain gives up, the
  // node stays (and takes new objects again), and nothing is lost.
  child_process ctl(
      {"/bin/sh", "-c",
       std::string(REMORA_CTL) + " drain " + address + " --wait-s=3 --auth-token=sesame 2>&1"});
  CHECK(ctl.wait_for_line("stays in the pool", 30s).has_value());
  CHECK(ctl.wait_exit(10s) == 1);
  CHECK(!nodes[0]->wait_exit(1s).has_value());
  remora::testing::add_wide(rt, objects, 10'000);
  CHECK(remora::testing::wrong_reads(objects) == 0);
}

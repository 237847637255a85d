// Failures that are not deaths, against real remora-memnode processes: a
// node that hangs (SIGSTOP) and comes back (SIGCONT), a control connection
// cut under a running client (through a TCP proxy) without killing either
// end, and bytes damaged on a node. Reads fail over or wait within the
// timeout; nothing is lost; nothing is taken for dead.
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <thread>

#include "actors/control_plane.hpp"
#include "actors/node_client.hpp"
#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/tcp_proxy.hpp"

using namespace std::chrono_literals;
using remora::testing::start_node;
using remora::testing::wide;

namespace {

using clock_type = std::chrono::steady_clock;

// Reads every object, retrying one that is unavailable for now until
// `limit` has passed; how many did not read back as expected.
std::size_t wrong_after_retries(std::vector<remora::UniquePtr<wide>>& objects,
                                std::uint64_t (*expected_b)(std::uint64_t),
                                std::chrono::seconds limit) {
  const auto until = clock_type::now() + limit;
  std::size_t wrong = 0;
  for (std::uint64_t i = 0; i < objects.size(); ++i) {
    for (;;) {
      try {
        const wide v = objects[i].read();
        wrong += v.a != i || v.b != expected_b(i);
        break;
      } catch (const remora::NodeUnavailable&) {
        if (clock_type::now() >= until) throw;
        std::this_thread::sleep_for(10ms);
      }
    }
  }
  return wrong;
}

}  // namespace

TEST_CASE(
    "replicas(2): a SIGSTOPped node is failed over within the timeout, and rejoins "
    "after SIGCONT",
    "[client][replicas][failure]") {
  remora::Options options;
  // dead_after well past the stop: a hung node is not a dead one.
  options.dram_cache(4 << 20).replicas(2).timeout(2s).dead_after(120s);
  auto nodes = remora::testing::start_nodes(3, options);
  remora::Runtime rt(options);
  std::vector<remora::UniquePtr<wide>> objects;
  for (std::uint64_t i = 0; i < 40'000; ++i)
    objects.push_back(rt.make_unique<wide>(wide{i, i, {}}));

  nodes[0]->signal(SIGSTOP);
  REQUIRE(nodes[0]->wait_stopped(10s));
  auto slowest = clock_type::duration::zero();
  std::size_t wrong = 0;
  for (std::uint64_t i = 0; i < objects.size(); ++i) {
    const auto start = clock_type::now();
    const wide v = objects[i].read();  // throws (and fails the test) if not failed over
    slowest = std::max(slowest, clock_type::now() - start);
    wrong += v.a != i || v.b != i;
  }
  CHECK(wrong == 0);
  // Within the timeout (2 s) and a margin for a loaded machine.
  CHECK(slowest < 4s);
  CHECK(rt.stats().failovers > 0);
  // Writes go on while it hangs: its copies of these become stale.
  for (std::uint64_t i = 0; i < objects.size(); i += 4) objects[i].write(wide{i, i + 1, {}});
  auto b_of = [](std::uint64_t i) { return i % 4 == 0 ? i + 1 : i; };
  CHECK(wrong_after_retries(objects, b_of, 30s) == 0);
  // Repair gives those a second current copy on the third node (until it
  // has, a second failure would leave them unreadable for a while).
  remora::testing::wait_for_repair(rt);
  CHECK(rt.stats().repairs > 0);

  nodes[0]->signal(SIGCONT);
  // It rejoins: with another node hung now, objects whose copies are on
  // the two of them read from the one that came back.
  nodes[1]->signal(SIGSTOP);
  REQUIRE(nodes[1]->wait_stopped(10s));
  CHECK(wrong_after_retries(objects, b_of, 30s) == 0);
  nodes[1]->signal(SIGCONT);
  CHECK(rt.stats().objects_lost == 0);
}

TEST_CASE("a cut control connection is made again: nothing lost, nothing taken for dead",
          "[client][failure]") {
  remora::testing::child_process node({REMORA_MEMNODE, "--port=0", "--capacity=128MiB"});
  const std::string address = start_node(node);
  remora::testing::tcp_proxy proxy(
      static_cast<std::uint16_t>(std::stoul(address.substr(address.rfind(':') + 1))));
  // Control goes through the proxy (data goes over UCX, straight to the
  // node). dead_after is shorter than the time the cuts go on: a node taken
  // for dead would lose its objects, and the reads below would throw.
  remora::Runtime rt(remora::Options{}
                         .dram_cache(4 << 20)
                         .memory_node("127.0.0.1:" + std::to_string(proxy.port()))
                         .timeout(2s)
                         .dead_after(1s));
  std::vector<remora::UniquePtr<wide>> objects;
  for (std::uint64_t i = 0; i < 50'000; ++i)
    objects.push_back(rt.make_unique<wide>(wide{i, i, {}}));
  REQUIRE(proxy.cut() > 0);

  // Cut again and again for three seconds while new objects are made
  // (write-backs need the control connection: allocation).
  std::atomic<bool> cutting{true};
  std::thread cutter([&] {
    for (auto until = clock_type::now() + 3s; clock_type::now() < until;) {
      std::this_thread::sleep_for(300ms);
      proxy.cut();
    }
    cutting = false;
  });
  // They are made at a bounded pace, so that write-backs meet every cut,
  // and all of them (with the 50,000 below) fit in the node's 128 MiB:
  // reading back spilled objects from disk is not what this test is about.
  std::string failed;
  const auto began = clock_type::now();
  try {
    while (cutting) {
      const auto due = 50'000 + 70 * ((clock_type::now() - began) / 1ms);
      if (objects.size() >= static_cast<std::size_t>(due)) {
        std::this_thread::sleep_for(1ms);
        continue;
      }
      const std::uint64_t i = objects.size();
      objects.push_back(rt.make_unique<wide>(wide{i, i, {}}));
    }
  } catch (const remora::Error& e) {
    failed = e.what();
  }
  cutter.join();
  CHECK(failed == "");
  CHECK(proxy.accepted() > 2);  // it connected again after the cuts
  CHECK(wrong_after_retries(
            objects, [](std::uint64_t i) { return i; }, 30s) == 0);
  // New objects still find their home there, past dead_after.
  std::vector<remora::UniquePtr<wide>> more;
  for (std::uint64_t i = 0; i < 50'000; ++i) more.push_back(rt.make_unique<wide>(wide{i, 9, {}}));
  CHECK(wrong_after_retries(
            more, [](std::uint64_t) -> std::uint64_t { return 9; }, 30s) == 0);
}

TEST_CASE(
    "replicas(2): bytes damaged on a node are detected, served from the other copy, and "
    "repaired",
    "[client][replicas][failure]") {
  remora::Options options;
  options.dram_cache(4 << 20).replicas(2).timeout(2s);
  auto nodes = remora::testing::start_nodes(3, options, {"--test-hooks"});
  remora::Runtime rt(options);
  std::vector<remora::UniquePtr<wide>> objects;
  for (std::uint64_t i = 0; i < 40'000; ++i)
    objects.push_back(rt.make_unique<wide>(wide{i, i, {}}));
  CHECK(rt.stats().repairs == 0);

  // A fault on node 0: one bit of every object it holds in memory flips.
  {
    remora::actors::control_plane cp;
    remora::actors::node_client::options node_options;
    node_options.address = *remora::actors::node_address::parse(options.memory_nodes()[0]);
    auto node = remora::actors::node_client::connect(cp, node_options);
    REQUIRE(node.ok());
    auto damaged = (*node)->damage();
    REQUIRE(damaged.ok());
    CHECK(*damaged > 0);
  }
  // Every object reads back right: a copy that fails its checksum is passed
  // over for the other (counted as a failover) and marked lost...
  CHECK(wrong_after_retries(
            objects, [](std::uint64_t i) { return i; }, 30s) == 0);
  CHECK(rt.stats().failovers > 0);
  // ...and repair replaces it in the background.
  CHECK(remora::testing::eventually([&] { return rt.stats().repairs > 0; }, 30s));
  CHECK(wrong_after_retries(
            objects, [](std::uint64_t i) { return i; }, 30s) == 0);
  CHECK(rt.stats().objects_lost == 0);
}

TEST_CASE("connecting to a SIGSTOPped node gives up within the timeout", "[client][failure]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(1, options);
  nodes[0]->signal(SIGSTOP);
  REQUIRE(nodes[0]->wait_stopped(10s));
  // The kernel still accepts TCP for it; CAF's handshake never finishes.
  remora::actors::control_plane cp;
  const auto start = std::chrono::steady_clock::now();
  remora::actors::node_client::options client_options;
  client_options.address = *remora::actors::node_address::parse(options.memory_nodes()[0]);
  client_options.timeout = 1s;
  auto client = remora::actors::node_client::connect(cp, client_options);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(client.ok());
  CHECK(client.err().code == remora::transport::errc::peer_unreachable);
  CHECK(took < 10s);
  CHECK_THROWS_AS(remora::Runtime(options.timeout(1s)), remora::NodeUnavailable);
  nodes[0]->signal(SIGCONT);
  remora::actors::node_client::options again_options;
  again_options.address = *remora::actors::node_address::parse(options.memory_nodes()[0]);
  again_options.timeout = 5s;
  auto again = remora::actors::node_client::connect(cp, again_options);
  CHECK(again.ok());
}

TEST_CASE("a request to a hung node ends when its control connection is cut, not at the timeout",
          "[client][failure]") {
  remora::testing::child_process node({REMORA_MEMNODE, "--port=0", "--capacity=16MiB"});
  const std::string address = start_node(node);
  auto proxy = std::make_unique<remora::testing::tcp_proxy>(
      static_cast<std::uint16_t>(std::stoul(address.substr(address.rfind(':') + 1))));
  remora::actors::control_plane cp;
  remora::actors::node_client::options client_options;
  client_options.address =
      *remora::actors::node_address::parse("127.0.0.1:" + std::to_string(proxy->port()));
  client_options.timeout = 60s;
  auto client = remora::actors::node_client::connect(cp, client_options);
  REQUIRE(client.ok());
  for (int i = 0; i < 100; ++i) REQUIRE((*client)->stats().ok());

  node.signal(SIGSTOP);
  REQUIRE(node.wait_stopped(10s));  // it answers nothing now
  std::atomic<bool> done{false};
  remora::transport::result<remora::actors::node_stats> asked =
      remora::transport::error{remora::transport::errc::io, "not answered"};
  const auto start = clock_type::now();
  std::thread asker([&] {
    asked = (*client)->stats();
    done = true;
  });
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(done.load());  // waiting for the hung node
  proxy.reset();             // the connection goes, and nobody listens there any more
  asker.join();
  const auto took = clock_type::now() - start;
  REQUIRE_FALSE(asked.ok());
  // The loss ends the wait (and the reconnect finds nobody), long before
  // the 60 s timeout.
  CHECK(asked.err().code == remora::transport::errc::peer_unreachable);
  CHECK(took < 20s);
  node.signal(SIGCONT);
}

TEST_CASE("a prefetcher connecting to a hung node holds no chunk its reader waits for",
          "[client][failure][prefetch]") {
  // A new prefetcher thread says hello to each node before it claims a
  // chunk. The node is SIGSTOPped: the hello waits, and so would a reader
  // of chunks claimed before it. The reader, connected already, reads the
  // node's memory one-sided over shared memory while the node's process is
  // stopped, well within the heartbeats' timeout.
  remora::Options options;
  options.dram_cache(4 << 20).timeout(30s).prefetch_on_reader(false);
  auto nodes = remora::testing::start_nodes(1, options);
  remora::Runtime rt(options);
  constexpr std::size_t n = 2 << 20;  // 16 MiB, four times the cache
  auto a = rt.make_array<std::uint64_t>(n);
  a.prefetch(remora::order::off());  // no prefetcher thread (and its connection) yet
  for (std::size_t i = 0; i < n;) {
    remora::DerefScope scope;
    for (auto& v : a.span_mut(scope, i)) v = i++ * 3;
  }
  // Read once: the chunks the fill left dirty go home as the reads evict
  // them. (A new chunk's first write home takes an allocation, which a
  // stopped node cannot answer; the reads below need one-sided transfers
  // alone.)
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < n;) {
    remora::DerefScope scope;
    for (std::uint64_t v : a.span(scope, i)) wrong += v != i++ * 3;
  }
  REQUIRE(wrong == 0);
  nodes[0]->signal(SIGSTOP);
  REQUIRE(nodes[0]->wait_stopped(10s));
  const auto start = clock_type::now();
  a.prefetch(remora::order::sequential());  // a prefetcher thread starts
  for (std::size_t i = 0; i < n;) {
    remora::DerefScope scope;
    for (std::uint64_t v : a.span(scope, i)) wrong += v != i++ * 3;
  }
  const auto took = clock_type::now() - start;
  CHECK(wrong == 0);
  CHECK(took < 10s);  // not the hello's 30 s
  // The prefetcher still waits for its hello; replacing it ends that wait
  // rather than joining the thread after it (31 s: the timeout and a second).
  const auto replacing = clock_type::now();
  a.prefetch(remora::order::off());
  CHECK(clock_type::now() - replacing < 5s);
  nodes[0]->signal(SIGCONT);
}

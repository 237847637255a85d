// Membership in etcd, against a real etcd (etcd-server, started here on
// free ports) and real remora-memnode processes: nodes register under a
// lease, a Runtime finds them through Options::cluster, remora-ctl lists
// them, and a node that dies leaves the list within the lease's TTL (one
// stopped with SIGTERM at once).
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "actors/control_plane.hpp"
#include "actors/etcd_client.hpp"
#include "actors/membership.hpp"
#include "actors/node_client.hpp"
#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/ports.hpp"

using namespace std::chrono_literals;
using remora::testing::child_process;
using remora::testing::wide;

namespace {

// Where etcd is installed (etcd-server puts it in /usr/bin); empty: nowhere.
std::string etcd_binary() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/usr/sbin"})
    if (std::filesystem::exists(std::string(dir) + "/etcd")) return std::string(dir) + "/etcd";
  return {};
}

// An etcd of one member in a temporary directory, serving on a free port.
struct etcd_server {
  std::filesystem::path dir;
  std::string url;  // etcd://127.0.0.1:PORT/remora-test
  std::unique_ptr<child_process> process;

  etcd_server() {
    dir = std::filesystem::temp_directory_path() / ("remora-etcd-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    const std::string client = "http://127.0.0.1:" + std::to_string(remora::testing::unused_port());
    const std::string peer = "http://127.0.0.1:" + std::to_string(remora::testing::unused_port());
    process = std::make_unique<child_process>(std::vector<std::string>{
        etcd_binary(), "--data-dir=" + dir.string(), "--listen-client-urls=" + client,
        "--advertise-client-urls=" + client, "--listen-peer-urls=" + peer,
        "--initial-advertise-peer-urls=" + peer, "--initial-cluster=default=" + peer,
        "--logger=zap", "--log-level=error"});
    url = "etcd://" + client.substr(7) + "/remora-test";
  }
  ~etcd_server() {
    process.reset();
    std::filesystem::remove_all(dir);
  }
  remora::actors::etcd_client client() const {
    return *remora::actors::etcd_client::parse(url, 2s);
  }
  // The registered members, or nullopt while etcd does not answer.
  std::optional<std::vector<std::string>> members() const {
    auto m = remora::actors::list_members(client());
    if (!m) return std::nullopt;
    return std::move(m).value();
  }
};

// An etcd that answers, or none (a visible skip) when etcd is not installed.
std::unique_ptr<etcd_server> running_etcd() {
  if (etcd_binary().empty()) {
    WARN("etcd is not installed (scripts/setup.sh installs etcd-server): test skipped");
    return nullptr;
  }
  auto etcd = std::make_unique<etcd_server>();
  REQUIRE(remora::testing::eventually([&] { return etcd->members().has_value(); }, 30s));
  return etcd;
}

// Starts a remora-memnode registered under `url` into `nodes`, waits for it
// to register, and returns the "HOST:PORT" it registered as.
std::string start_member(std::vector<std::unique_ptr<child_process>>& nodes,
                         const std::string& url) {
  nodes.push_back(std::make_unique<child_process>(std::vector<std::string>{
      REMORA_MEMNODE, "--port=0", "--capacity=64MiB", "--cluster=" + url}));
  auto line = nodes.back()->wait_for_line("registered as", 30s);
  REQUIRE(line.has_value());
  const auto from = line->find("registered as ") + 14;
  return line->substr(from, line->find(" in ") - from);
}

}  // namespace

TEST_CASE("etcd membership: nodes register, clients find them, the dead leave the list",
          "[client][cluster]") {
  auto started = running_etcd();
  if (!started) return;
  etcd_server& etcd = *started;
  CHECK(etcd.members()->empty());

  std::vector<std::unique_ptr<child_process>> nodes;
  auto start = [&] { start_member(nodes, etcd.url); };
  for (int i = 0; i < 3; ++i) start();
  REQUIRE(etcd.members()->size() == 3);

  // remora-ctl lists them.
  child_process ctl({REMORA_CTL, "nodes", etcd.url});
  std::size_t listed = 0;
  while (ctl.wait_for_line("127.0.0.1:", 10s)) ++listed;
  CHECK(listed == 3);
  CHECK(ctl.wait_exit(10s) == 0);

  {
    // A Runtime that names no node finds them there, and spreads its
    // objects over them. dead_after is long: a death comes from membership.
    remora::Runtime rt(
        remora::Options{}.dram_cache(4 << 20).cluster(etcd.url).replicas(2).timeout(2s).dead_after(
            600s));
    remora::testing::wide_objects objects;
    remora::testing::add_wide(rt, objects, 30'000);
    // A node killed stops renewing its lease and leaves the list within the
    // TTL; then it is dead for the Runtime too, and repair rebuilds its
    // copies.
    nodes[0]->signal(SIGKILL);
    CHECK(remora::testing::eventually(
        [&] { return etcd.members()->size() == 2; },
        std::chrono::seconds(remora::actors::registration::ttl_seconds + 10)));
    CHECK(remora::testing::eventually([&] { return rt.stats().repairs > 0; }, 30s));
    CHECK(remora::testing::wrong_reads(objects) == 0);
  }

  // One stopped politely leaves at once. A new one joins.
  nodes[1]->signal(SIGTERM);
  CHECK(nodes[1]->wait_exit(10s) == 0);
  CHECK(etcd.members()->size() == 1);
  start();
  CHECK(etcd.members()->size() == 2);

  // Nobody registered: a clear error, not a hang.
  CHECK_THROWS_AS(
      remora::Runtime(remora::Options{}.cluster(etcd.url.substr(0, etcd.url.rfind('/')) + "/none")),
      remora::NodeUnavailable);
  CHECK_THROWS_AS(remora::Options{}.cluster("http://x:1"), remora::ConfigError);
}

TEST_CASE("etcd membership: a node that joins receives objects, and a drained one leaves the list",
          "[client][cluster][drain]") {
  auto started = running_etcd();
  if (!started) return;
  etcd_server& etcd = *started;
  std::vector<std::unique_ptr<child_process>> nodes;
  std::vector<std::string> addresses;
  auto start = [&] { addresses.push_back(start_member(nodes, etcd.url)); };
  start();
  start();
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20).cluster(etcd.url).timeout(5s));
  remora::testing::wide_objects objects;
  remora::testing::add_wide(rt, objects, 30'000);
  CHECK(rt.stats().rebalanced == 0);

  // A third node registers: the Runtime connects to it, moves there the
  // objects it now owns (about a third), and places new objects there too.
  start();
  CHECK(remora::testing::eventually([&] { return rt.stats().rebalanced > 3'000; }, 60s));
  remora::testing::add_wide(rt, objects, 10'000);
  CHECK(remora::testing::wrong_reads(objects) == 0);
  {
    remora::actors::control_plane cp;
    remora::actors::node_client::options node_options;
    node_options.address = *remora::actors::node_address::parse(addresses[2]);
    auto node = remora::actors::node_client::connect(cp, node_options);
    REQUIRE(node.ok());
    CHECK((*node)->stats()->objects > 5'000);
  }

  // The first node is drained: its objects move, it leaves the list and stops.
  child_process ctl({REMORA_CTL, "drain", addresses[0], "--wait-s=120", "--timeout-ms=30000"});
  CHECK(ctl.wait_for_line("has left the pool", 150s).has_value());
  CHECK(ctl.wait_exit(10s) == 0);
  CHECK(nodes[0]->wait_exit(10s) == 0);
  CHECK(etcd.members()->size() == 2);
  CHECK(remora::testing::wrong_reads(objects) == 0);
  CHECK(rt.stats().objects_lost == 0);
}

TEST_CASE("etcd membership: with replicas(2) or erasure(2, 1), a node that joins receives copies",
          "[client][cluster]") {
  auto started = running_etcd();
  if (!started) return;
  etcd_server& etcd = *started;
  for (const bool coded : {false, true}) {
    const std::string url = etcd.url + (coded ? "-ec" : "-r2");
    std::vector<std::unique_ptr<child_process>> nodes;
    auto start = [&] { start_member(nodes, url); };
    for (int i = 0; i < 3; ++i) start();
    remora::Options options;
    options.dram_cache(4 << 20).cluster(url).timeout(5s);
    if (coded)
      options.erasure(2, 1);
    else
      options.replicas(2);
    remora::Runtime rt(options);
    remora::testing::wide_objects objects;
    remora::testing::add_wide(rt, objects, 20'000);
    start();  // a fourth node: copies (or columns) it now ranks for move there
    INFO((coded ? "erasure(2, 1)" : "replicas(2)"));
    CHECK(remora::testing::eventually([&] { return rt.stats().rebalanced > 1'000; }, 60s));
    CHECK(remora::testing::wrong_reads(objects) == 0);
    // The moves kept every object safe: with the first node gone, all read.
    nodes[0]->signal(SIGKILL);
    CHECK(remora::testing::wrong_reads(objects) == 0);
    CHECK(rt.stats().objects_lost == 0);
  }
}

TEST_CASE(
    "etcd names: a published name is claimed once for the pool, and outlives its nodes "
    "as an error that says so",
    "[client][cluster][sharing]") {
  auto started = running_etcd();
  if (!started) return;
  etcd_server& etcd = *started;
  std::vector<std::unique_ptr<child_process>> nodes;
  for (int i = 0; i < 2; ++i) start_member(nodes, etcd.url);
  const auto options = remora::Options{}.dram_cache(4 << 20).cluster(etcd.url).timeout(5s);
  const auto names_in_etcd = [&] {
    auto all = etcd.client().range("remora-test/names/");
    REQUIRE(all.ok());
    std::vector<std::string> names;
    for (const auto& [key, value] : *all) names.push_back(key.substr(key.rfind('/') + 1));
    return names;
  };
  {
    remora::Runtime a(options), b(options);
    auto table = a.make_array<std::uint64_t>(100'000);
    for (std::size_t i = 0; i < table.size(); ++i) table.write(i, i * 3);
    auto view = a.publish("table", std::move(table));
    CHECK(names_in_etcd() == std::vector<std::string>{"table"});

    // Another runtime of the pool: the name is taken (etcd says so), and
    // it opens and reads the array.
    auto other = b.make_array<std::uint64_t>(10);
    try {
      b.publish("table", std::move(other));
      FAIL("a second publication of one name");
    } catch (const remora::InvalidObject& e) {
      CHECK(std::string(e.what()).find("in etcd") != std::string::npos);
    }
    auto seen = b.open_array<std::uint64_t>("table");
    std::uint64_t wrong = 0;
    for (std::size_t i = 0; i < seen.size(); i += 97) wrong += seen.read(i) != i * 3;
    CHECK(wrong == 0);

    // Two publishers race for one name: exactly one has it.
    auto first = a.make_array<std::uint64_t>(1000), second = b.make_array<std::uint64_t>(1000);
    std::atomic<int> won{0}, refused{0};
    auto race = [&](remora::Runtime& rt, remora::Array<std::uint64_t>& array) {
      try {
        (void)rt.publish("raced", std::move(array));
        ++won;
      } catch (const remora::InvalidObject&) {
        ++refused;
      }
    };
    std::thread one([&] { race(a, first); }), two([&] { race(b, second); });
    one.join();
    two.join();
    CHECK(won == 1);
    CHECK(refused == 1);
    b.unpublish("raced");
    CHECK(names_in_etcd() == std::vector<std::string>{"table"});
  }

  // Every node that kept it dies; new nodes join. The name is still the
  // pool's: opening it is ObjectLost, not "unknown"; unpublish frees it.
  for (auto& node : nodes) node->signal(SIGKILL);
  nodes.clear();
  CHECK(remora::testing::eventually(
      [&] { return etcd.members() && etcd.members()->empty(); },
      std::chrono::seconds(remora::actors::registration::ttl_seconds + 10)));
  for (int i = 0; i < 2; ++i) start_member(nodes, etcd.url);
  remora::Runtime c(options);
  CHECK_THROWS_AS(c.open_array<std::uint64_t>("table"), remora::ObjectLost);
  CHECK_THROWS_AS(c.open_array<std::uint64_t>("never"), remora::InvalidObject);
  c.unpublish("table");
  CHECK(names_in_etcd().empty());
  CHECK_THROWS_AS(c.unpublish("table"), remora::InvalidObject);
  auto again = c.make_array<std::uint64_t>(10);
  again.write(3, 7);
  auto view = c.publish("table", std::move(again));
  CHECK(c.open_array<std::uint64_t>("table").read(3) == 7);
}

// remora-memnode as an operator runs it: SIGTERM with clients connected,
// restart on the same spill directory, remora-ctl stats.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "remora/version.hpp"
#include "tests/actors/memnode_fixture.hpp"
#include "tests/support/eventually.hpp"

using namespace remora;
using namespace std::chrono_literals;
using testing::connect_client;
using testing::memnode_process;
using testing::object_bytes;

TEST_CASE(
    "SIGTERM with clients connected exits 0, and a restart on the same spill dir starts clean",
    "[memnode][lifecycle]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("remora-lifecycle-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  actors::control_plane cp;
  {
    memnode_process node({"--capacity=4MiB", "--spill-dir=" + dir.string()});
    auto client = connect_client(cp, node);
    for (std::uint64_t first = 1; first <= 64; first += 8) {  // 8 MiB in all
      std::vector<std::uint64_t> ids;
      for (std::uint64_t i = first; i < first + 8; ++i) ids.push_back(i);
      auto where = client->allocate(ids, std::vector<std::uint32_t>(8, 128 << 10));
      REQUIRE(where.ok());
      for (auto& w : *where) {
        auto r = client->data().write(w, object_bytes(w.id, w.size));
        INFO((r ? "" : r.err().message));
        REQUIRE(r.ok());
      }
    }
    auto s = client->stats();
    REQUIRE(s.ok());
    CHECK(s->spilled_objects > 0);
    auto start = std::chrono::steady_clock::now();
    node.process.signal(SIGTERM);
    auto code = node.process.wait_exit(10s);
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(std::chrono::steady_clock::now() - start < 6s);
  }
  {
    memnode_process node({"--capacity=4MiB", "--spill-dir=" + dir.string()});
    auto client = connect_client(cp, node);
    auto s = client->stats();
    REQUIRE(s.ok());
    CHECK(s->objects == 0);  // a memory node is a pool, not durable storage
    CHECK(s->spilled_objects == 0);
    auto gone = client->lookup(std::vector<std::uint64_t>{1});
    REQUIRE_FALSE(gone.ok());
    CHECK(gone.err().code == transport::errc::unknown_object);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("two nodes cannot share a spill directory", "[memnode][lifecycle]") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("remora-shared-spill-" + std::to_string(::getpid()));
  memnode_process first({"--capacity=4MiB", "--spill-dir=" + dir.string()});
  testing::child_process second(
      {REMORA_MEMNODE, "--port=0", "--capacity=4MiB", "--spill-dir=" + dir.string()});
  auto code = second.wait_exit(20s);
  REQUIRE(code.has_value());
  CHECK(*code != 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("remora-ctl stats prints the node's figures", "[memnode][lifecycle]") {
  memnode_process node({"--capacity=8MiB", "--auth-token=t"});
  actors::control_plane cp;
  auto client = connect_client(cp, node, "t");
  auto w = client->allocate(std::vector<std::uint64_t>{1, 2}, std::vector<std::uint32_t>{64, 64});
  REQUIRE(w.ok());
  const std::string where = "127.0.0.1:" + std::to_string(node.port);
  // The node says so within a second or two (node_events).
  CHECK(node.process.wait_for_line("info: 1 client(s) connected (+1)", 10s).has_value());
  testing::child_process table({REMORA_CTL, "stats", where, "--auth-token=t"});
  auto objects = table.wait_for_line("objects", 20s);
  REQUIRE(objects.has_value());
  CHECK(objects->find(" 2 (their table: ") != std::string::npos);
  CHECK(objects->find(" bytes an object)") != std::string::npos);
  CHECK(table.wait_exit(10s) == 0);
  testing::child_process json({REMORA_CTL, "stats", where, "--auth-token=t", "--json"});
  auto line = json.wait_for_line("{", 20s);
  REQUIRE(line.has_value());
  CHECK(line->find("\"capacity\": 8388608") != std::string::npos);
  CHECK(line->find("\"objects\": 2") != std::string::npos);
  // The node's own memory for them: two entries and their ids at least.
  const auto table_at = line->find("\"table_bytes\": ");
  REQUIRE(table_at != std::string::npos);
  CHECK(std::stoull(line->substr(table_at + 15)) >= 2 * 32);
  CHECK(line->find("\"version\": \"" REMORA_VERSION "\"") != std::string::npos);
  CHECK(line->find("\"pid\": " + std::to_string(node.process.pid())) != std::string::npos);
  CHECK(line->find("\"high_watermark\": 0.900, \"low_watermark\": 0.800") != std::string::npos);
  // The node's own time over the requests: one hello, one alloc at least.
  CHECK(line->find("{\"request\": \"alloc\", \"count\": 1, \"p50_us\": ") != std::string::npos);
  CHECK(line->find("{\"request\": \"hello\", \"count\": ") != std::string::npos);
  CHECK(json.wait_exit(10s) == 0);
  // -i: the table again every interval, --count times, in sections.
  testing::child_process repeated(
      {REMORA_CTL, "stats", where, "--auth-token=t", "-i", "0.2", "--count", "2"});
  CHECK(repeated.wait_for_line("memory node", 20s).has_value());
  CHECK(repeated.wait_for_line("version          " REMORA_VERSION, 20s).has_value());
  CHECK(repeated.wait_for_line("spill (RocksDB)", 20s).has_value());
  CHECK(repeated.wait_for_line("latency (the node's own time", 20s).has_value());
  auto alloc = repeated.wait_for_line("  alloc", 20s);
  REQUIRE(alloc.has_value());
  CHECK(alloc->find("1 requests, p50 ") != std::string::npos);
  CHECK(repeated.wait_for_line("memory node", 20s).has_value());
  CHECK(repeated.wait_exit(10s) == 0);
  testing::child_process refused({REMORA_CTL, "stats", where});
  CHECK(refused.wait_exit(20s) == 1);
}

TEST_CASE("TLS: a node with certificates serves TLS clients and refuses plain ones",
          "[memnode][tls]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("remora-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string make_cert =
      "timeout 60 openssl req -x509 -newkey rsa:2048 -nodes "
      "-subj /CN=localhost -days 2 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  if (std::system(make_cert.c_str()) != 0) {
    WARN("openssl could not make a certificate: TLS test skipped");
    return;
  }
  memnode_process node({"--capacity=4MiB", "--tls-certificate=" + cert, "--tls-key=" + key,
                        "--tls-ca-file=" + cert});
  {
    actors::control_plane plain;
    auto c = actors::node_client::connect(plain, node.client_options());
    REQUIRE_FALSE(c.ok());
    CHECK(c.err().code == transport::errc::peer_unreachable);
  }
  actors::control_plane secure(actors::tls_options{cert, key, cert});
  REQUIRE(secure.uses_tls());
  auto client = connect_client(secure, node);
  auto w = client->allocate(std::vector<std::uint64_t>{9}, std::vector<std::uint32_t>{512});
  INFO((w.ok() ? std::string() : w.err().message));
  REQUIRE(w.ok());
  REQUIRE(client->data().write(w->at(0), object_bytes(9, 512)).ok());
  std::vector<std::byte> back(512);
  REQUIRE(client->data().read(w->at(0), back).ok());
  CHECK(back == object_bytes(9, 512));
  std::filesystem::remove_all(dir);
}

namespace {

// The shared memory this process has faulted in (its arena is shared
// memory), from /proc, in bytes: RssShmem, and HugetlbPages for an arena in
// the machine's reserved huge pages (where there are enough, UCX takes them).
std::uint64_t shared_memory_in_use(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::uint64_t bytes = 0;
  for (std::string line; std::getline(status, line);)
    for (const std::string field : {"RssShmem:", "HugetlbPages:"})
      if (line.rfind(field, 0) == 0) bytes += std::stoull(line.substr(field.size())) * 1024;  // kB
  return bytes;
}

}  // namespace

TEST_CASE("a node started with --populate faults its arena in at once, one without as it is used",
          "[memnode][lifecycle]") {
  actors::control_plane cp;
  memnode_process lazy({"--capacity=64MiB"});
  memnode_process eager({"--capacity=64MiB", "--populate"});
  CHECK(testing::eventually([&] { return shared_memory_in_use(eager.process.pid()) >= 64 << 20; },
                            30s));
  CHECK(shared_memory_in_use(lazy.process.pid()) < 32 << 20);
  // It serves as any node does.
  auto client = connect_client(cp, eager);
  auto where =
      client->allocate(std::vector<std::uint64_t>{1, 2}, std::vector<std::uint32_t>{1 << 20, 100});
  REQUIRE(where.ok());
  for (auto& w : *where) REQUIRE(client->data().write(w, object_bytes(w.id, w.size)).ok());
  for (auto& w : *where) {
    std::vector<std::byte> back(w.size);
    REQUIRE(client->data().read(w, back).ok());
    CHECK(back == object_bytes(w.id, w.size));
  }
}

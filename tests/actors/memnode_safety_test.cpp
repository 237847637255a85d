// remora-memnode refuses what would harm the machine or an operator's
// files, before it allocates anything: a capacity the machine cannot give,
// a spill directory holding other files. It reads no configuration file it
// was not told to, takes its token from a file or the environment, off the
// command line, and says what pages its arena got.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/actors/memnode_fixture.hpp"

using namespace remora;
using namespace std::chrono_literals;
using testing::child_process;
using testing::connect_client;
using testing::memnode_process;

namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("remora-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// remora-memnode with `args`, its stderr with its stdout.
std::unique_ptr<child_process> memnode_shell(const std::string& args,
                                             const std::string& cwd = ".") {
  return std::make_unique<child_process>(std::vector<std::string>{
      "/bin/sh", "-c",
      "cd " + cwd + " && exec " + std::string(REMORA_MEMNODE) + " " + args + " 2>&1"});
}

}  // namespace

TEST_CASE("a capacity beyond the machine is refused before anything is allocated",
          "[memnode][safety]") {
  auto node = memnode_shell("--port=0 --capacity=64TiB");
  const auto line = node->wait_for_line("more than this machine can give", 30s);
  REQUIRE(line.has_value());
  CHECK(line->find("MemAvailable") != std::string::npos);
  CHECK(node->wait_exit(10s) == 1);
}

TEST_CASE("a spill directory holding other files is refused, and nothing in it deleted",
          "[memnode][safety]") {
  const auto dir = fresh_dir("foreign-spill");
  for (const char* name : {"CURRENT", "000123.log", "notes.txt"})
    std::ofstream(dir / name) << "mine";
  auto node = memnode_shell("--port=0 --capacity=4MiB --spill-dir=" + dir.string());
  CHECK(node->wait_for_line("is not a Remora spill directory", 30s).has_value());
  CHECK(node->wait_exit(10s) == 1);
  for (const char* name : {"CURRENT", "000123.log", "notes.txt"})
    CHECK(std::filesystem::exists(dir / name));
  // A spill directory of its own (marked) is reused and wiped.
  std::filesystem::remove_all(dir);
  { memnode_process first({"--capacity=4MiB", "--spill-dir=" + dir.string()}); }
  memnode_process again({"--capacity=4MiB", "--spill-dir=" + dir.string()});
  std::filesystem::remove_all(dir);
}

TEST_CASE("the first line names the arena's capacity and the pages under it", "[memnode][safety]") {
  auto node = memnode_shell("--port=0 --capacity=4MiB");
  const auto line = node->wait_for_line("listening on", 30s);
  REQUIRE(line.has_value());
  INFO(*line);
  // Small pages unless huge pages are reserved (README, Memory nodes).
  std::ifstream reserved("/proc/sys/vm/nr_hugepages");
  long huge_pages = 0;
  reserved >> huge_pages;
  if (huge_pages == 0)
    CHECK(line->find("(capacity 4.0 MiB in 4 KiB pages, ") != std::string::npos);
  else
    CHECK(line->find(" pages, ") != std::string::npos);
}

TEST_CASE("no configuration file is read unless named", "[memnode][safety]") {
  const auto dir = fresh_dir("config");
  std::ofstream(dir / "caf-application.ini") << "[global]\ncapacity=\"not-a-size\"\n";
  auto node = memnode_shell("--port=0 --capacity=4MiB", dir.string());
  CHECK(node->wait_for_line("listening on", 30s).has_value());
  node.reset();
  auto named = memnode_shell("--port=0 --config-file=caf-application.ini", dir.string());
  CHECK(named->wait_for_line("not a byte size", 30s).has_value());
  CHECK(named->wait_exit(10s) == 2);  // a usage error
  std::filesystem::remove_all(dir);
}

TEST_CASE("the token comes from a file or the environment, compared whole", "[memnode][safety]") {
  const auto dir = fresh_dir("token");
  const auto file = dir / "token";
  std::ofstream(file) << "sesame-open\n";
  memnode_process node({"--capacity=4MiB", "--auth-token-file=" + file.string()});
  actors::control_plane cp;
  for (const std::string wrong : {"", "sesame", "sesame-open-", "sesame-opex"}) {
    auto c = actors::node_client::connect(cp, node.client_options(wrong));
    REQUIRE_FALSE(c.ok());
    CHECK(c.err().code == transport::errc::auth);
  }
  auto client = connect_client(cp, node, "sesame-open");
  CHECK(client->stats().ok());
  // remora-ctl takes it from the environment (or its own --auth-token-file).
  const std::string where = "127.0.0.1:" + std::to_string(node.port);
  child_process ctl({REMORA_CTL, "stats", where}, {"REMORA_AUTH_TOKEN=sesame-open"});
  CHECK(ctl.wait_for_line("objects", 20s).has_value());
  CHECK(ctl.wait_exit(10s) == 0);
  child_process from_file({REMORA_CTL, "stats", where, "--auth-token-file=" + file.string()});
  CHECK(from_file.wait_exit(20s) == 0);
  // An empty token file is an error, not an open node.
  std::ofstream(dir / "empty") << "\n";
  auto open =
      memnode_shell("--port=0 --capacity=4MiB --auth-token-file=" + (dir / "empty").string());
  CHECK(open->wait_for_line("is empty", 30s).has_value());
  CHECK(open->wait_exit(10s) == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a killed node's temporary spill directory is removed by the next node to start",
          "[memnode][safety]") {
  // A node killed with SIGKILL cannot remove its temporary spill directory.
  std::filesystem::path left;
  {
    auto killed = std::make_unique<memnode_process>(std::vector<std::string>{"--capacity=4MiB"});
    left = "/tmp/remora-memnode-" + std::to_string(killed->process.pid());
    killed->process.signal(SIGKILL);
    REQUIRE(killed->process.wait_exit(10s).has_value());
  }
  std::vector<std::filesystem::path> leftovers;
  for (const auto& e : std::filesystem::directory_iterator("/tmp"))
    if (e.path().string().rfind(left.string() + "-", 0) == 0) leftovers.push_back(e.path());
  REQUIRE(leftovers.size() == 1);
  // One of a process that still runs (this test's) is not touched.
  const auto live =
      std::filesystem::path("/tmp/remora-memnode-" + std::to_string(::getpid()) + "-keep");
  std::filesystem::create_directories(live);
  { memnode_process next({"--capacity=4MiB"}); }
  CHECK_FALSE(std::filesystem::exists(leftovers[0]));
  CHECK(std::filesystem::exists(live));
  std::filesystem::remove_all(live);
}

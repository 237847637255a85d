// TLS for clients, against a real remora-memnode that requires it: a Runtime
// with Options::tls is served; one without, or a client without a
// certificate the node trusts, is refused with an error that says so. A
// node bound beyond loopback refuses to serve plain TCP unless told
// --insecure. Unauthenticated peers that claim huge messages cost the TLS
// node almost nothing (BASP never reads a byte they send), and the front
// door's deadline and cap hold over TLS too (actors/front_door.hpp).
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "actors/control_plane.hpp"
#include "actors/node_client.hpp"
#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/client/raw_peers.hpp"
#include "tests/support/child_process.hpp"

using namespace std::chrono_literals;
using remora::testing::child_process;
using remora::testing::closed_within;
using remora::testing::connect_to;
using remora::testing::resident_bytes;

namespace {

struct certificates {
  std::filesystem::path dir;
  std::string cert, key, other_cert, other_key;
  bool made = false;

  certificates() {
    dir = std::filesystem::temp_directory_path() / ("remora-tls-rt-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    other_cert = (dir / "other.pem").string();
    other_key = (dir / "other-key.pem").string();
    auto make = [](const std::string& k, const std::string& c) {
      const std::string cmd =
          "timeout 60 openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 "
          "-keyout " +
          k + " -out " + c + " >/dev/null 2>&1";
      return std::system(cmd.c_str()) == 0;
    };
    made = make(key, cert) && make(other_key, other_cert);
  }
  ~certificates() { std::filesystem::remove_all(dir); }
};

}  // namespace

TEST_CASE("TLS: a Runtime with Options::tls is served, others are refused", "[client][tls]") {
  certificates certs;
  if (!certs.made) {
    WARN("openssl could not make certificates: TLS test skipped");
    return;
  }
  remora::Options options;
  options.dram_cache(4 << 20).timeout(5s);
  auto nodes = remora::testing::start_nodes(
      1, options,
      {"--tls-certificate=" + certs.cert, "--tls-key=" + certs.key, "--tls-ca-file=" + certs.cert});
  {
    remora::Runtime rt(remora::Options(options).tls(certs.cert, certs.cert, certs.key));
    remora::testing::wide_objects objects;
    remora::testing::add_wide(rt, objects, 20'000);
    CHECK(remora::testing::wrong_reads(objects) == 0);
    CHECK(rt.stats().writebacks > 0);  // the objects went to the node and back
    // A gather service of a TLS runtime speaks TLS too.
    auto table = rt.make_array<float>(64);
    for (std::size_t i = 0; i < 64; ++i) table.write(i, static_cast<float>(i));
    remora::GatherServer server(rt, table, 8);
    const auto port = server.publish("127.0.0.1");
    remora::GatherClient client("127.0.0.1", port,
                                remora::Options{}.tls(certs.cert, certs.cert, certs.key));
    const std::vector<std::uint64_t> rows{3};
    CHECK(client.gather(rows) == std::vector<float>{24, 25, 26, 27, 28, 29, 30, 31});
    CHECK_THROWS_AS(remora::GatherClient("127.0.0.1", port, 5s), remora::NodeUnavailable);
  }
  // Plain: refused, and told why.
  try {
    remora::Runtime plain(options);
    FAIL("a plain client was served by a TLS node");
  } catch (const remora::NodeUnavailable& e) {
    CHECK(std::string(e.what()).find("TLS") != std::string::npos);
  }
  // A certificate the node does not trust, or none at all: refused.
  CHECK_THROWS_AS(
      remora::Runtime(remora::Options(options).tls(certs.cert, certs.other_cert, certs.other_key)),
      remora::NodeUnavailable);
  // (CAF's client cannot go without a certificate: openssl's can, and the
  // node ends the handshake asking for one, before BASP reads a byte.)
  child_process anonymous({"/bin/sh", "-c",
                           "timeout 20 openssl s_client -ign_eof -connect " +
                               options.memory_nodes()[0] + " -CAfile " + certs.cert +
                               " </dev/null 2>&1"});
  CHECK(anonymous.wait_for_line("certificate required", 30s).has_value());
}

TEST_CASE("TLS: peers that never authenticate cost the node almost nothing, and go",
          "[client][tls]") {
  certificates certs;
  if (!certs.made) {
    WARN("openssl could not make certificates: TLS test skipped");
    return;
  }
  remora::Options options;
  // (API.md's spelling of the flags.)
  auto nodes = remora::testing::start_nodes(
      1, options,
      {"--tls-cert=" + certs.cert, "--tls-key=" + certs.key, "--tls-ca=" + certs.cert,
       "--require-client-cert", "--handshake-timeout=3s"});
  const std::string where = options.memory_nodes()[0];
  const std::uint64_t before = resident_bytes(nodes[0]->pid());
  // 16 connections, each a 32-byte header claiming a 256 MiB message; 4
  // that say nothing, not even a TLS hello.
  std::vector<int> claims, silent;
  for (int i = 0; i < 16; ++i) {
    const int fd = connect_to(where);
    unsigned char header[32] = {};
    header[0] = 0x01;  // CAF's client handshake
    header[4] = 0x10;  // payload length, big-endian: 0x10000000
    (void)::send(fd, header, sizeof header, MSG_NOSIGNAL);
    claims.push_back(fd);
  }
  for (int i = 0; i < 4; ++i) silent.push_back(connect_to(where));
  // Authenticated clients are served meanwhile.
  remora::Runtime rt(
      remora::Options(options).dram_cache(4 << 20).tls(certs.cert, certs.cert, certs.key));
  remora::testing::wide_objects objects;
  remora::testing::add_wide(rt, objects, 2'000);
  CHECK(remora::testing::wrong_reads(objects) == 0);
  CHECK(resident_bytes(nodes[0]->pid()) < before + (64ull << 20));
  // The claims end with their failed TLS handshakes, the silent ones at the
  // handshake timeout.
  for (int fd : claims) CHECK(closed_within(fd, 20s));
  for (int fd : silent) CHECK(closed_within(fd, 20s));
  // The client, past the handshake timeout, is served still.
  remora::testing::add_wide(rt, objects, 40'000);
  CHECK(remora::testing::wrong_reads(objects) == 0);
  CHECK(rt.stats().writebacks > 0);
  for (int fd : claims) ::close(fd);
  for (int fd : silent) ::close(fd);
  // A peer with a certificate the CA signed, which inside TLS claims a
  // 256 MiB message before any hello: closed once BASP asks for more than
  // an unadmitted peer may send, before anything is reserved.
  child_process claimer({"/bin/sh", "-c",
                         "(printf '\\001\\000\\000\\000\\020'; head -c 27 /dev/zero) | timeout 30 "
                         "openssl s_client -quiet -connect " +
                             where + " -cert " + certs.cert + " -key " + certs.key + " -CAfile " +
                             certs.cert + " >/dev/null 2>&1; echo claimer done"});
  CHECK(claimer.wait_for_line("claimer done", 40s).has_value());
  remora::actors::control_plane cp({certs.cert, certs.key, certs.cert});
  CHECK(remora::testing::stats_of(cp, where).connections_oversize == 1);
  CHECK(resident_bytes(nodes[0]->pid()) < before + (64ull << 20));
}

TEST_CASE("TLS: connections past --max-connections are closed as they arrive", "[client][tls]") {
  certificates certs;
  if (!certs.made) {
    WARN("openssl could not make certificates: TLS test skipped");
    return;
  }
  remora::Options options;
  auto nodes = remora::testing::start_nodes(1, options,
                                            {"--tls-cert=" + certs.cert, "--tls-key=" + certs.key,
                                             "--tls-ca=" + certs.cert, "--max-connections=4"});
  const std::string where = options.memory_nodes()[0];
  remora::testing::check_connection_cap(where, 4);
  remora::Runtime rt(
      remora::Options(options).dram_cache(4 << 20).tls(certs.cert, certs.cert, certs.key));
  auto p = rt.make_unique<remora::testing::wide>(remora::testing::wide{7, 7, {}});
  CHECK(p.read().a == 7);
}

TEST_CASE("TLS files and token files are checked when the Runtime starts", "[client][tls]") {
  auto options = remora::Options{}.tls("/nonexistent/ca.pem", "/nonexistent/c.pem", "/x.key");
  CHECK(options.tls()->ca_file == "/nonexistent/ca.pem");  // named, not read yet
  CHECK_THROWS_AS(remora::Runtime(options), remora::ConfigError);
  CHECK_THROWS_AS(remora::Runtime(remora::Options{}.auth_token_file("/nonexistent/token")),
                  remora::ConfigError);
  char arg0[] = "prog", arg1[] = "--tls-ca-file=a", arg2[] = "--tls-certificate=b",
       arg3[] = "--tls-key=c", arg4[] = "--auth-token-file=t";
  char* argv[] = {arg0, arg1, arg2, arg3, arg4};
  const auto parsed = remora::Options::from_args(5, argv);
  REQUIRE(parsed.tls().has_value());
  CHECK(parsed.tls()->certificate == "b");
  CHECK(parsed.auth_token_file() == "t");
}

TEST_CASE("a node bound beyond loopback needs TLS or --insecure", "[client][tls]") {
  child_process refused(
      {"/bin/sh", "-c", std::string(REMORA_MEMNODE) + " --port=0 --bind=0.0.0.0 2>&1"});
  CHECK(refused.wait_for_line("in clear", 30s).has_value());
  CHECK(refused.wait_exit(10s) == 2);  // a usage error
  child_process insecure(
      {REMORA_MEMNODE, "--port=0", "--bind=0.0.0.0", "--insecure", "--capacity=64MiB"});
  CHECK(insecure.wait_for_line("listening on", 30s).has_value());
}

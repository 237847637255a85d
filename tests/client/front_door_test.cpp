// The front door of a node serving plain TCP (actors/front_door.hpp; over
// TLS: tls_test.cpp), against a real remora-memnode: peers that never
// authenticate, whether they send CAF's bytes without a preamble, a
// preamble with the wrong token, nothing at all, or come too many, cost the
// node almost nothing and are closed, while a client with the token is
// served throughout, also long past the handshake timeout.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "actors/control_plane.hpp"
#include "actors/node_client.hpp"
#include "actors/preamble.hpp"
#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/client/raw_peers.hpp"

using namespace std::chrono_literals;

namespace {

using remora::testing::closed_within;
using remora::testing::connect_to;
using remora::testing::resident_bytes;

}  // namespace

TEST_CASE("plain TCP: peers that never authenticate cost the node almost nothing, and go",
          "[client][door]") {
  remora::Options options;
  options.auth_token("door-token").timeout(10s);
  auto nodes = remora::testing::start_nodes(1, options,
                                            {"--auth-token=door-token", "--handshake-timeout=4s"});
  const std::string where = options.memory_nodes()[0];
  const std::uint64_t before = resident_bytes(nodes[0]->pid());
  // 16 connections, each sending a valid header of CAF's client handshake
  // that claims a payload of 256 MiB; 4 that open with a preamble with the
  // wrong token; 4 that say nothing.
  std::vector<int> claims, wrong, silent;
  for (int i = 0; i < 16; ++i) {
    const int fd = connect_to(where);
    unsigned char header[32] = {};
    header[0] = 0x01;  // client_handshake
    header[4] = 0x10;  // payload length, big-endian: 0x10000000
    REQUIRE(::send(fd, header, sizeof header, MSG_NOSIGNAL) == sizeof header);
    claims.push_back(fd);
  }
  const std::string preamble = remora::actors::make_preamble("not-the-token");
  for (int i = 0; i < 4; ++i) {
    wrong.push_back(connect_to(where));
    REQUIRE(::send(wrong.back(), preamble.data(), preamble.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(preamble.size()));
  }
  for (int i = 0; i < 4; ++i) silent.push_back(connect_to(where));
  CHECK_FALSE(closed_within(silent[0], 200ms));  // not before the deadline
  // A client with the token is served meanwhile.
  remora::Runtime rt(remora::Options(options).dram_cache(4 << 20));
  remora::testing::wide_objects objects;
  remora::testing::add_wide(rt, objects, 2'000);
  CHECK(remora::testing::wrong_reads(objects) == 0);
  // BASP never read the claims, and each was closed at once; so were the
  // wrong tokens, told why.
  CHECK(resident_bytes(nodes[0]->pid()) < before + (64ull << 20));
  for (int fd : claims) CHECK(closed_within(fd, 5s));
  for (int fd : wrong) {
    char line[64] = {};
    CHECK(::recv(fd, line, sizeof line - 1, 0) > 0);
    CHECK(std::string(line) == "-wrong auth token\n");
    CHECK(closed_within(fd, 5s));
  }
  // The silent ones are closed by the deadline.
  for (int fd : silent) CHECK(closed_within(fd, 20s));
  // The client, long past the handshake timeout, is still served: its
  // preamble admitted its connection. Enough objects to go to the node.
  remora::testing::add_wide(rt, objects, 40'000);
  CHECK(remora::testing::wrong_reads(objects) == 0);
  CHECK(rt.stats().writebacks > 0);
  remora::actors::control_plane cp;
  const auto s = remora::testing::stats_of(cp, where, "door-token");
  CHECK(s.connections_unknown == 20);
  CHECK(s.connections_expired >= 4);
  CHECK(s.connections_refused == 0);
  for (const auto* fds : {&claims, &wrong, &silent})
    for (int fd : *fds) ::close(fd);
}

TEST_CASE("plain TCP: connections past --max-connections are closed as they arrive",
          "[client][door]") {
  remora::Options options;
  options.timeout(10s);
  auto nodes = remora::testing::start_nodes(1, options, {"--max-connections=8"});
  const std::string where = options.memory_nodes()[0];
  remora::testing::check_connection_cap(where, 8);
  // Room again once they are gone: a client is served.
  remora::Runtime rt(remora::Options(options).dram_cache(4 << 20));
  auto p = rt.make_unique<remora::testing::wide>(remora::testing::wide{7, 7, {}});
  CHECK(p.read().a == 7);
  remora::actors::control_plane cp;
  const auto s = remora::testing::stats_of(cp, where);
  CHECK(s.connections_refused == 1);
}

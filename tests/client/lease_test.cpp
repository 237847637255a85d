// Leases: a client runtime's objects belong to it. Another client can
// neither free nor look them up, nor use its session; when it dies (SIGKILL) its objects are
// freed once the node's lease grace has passed, and a reconnect within the
// grace keeps them.
#include <catch2/catch.hpp>

#include <signal.h>

#include "actors/control_plane.hpp"
#include "actors/node_client.hpp"
#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"

using namespace std::chrono_literals;
using remora::testing::child_process;
using remora::testing::stats_of;

TEST_CASE("a client's objects are its own: others can neither free nor look them up",
          "[client][lease]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(1, options);
  remora::actors::control_plane cp;
  remora::actors::node_client::options a, b, a_again;
  a.address = b.address = a_again.address =
      *remora::actors::node_address::parse(options.memory_nodes()[0]);
  a.owner = a_again.owner = 77;  // two connections of one client runtime
  auto first = remora::actors::node_client::connect(cp, a);
  auto other = remora::actors::node_client::connect(cp, b);
  auto second = remora::actors::node_client::connect(cp, a_again);
  REQUIRE((first.ok() && other.ok() && second.ok()));
  const std::vector<std::uint64_t> ids{1001, 1002};
  REQUIRE((*first)->allocate(ids, std::vector<std::uint32_t>{64, 64}).ok());
  auto peek = (*other)->lookup(ids);
  REQUIRE_FALSE(peek.ok());
  CHECK(peek.err().code == remora::transport::errc::unknown_object);
  auto steal = (*other)->free(ids);
  REQUIRE_FALSE(steal.ok());
  CHECK(steal.err().code == remora::transport::errc::unknown_object);
  CHECK((*second)->lookup(ids).ok());  // the same owner, another connection
  CHECK((*second)->free(ids).ok());
}

TEST_CASE("a session is bound to its client's connection: its id is of no use elsewhere",
          "[client][lease]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(1, options);
  const std::string where = options.memory_nodes()[0];
  remora::actors::control_plane cp;
  remora::actors::node_client::options o;
  o.address = *remora::actors::node_address::parse(where);
  auto client = remora::actors::node_client::connect(cp, o);
  REQUIRE(client.ok());
  const std::vector<std::uint64_t> ids{0x51};
  REQUIRE((*client)->allocate(ids, std::vector<std::uint32_t>{64}).ok());
  char session[32], id[32];
  std::snprintf(session, sizeof session, "%llx", (unsigned long long)(*client)->session());
  std::snprintf(id, sizeof id, "%llx", (unsigned long long)ids[0]);
  // Another process that names the session is refused.
  child_process thief({REMORA_USE_SESSION, where, session, id});
  const auto line = thief.wait_for_line("lookup", 30s);
  REQUIRE(line.has_value());
  CHECK(line->find("lookup refused") != std::string::npos);
  CHECK(line->find("no such session") != std::string::npos);
  CHECK(thief.wait_exit(20s) == 1);
  // Its own client goes on.
  CHECK((*client)->lookup(ids).ok());
}

TEST_CASE("a client that dies leaves nothing behind once its lease lapses", "[client][lease]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(1, options, {"--lease-grace=2s"});
  const std::string where = options.memory_nodes()[0];
  remora::actors::control_plane cp;
  child_process holder({REMORA_HOLD_OBJECTS, where, "20000"});
  REQUIRE(holder.wait_for_line("holding", 60s).has_value());
  const auto held = stats_of(cp, where).objects;
  CHECK(held > 10'000);
  // Alive, it keeps them past the grace (its connections stay open).
  std::this_thread::sleep_for(3s);
  CHECK(stats_of(cp, where).objects == held);
  holder.signal(SIGKILL);
  CHECK(holder.wait_exit(10s).has_value());
  CHECK(remora::testing::eventually([&] { return stats_of(cp, where).objects == 0; }, 30s));
  const auto s = stats_of(cp, where);
  CHECK(s.leases_lapsed == 1);
  CHECK(s.objects_reclaimed == held);
  // A new client goes on as if nothing had been there.
  remora::Runtime rt(options.dram_cache(4 << 20));
  remora::testing::wide_objects objects;
  remora::testing::add_wide(rt, objects, 20'000);
  CHECK(remora::testing::wrong_reads(objects) == 0);
}

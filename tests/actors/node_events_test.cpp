// node_events: one line about what changed, with its level; nothing when
// nothing did.
#include "actors/node_events.hpp"

#include <catch2/catch.hpp>

using remora::actors::node_events;
using remora::actors::node_stats;

TEST_CASE(
    "node events: clients, spilling started, on and stopped, refusals, lapsed leases, closed "
    "connections",
    "[node_events]") {
  node_stats s;
  s.capacity = 1000;
  node_events events(s);
  CHECK_FALSE(events.next(s).has_value());  // a quiet second
  s.sessions = 2;
  CHECK(events.next(s) == "info: 2 client(s) connected (+2)");
  s.spills = 10;
  s.spilled_objects = 10;
  s.spilled_bytes = 4096;
  s.used = 850;
  CHECK(events.next(s) == "info: spilling started: 10 object(s) out, 4.0 KiB spilled, use 85 %");
  s.spills = 15;
  CHECK(events.next(s)->starts_with("info: spilling: 5 object(s) out"));
  CHECK(events.next(s) == "info: spilling stopped: 10 object(s), 4.0 KiB spilled, use 85 %");
  CHECK_FALSE(events.next(s).has_value());
  s.sessions = 1;
  s.errors = 3;
  s.leases_lapsed = 1;
  s.objects_reclaimed = 7;
  CHECK(events.next(s) ==
        "warn: 3 request(s) refused; 1 client(s) gone past their lease, 7 object(s) freed; 1 "
        "client(s) connected (-1)");
  s.leaving = true;
  s.unspills = 4;
  CHECK(events.next(s) == "info: 4 object(s) back from disk; draining: takes no new objects");
  s.connections_expired = 2;
  s.connections_oversize = 16;
  CHECK(events.next(s) ==
        "warn: 18 connection(s) closed before admission (+0 past --max-connections, +2 past "
        "--handshake-timeout, +16 asked to read too much, +0 without a known token)");
  CHECK_FALSE(events.next(s).has_value());
}

// node_stats: what a memory node reports about itself (remora-ctl stats).
// One-sided reads and writes never reach the node's CPU, so it cannot count
// them: bytes_served counts the payload of objects it located for clients.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace remora::actors {

struct node_stats {
  std::uint64_t capacity = 0;     // arena bytes
  std::uint64_t used = 0;         // arena bytes held by slots
  std::uint64_t objects = 0;      // live objects, resident or spilled
  std::uint64_t table_bytes = 0;  // the node's own memory for them, beside the arena
  std::uint64_t spilled_objects = 0;
  std::uint64_t spilled_bytes = 0;
  std::uint64_t spills = 0;             // objects moved to disk so far
  std::uint64_t unspills = 0;           // objects brought back so far
  std::uint64_t clean_spills = 0;       // spills that wrote nothing: the bytes were on disk
  std::uint64_t room_waits = 0;         // allocations that waited for quarantined slots
  std::uint64_t requests = 0;           // control-plane requests handled
  std::uint64_t errors = 0;             // of which refused
  std::uint64_t bytes_served = 0;       // payload bytes of objects located for clients
  std::uint64_t sessions = 0;           // clients connected now
  bool leaving = false;                 // being drained (remora-ctl drain): takes no new objects
  std::uint64_t leases_lapsed = 0;      // clients gone past the lease grace, leaving objects
  std::uint64_t objects_reclaimed = 0;  // their objects, freed
  std::uint64_t published = 0;          // arrays published (named) now
  std::uint64_t publications_held = 0;  // of which, and unpublished ones still viewed
  // Its front door (front_door.hpp): connections open now; and closed so
  // far as accepted (the cap), for not being admitted in time, for asking to
  // read more than an unadmitted peer may, or for not opening with a token
  // of the node's (TCP).
  std::uint64_t connections = 0, connections_refused = 0, connections_expired = 0,
                connections_oversize = 0, connections_unknown = 0;
  // With tenants (--tenants=FILE): each one's name, payload bytes held and quota.
  std::vector<std::string> tenant_names;
  std::vector<std::uint64_t> tenant_used, tenant_quota;
  // The server: its version, process and age; the arena's spill watermarks
  // (fractions of capacity); what RocksDB holds on disk and in memtables.
  std::string version;
  std::uint64_t pid = 0, uptime_ms = 0;
  double high_watermark = 0, low_watermark = 0;
  std::uint64_t spill_disk_bytes = 0;
  // Control requests' handling times (request_latency.hpp): for each kind
  // seen, its counts in the latency buckets, kind after kind, and the sum
  // of its times in microseconds.
  std::vector<std::string> latency_kinds;
  std::vector<std::uint64_t> latency_counts;
  std::vector<double> latency_sum_us;
};

}  // namespace remora::actors

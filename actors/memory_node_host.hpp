// memory_node_host: everything one memory node is, assembled in the right
// order — UCX context and worker, the arena (registered memory + RocksDB
// spill), the progress thread that serves TCP-emulated RMA, and the
// memory_node actor. remora-memnode runs one and publishes it; the client
// runtime embeds one in-process when no memory node is configured.
//
// Thread-safety: start and destroy from one thread. Destruction stops the
// actor, then progress, then closes the arena and the spill.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/control_plane.hpp"
#include "actors/front_door.hpp"
#include "actors/memory_node.hpp"
#include "storage/arena.hpp"
#include "transport/result.hpp"

namespace remora::actors {

class memory_node_host {
 public:
  struct options {
    storage::arena::options arena;
    std::string auth_token;                         // empty: no authentication
    std::string net_devices;                        // UCX devices for data (transport/context.hpp)
    bool test_hooks = false;                        // serve fault-injection requests (tests only)
    std::chrono::milliseconds lease_grace{30'000};  // memory_node.hpp
    std::vector<tenant_config> tenants;             // memory_node.hpp
    // With tenants, data moves only over transports that check remote keys
    // (transport/context.hpp: checked_rma_only), unless this is set.
    bool tenants_over_tcp = false;
    // What a drained node does when told to leave (memory_node.hpp); empty:
    // it cannot leave.
    std::function<void()> leave;
    // What an unadmitted peer may do (front_door.hpp).
    front_door::options door;
  };

  static transport::result<std::unique_ptr<memory_node_host>> start(control_plane& cp,
                                                                    const options& o);
  ~memory_node_host();

  /// Makes the node reachable on host:port (0: a free one); returns the port.
  transport::result<std::uint16_t> publish(const std::string& host, std::uint16_t port);
  /// Stops accepting new clients; those connected keep working.
  void unpublish();
  /// Waits until every client said goodbye or went away, or `timeout` passed;
  /// returns how many are still connected.
  std::uint64_t drain(std::chrono::milliseconds timeout);

  std::uint64_t node_id() const;
  /// The node's figures (remora-ctl stats), or nothing when it does not
  /// answer within a second.
  std::optional<node_stats> stats() const;
  /// The UCX transports and devices data can move over ("tcp/eth0", ...).
  std::vector<std::string> transports() const;
  /// The size of the pages the kernel backs the arena with (2 MiB when UCX
  /// took reserved huge pages); nothing when it cannot tell.
  std::optional<std::size_t> arena_page_bytes() const;

  struct impl;

 private:
  explicit memory_node_host(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace remora::actors

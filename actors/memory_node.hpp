// memory_node: the actor that serves one memory node's arena to clients.
// It authenticates hellos, keeps sessions (monitoring each client so a
// vanished one is forgotten), and turns alloc / free / lookup batches into
// arena calls; refused requests get a typed error and change nothing.
//
// It runs detached, on a thread of its own: spilling and unspilling block on
// RocksDB, and that must not stall the scheduler's other actors. Its arena is
// touched by no other thread (remote clients go through the slot protocol).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "storage/arena.hpp"
#include "transport/blob.hpp"

namespace remora::actors {

class front_door;

// A tenant (remora-memnode --tenants=FILE): clients that give its token
// are its clients; its objects hold at most `quota` bytes of payload.
struct tenant_config {
  std::string name, token;
  std::uint64_t quota = 0;
};

struct memory_node_setup {
  storage::arena* arena = nullptr;  // REQUIRES: outlives the actor
  transport::bytes worker_address;  // sealed, of the node's UCX worker
  // Sealed remote keys of the arena's partitions, by tenant: a client is
  // given its tenant's, which reaches that tenant's memory alone.
  std::vector<transport::bytes> arena_keys;
  std::string auth_token;              // empty: no authentication (unless tenants)
  std::vector<tenant_config> tenants;  // none: one tenant, auth_token's
  std::uint64_t node_id = 0;
  bool test_hooks = false;  // serve damage requests (tests of integrity)
  // How long a client runtime may be gone (every connection of it closed)
  // before its objects are freed: a reconnect within it keeps them.
  std::chrono::milliseconds lease_grace{30'000};
  // Called (on the node's thread) when a drained node is told to leave: its
  // process leaves the cluster and stops. Empty: the node cannot leave (an
  // embedded one).
  std::function<void()> leave;
  // The door the node is published behind, which its hellos admit
  // connections through; none: nothing to admit (a node no one connects to).
  std::shared_ptr<front_door> door;
};

memory_node_actor spawn_memory_node(caf::actor_system& sys, memory_node_setup setup);

}  // namespace remora::actors

// node_far_store: the plain far_store (objects/far_store.hpp): one
// node_client per memory node and thread, from a node_clients pool, and the
// nodes' health (node_health: heartbeats and a watch on each node's control
// connection, which also say when a node is being drained). Connects to
// every node when made, so that a bad address fails at once. Nodes may join
// later (add(): a member that registered in etcd); none is ever removed, a
// node that left is dead. Payloads are packed for the network, and unpacked
// from any node, by packed_objects.
//
// Thread-safety: as far_store. REQUIRES: the control plane outlives it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/control_plane.hpp"
#include "actors/node_client.hpp"
#include "client/node_clients.hpp"
#include "client/node_health.hpp"
#include "client/packed_objects.hpp"
#include "objects/far_store.hpp"
#include "transport/mutex.hpp"

namespace remora::client {

class node_far_store final : public objects::far_store {
 public:
  struct options {
    std::string auth_token;
    std::chrono::milliseconds timeout{5000};
    std::string net_devices;                 // UCX devices for data; empty: the default
    std::chrono::milliseconds dead_after{};  // 0: node_health's default
    // Whether membership says `node` left (its lease in etcd ended): then an
    // unreachable node is dead at once. Empty: no membership.
    std::function<bool(const actors::node_address& node)> left;
    // Which objects written over the network are packed
    // (client/packed_objects.hpp).
    Options::compression compress_links = Options::compression::off;
  };
  /// Throws what connecting throws (NodeUnavailable, AuthError, ...).
  node_far_store(actors::control_plane& cp, std::vector<actors::node_address> nodes, options o);
  ~node_far_store() override;  // closes every client

  std::uint32_t nodes() const override { return health_->nodes(); }
  std::uint64_t node_id(std::uint32_t node) const override { return health_->id(node); }
  bool reachable(std::uint32_t node) const override { return health_->reachable(node); }
  void connect() override;
  bool connected(std::uint32_t node) const override {
    return reachable(node) && clients_->holds(node);
  }
  bool dead(std::uint32_t node) const override { return health_->dead(node); }
  bool leaving(std::uint32_t node) const override { return health_->leaving(node); }
  std::uint64_t epoch() const override { return health_->epoch(); }
  std::string describe(std::uint32_t node) const override { return nodes_[node].to_string(); }

  /// A node joins: connects to it (what connecting throws comes back as an
  /// error). A node listed already (by address) changes nothing.
  transport::result<void> add(const actors::node_address& node);
  /// Whether `node` is one of the nodes (by address), dead or alive.
  bool knows(const actors::node_address& node) const;

  transport::result<void> allocate(std::uint32_t node,
                                   std::span<storage::object_location> where) override;
  transport::result<void> free(std::uint32_t node,
                               std::span<const storage::object_id> ids) override;
  using far_store::prefetch;
  void prefetch(std::uint32_t node, std::span<const std::uint64_t> offsets,
                std::size_t bytes) override;
  transport::result<void> read(std::uint32_t node, std::span<storage::object_location> where,
                               std::span<const std::span<std::byte>> into) override;
  transport::result<void> read_part(std::uint32_t node, storage::object_location& where,
                                    std::uint32_t from, std::span<std::byte> into) override;
  transport::result<void> write(std::uint32_t node, storage::object_location& where,
                                std::span<const std::byte> data) override;
  void write_many(std::uint32_t node, std::span<storage::object_location> where,
                  std::span<const std::span<const std::byte>> data,
                  std::span<transport::result<void>> outcome) override;
  // Small objects travel with their allocation (node_client::place): up to
  // 4 KiB over tcp, 64 B over shared memory; larger ones as allocate() and
  // write_many().
  void place(std::uint32_t node, std::span<storage::object_location> where,
             std::span<const std::span<const std::byte>> data,
             std::span<transport::result<void>> outcome) override;

  /// The calling thread's client of `node` (connected on first use): for
  /// requests beyond objects (blob stores). A failed connection as an error.
  transport::result<actors::node_client*> client(std::uint32_t node);
  /// client(node), or nullptr with every outcome failed as it did.
  actors::node_client* client_or_fail(std::uint32_t node,
                                      std::span<transport::result<void>> outcome);

  /// Objects read in packed form, and the payload bytes that spared their
  /// links.
  std::uint64_t packed_reads() const { return packed_.reads(); }
  std::uint64_t packed_bytes_saved() const { return packed_.bytes_saved(); }

  bool shares() const override { return true; }
  transport::result<void> publish(std::uint32_t node, std::uint64_t id, const std::string& name,
                                  std::span<const char> description,
                                  std::span<const storage::object_id> ids) override;
  transport::result<void> retract(std::uint32_t node, std::uint64_t id) override;
  transport::result<void> mend(std::uint32_t node, std::uint64_t id,
                               std::span<const char> description,
                               std::span<const storage::object_id> ids) override;
  transport::result<publication> open(std::uint32_t node, const std::string& name) override;
  transport::result<void> close(std::uint32_t node, std::uint64_t id) override;
  transport::result<void> unpublish(std::uint32_t node, const std::string& name) override;

 private:
  // Stages `data` for `c`'s node (packed_), has `write(staged)` write it,
  // timed for the link's pace, and notes what was written.
  template <class Write>
  void write_staged(std::uint32_t node, actors::node_client& c,
                    std::span<storage::object_location> where,
                    std::span<const std::span<const std::byte>> data,
                    std::span<transport::result<void>> outcome, Write write);
  // place() of what packed_ staged, on `c`'s node.
  void place_staged(actors::node_client* c, std::span<storage::object_location> where,
                    const packed_objects::staged& staged,
                    std::span<transport::result<void>> outcome);

  // max_nodes entries: each set before the health counts its node.
  std::unique_ptr<actors::node_address[]> nodes_;
  const std::uint64_t owner_;         // every client's objects at the nodes belong to this runtime
  mutable transport::mutex joining_;  // one add() at a time
  std::unique_ptr<node_clients> clients_;
  std::unique_ptr<node_health> health_;
  packed_objects packed_;
};

}  // namespace remora::client

// node_clients: the runtime's connections to its memory nodes, in sets of one
// node_client per node (each client has its own UCX worker, so a set is used
// by one thread at a time). A thread borrows a set on its first call to
// mine() and gives it back when it exits (prefetchers are threads too). Sets
// are reused rather than made per thread: a fresh set costs a worker and an
// endpoint per node. (Over shared memory every set reads through the one
// mapping of a node's region that the process holds: storage/remote_arena.)
// Clients connect lazily, on a set's first use of a node.
//
// Thread-safety: mine() may be called from any thread. REQUIRES: every
// thread that borrowed through mine() has stopped using its set before the
// node_clients is destroyed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "actors/node_client.hpp"

namespace remora::client {

class node_clients {
 public:
  using set = std::vector<std::unique_ptr<actors::node_client>>;
  // Opens the client of `node` in a set that lacks it.
  using connector =
      std::function<transport::result<std::unique_ptr<actors::node_client>>(std::uint32_t node)>;

  /// Sets have room for `max_nodes` nodes (nodes may join later).
  node_clients(std::uint32_t max_nodes, connector connect);
  ~node_clients();
  node_clients(const node_clients&) = delete;
  node_clients& operator=(const node_clients&) = delete;

  /// The calling thread's client of `node`, connected on first use.
  transport::result<actors::node_client*> mine(std::uint32_t node);

  /// Whether the calling thread's client of `node` is connected already
  /// (mine() would not connect).
  bool holds(std::uint32_t node) const;

  /// Every set, borrowed or not (to stop them all at the end).
  void clear();

  struct pool;  // the free sets; outlives this object while a thread gives one back

 private:
  set* take();
  transport::result<actors::node_client*> connected(set& s, std::uint32_t node);

  const std::uint32_t nodes_;
  const connector connect_;
  const std::uint64_t generation_;
  std::shared_ptr<pool> pool_;
};

}  // namespace remora::client

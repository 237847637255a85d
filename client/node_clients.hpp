// node_clients: the runtime's connections to its memory nodes, in sets of one
// node_client per node (each client has its own UCX worker, so a set is used
// by one thread at a time). A thread borrows a set on its first call to
// mine() and gives it back when it exits; a prefetcher borrows one for its
// life. Sets are reused rather than made per thread: a fresh set costs a
// worker, an endpoint and, over shared memory, a fresh mapping of the node's
// region whose first touches fault page by page (measured: ~1 s per 2 GiB
// scanned). Clients connect lazily, on a set's first use of a node.
//
// Thread-safety: borrow() and mine() may be called from any thread.
// REQUIRES: the node_clients outlives every lease, and every thread that
// borrowed through mine() has stopped using its set before it is destroyed.
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
  // Opens the client of `node` in a set that lacks it; throws on failure.
  using connector = std::function<std::unique_ptr<actors::node_client>(std::uint32_t node)>;

  node_clients(std::uint32_t nodes, connector connect);
  ~node_clients();
  node_clients(const node_clients&) = delete;
  node_clients& operator=(const node_clients&) = delete;

  /// A set held until the lease ends.
  class lease {
   public:
    lease(lease&& other) noexcept : owner_(other.owner_), set_(other.set_) { other.set_ = nullptr; }
    lease& operator=(lease&&) = delete;
    ~lease();
    actors::node_client& to(std::uint32_t node) { return owner_->connected(*set_, node); }

   private:
    friend class node_clients;
    lease(node_clients* owner, set* s) : owner_(owner), set_(s) {}
    node_clients* owner_;
    set* set_;
  };
  lease borrow() { return lease(this, take()); }

  /// The calling thread's client of `node`.
  actors::node_client& mine(std::uint32_t node);

  /// Every set, borrowed or not (to stop them all at the end).
  void clear();

  struct pool;  // the free sets; outlives this object while a thread gives one back

 private:
  set* take();
  actors::node_client& connected(set& s, std::uint32_t node);

  const std::uint32_t nodes_;
  const connector connect_;
  const std::uint64_t generation_;
  std::shared_ptr<pool> pool_;
};

}  // namespace remora::client

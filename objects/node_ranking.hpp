// What the stores that spread an object over several nodes (replicas,
// erasure coding) share: the nodes ranked for an object, and frees that
// wait for a node to come back.
//
// Thread-safety: rank_reachable is a pure function of the store's state;
// pending_frees may be used from any number of threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <vector>

#include "objects/far_store.hpp"
#include "objects/rendezvous.hpp"

namespace remora::objects {

/// Every reachable node of `nodes`, best first for `id` (rendezvous).
inline std::vector<std::uint32_t> rank_reachable(const far_store& nodes, storage::object_id id) {
  std::vector<std::uint32_t> ranked;
  for (std::uint32_t n = 0; n < nodes.nodes(); ++n)
    if (nodes.reachable(n)) ranked.push_back(n);
  std::sort(ranked.begin(), ranked.end(), [&](std::uint32_t a, std::uint32_t b) {
    return rendezvous_score(id, nodes.node_id(a)) > rendezvous_score(id, nodes.node_id(b));
  });
  return ranked;
}

/// Frees of copies on nodes that cannot take them now: kept while the node
/// is only unreachable (it holds the copies still), dropped once it is dead
/// (it holds nothing any more).
class pending_frees {
 public:
  explicit pending_frees(far_store& nodes) : nodes_(nodes), frees_(nodes.nodes()) {}

  /// Frees `ids` on `node` now, or keeps them for when it is back.
  void free_on(std::uint32_t node, std::vector<storage::object_id> ids) {
    if (ids.empty() || nodes_.dead(node)) return;
    if (nodes_.reachable(node) && nodes_.free(node, ids)) return;
    std::lock_guard held(mutex_);
    frees_[node].insert(frees_[node].end(), ids.begin(), ids.end());
  }
  /// Tries again those whose node is back (or drops those of dead ones).
  void flush() {
    std::vector<std::vector<storage::object_id>> batch(frees_.size());
    {
      std::lock_guard held(mutex_);
      for (std::uint32_t n = 0; n < batch.size(); ++n)
        if (nodes_.reachable(n) || nodes_.dead(n)) batch[n].swap(frees_[n]);
    }
    for (std::uint32_t n = 0; n < batch.size(); ++n) free_on(n, std::move(batch[n]));
  }

 private:
  far_store& nodes_;
  std::mutex mutex_;
  std::vector<std::vector<storage::object_id>> frees_;  // GUARDED_BY(mutex_): per node
};

}  // namespace remora::objects

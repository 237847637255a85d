// pending_frees: frees on their way to memory nodes. They go in batches;
// those for a node that cannot take them now are kept while it is only
// unreachable (it holds the objects still) and dropped once it is dead (it
// holds nothing any more). The object store queues its frees here and
// flushes them in the background; the stores that keep several copies free
// at once and keep what a node could not take.
//
// Thread-safety: every member, from any number of threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "objects/far_store.hpp"
#include "objects/node_ranking.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

class pending_frees {
 public:
  /// Frees go to `nodes` at most `batch` ids a request.
  explicit pending_frees(far_store& nodes, std::size_t batch = SIZE_MAX)
      : nodes_(nodes), batch_(batch) {}

  /// Keeps a free of `id` on `node` for the next flush.
  void queue(std::uint32_t node, storage::object_id id) {
    transport::lock_guard held(mutex_);
    list(node).push_back(id);
  }
  /// Frees `ids` on `node` now, or keeps what it cannot take for later.
  void free_on(std::uint32_t node, std::vector<storage::object_id> ids) {
    if (ids.empty() || nodes_.dead(node)) return;
    std::size_t first = 0;
    while (first < ids.size() && nodes_.reachable(node)) {
      const auto part = std::span(ids).subspan(first, std::min(batch_, ids.size() - first));
      if (!nodes_.free(node, part)) break;  // it went meanwhile: the rest waits too
      first += part.size();
    }
    if (first == ids.size() || nodes_.dead(node)) return;
    transport::lock_guard held(mutex_);
    list(node).insert(list(node).end(), ids.begin() + first, ids.end());
  }
  /// free_on for each node's list in `lists` (emptied): one request a node
  /// for frees collected while a lock was held.
  void free_on(by_node<std::vector<storage::object_id>>& lists) {
    for (std::uint32_t n = 0; n < lists.size(); ++n) free_on(n, std::move(lists[n]));
  }
  /// Tries again everything kept (dropping what dead nodes had).
  void flush() {
    std::vector<std::vector<storage::object_id>> batch;
    {
      transport::lock_guard held(mutex_);
      batch.resize(frees_.size());
      for (std::uint32_t n = 0; n < batch.size(); ++n)
        if (nodes_.reachable(n) || nodes_.dead(n)) batch[n].swap(frees_[n]);
    }
    for (std::uint32_t n = 0; n < batch.size(); ++n) free_on(n, std::move(batch[n]));
  }

 private:
  // Nodes may join.
  std::vector<storage::object_id>& list(std::uint32_t node) REMORA_REQUIRES(mutex_) {
    if (node >= frees_.size()) frees_.resize(node + 1);
    return frees_[node];
  }

  far_store& nodes_;
  const std::size_t batch_;
  transport::mutex mutex_;
  std::vector<std::vector<storage::object_id>> frees_ REMORA_GUARDED_BY(mutex_);  // per node
};

}  // namespace remora::objects

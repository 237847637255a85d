// rank_reachable: the nodes ranked for an object, as the stores that spread
// it over several nodes (replicas, erasure coding) place it; by_node: work
// sorted per node, for a node list that may grow meanwhile.
//
// Thread-safety: rank_reachable is a pure function of the store's state;
// a by_node is one thread's.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "objects/far_store.hpp"
#include "objects/rendezvous.hpp"

namespace remora::objects {

/// Every reachable node of `nodes` that is not leaving, best first for `id`
/// (rendezvous).
inline std::vector<std::uint32_t> rank_reachable(const far_store& nodes, storage::object_id id) {
  std::vector<std::uint32_t> ranked;
  const std::uint32_t count = nodes.nodes();
  for (std::uint32_t n = 0; n < count; ++n)
    if (nodes.reachable(n) && !nodes.leaving(n)) ranked.push_back(n);
  std::sort(ranked.begin(), ranked.end(), [&](std::uint32_t a, std::uint32_t b) {
    return rendezvous_score(id, nodes.node_id(a)) > rendezvous_score(id, nodes.node_id(b));
  });
  return ranked;
}

/// The `count` nodes ranked highest for `id` among those neither dead nor
/// leaving, reachable or not: where its copies (or columns) belong now.
inline std::vector<std::uint32_t> owners(const far_store& nodes, std::uint64_t id,
                                         std::uint32_t count) {
  std::vector<std::uint32_t> ranked;
  const std::uint32_t all = nodes.nodes();
  for (std::uint32_t n = 0; n < all; ++n)
    if (!nodes.dead(n) && !nodes.leaving(n)) ranked.push_back(n);
  std::sort(ranked.begin(), ranked.end(), [&](std::uint32_t a, std::uint32_t b) {
    return rendezvous_score(id, nodes.node_id(a)) > rendezvous_score(id, nodes.node_id(b));
  });
  if (ranked.size() > count) ranked.resize(count);
  return ranked;
}

/// Per-node lists that grow to any node index asked for (a node may join
/// while the work is sorted).
template <class T>
class by_node {
 public:
  T& operator[](std::uint32_t node) {
    if (node >= lists_.size()) lists_.resize(node + 1);
    return lists_[node];
  }
  std::uint32_t size() const { return static_cast<std::uint32_t>(lists_.size()); }

 private:
  std::vector<T> lists_;
};

}  // namespace remora::objects

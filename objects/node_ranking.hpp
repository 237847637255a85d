// rank_reachable: the nodes ranked for an object, as the stores that spread
// it over several nodes (replicas, erasure coding) place it.
//
// Thread-safety: a pure function of the store's state.
#pragma once

#include <algorithm>
#include <cstdint>
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

}  // namespace remora::objects

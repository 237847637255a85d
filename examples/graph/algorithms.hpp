// PageRank and BFS, written once over any graph with csr's walks (csr.hpp):
// the in-memory csr and the Remora-backed far_csr run the same code, so
// their results must agree exactly. Ranks and depths are local vectors
// (8 and 4 bytes a vertex); the edges are the graph's. Single-threaded.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace graph {

inline constexpr double damping = 0.85;

/// PageRank by pushing each vertex's rank along its out edges; the rank of
/// vertices without out edges is spread over all. Calls on_iteration(i)
/// after iteration i (1-based). REQUIRES: g has at least one vertex.
template <class Graph, class OnIteration>
std::vector<double> pagerank(Graph& g, int iterations, OnIteration&& on_iteration) {
  const std::size_t n = g.vertices();
  std::vector<double> rank(n, 1.0 / n), next(n);
  for (int i = 1; i <= iterations; ++i) {
    std::fill(next.begin(), next.end(), 0.0);
    double dangling = 0;
    g.for_each_vertex(
        [&](std::uint32_t u, std::uint64_t degree, std::span<const std::uint32_t> piece) {
          if (degree == 0) {
            dangling += rank[u];
            return;
          }
          const double share = rank[u] / static_cast<double>(degree);
          for (std::uint32_t v : piece) next[v] += share;
        });
    const double base = (1 - damping) / n + damping * dangling / n;
    for (std::size_t v = 0; v < n; ++v) rank[v] = base + damping * next[v];
    on_iteration(i);
  }
  return rank;
}

struct bfs_result {
  std::vector<std::int32_t> depth;  // -1: not reached
  std::uint64_t edges_traversed = 0;
};

/// Level-synchronous top-down BFS along out edges from `source`. Calls
/// on_level(level, frontier size) after expanding each level.
/// REQUIRES: source < g.vertices().
template <class Graph, class OnLevel>
bfs_result bfs(Graph& g, std::uint32_t source, OnLevel&& on_level) {
  bfs_result r;
  r.depth.assign(g.vertices(), -1);
  r.depth[source] = 0;
  std::vector<std::uint32_t> frontier{source}, next;
  for (std::int32_t level = 0; !frontier.empty(); ++level) {
    next.clear();
    g.expand(frontier, [&](std::span<const std::uint32_t> piece) {
      r.edges_traversed += piece.size();
      for (std::uint32_t v : piece)
        if (r.depth[v] < 0) {
          r.depth[v] = level + 1;
          next.push_back(v);
        }
    });
    on_level(level, frontier.size());
    frontier.swap(next);
  }
  return r;
}

}  // namespace graph

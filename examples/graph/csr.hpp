// csr: a directed graph in compressed sparse rows, in plain memory. The out
// edges of vertex u are targets[offsets[u] .. offsets[u+1]). It is the
// in-memory baseline of remora-graph, laid out as far_csr (far_csr.hpp) is
// in Remora. Its walks are the interface the algorithms (algorithms.hpp)
// are written against:
//   for_each_vertex(f)   every vertex in order: f(u, degree, piece) for each
//                        piece of u's edges (once with an empty piece when u
//                        has none); for_each_vertex(f, lo, hi) the vertices
//                        [lo, hi) only
//   offset(v)            where v's edges begin
//   expand(frontier, f)  f(piece) for the edges of each frontier vertex
// Thread-safety: const walks from any number of threads at once.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "graph/edge_list.hpp"

namespace graph {

struct csr {
  std::vector<std::uint64_t> offsets;  // vertices + 1
  std::vector<std::uint32_t> targets;  // edges

  std::uint32_t vertices() const { return static_cast<std::uint32_t>(offsets.size() - 1); }
  std::uint64_t edges() const { return targets.size(); }

  std::uint64_t offset(std::uint32_t v) const { return offsets[v]; }

  template <class F>
  void for_each_vertex(F&& f) const {
    for_each_vertex(f, 0, vertices());
  }
  /// The walk over vertices [lo, hi) only.
  template <class F>
  void for_each_vertex(F&& f, std::uint32_t lo, std::uint32_t hi) const {
    for (std::uint32_t u = lo; u < hi; ++u) {
      const std::uint64_t begin = offsets[u], end = offsets[u + 1];
      f(u, end - begin, std::span<const std::uint32_t>(targets.data() + begin, end - begin));
    }
  }

  template <class F>
  void expand(const std::vector<std::uint32_t>& frontier, F&& f) const {
    for (std::uint32_t u : frontier)
      f(std::span<const std::uint32_t>(targets.data() + offsets[u], offsets[u + 1] - offsets[u]));
  }
};

/// Counting sort by source; a vertex's targets keep the input's order.
/// `reversed`: by target, the sources of each vertex's in-edges (the
/// transpose).
inline csr build_csr(const edge_list& list, bool reversed = false) {
  auto near = [reversed](const edge& e) { return reversed ? e.dst : e.src; };
  auto far = [reversed](const edge& e) { return reversed ? e.src : e.dst; };
  csr g;
  g.offsets.assign(list.vertices + 1, 0);
  for (const edge& e : list.edges) ++g.offsets[near(e) + 1];
  for (std::size_t u = 0; u < list.vertices; ++u) g.offsets[u + 1] += g.offsets[u];
  std::vector<std::uint64_t> fill(g.offsets.begin(), g.offsets.end() - 1);
  g.targets.resize(list.edges.size());
  for (const edge& e : list.edges) g.targets[fill[near(e)]++] = far(e);
  return g;
}

}  // namespace graph

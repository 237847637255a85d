// PageRank pulling over in-edges with every array where the caller puts it —
// in-offsets, sources, out-degrees, ranks and contributions — written the
// obvious way: at() per element and a scope per vertex. remora-graph
// --vertex-state=far runs it with all five in Remora Arrays (far_pull); with
// --in-memory, the same loop runs over vectors (local_array, no scope). On
// any number of threads, each writing its own chunks.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include <remora/remora.hpp>

#include "graph/algorithms.hpp"
#include "graph/edge_list.hpp"

namespace graph {

/// In-edges in compressed sparse rows (the sources of v's in-edges are
/// sources[in_offsets[v] .. in_offsets[v+1])), and each vertex's out-degree.
struct pull_graph {
  std::vector<std::uint64_t> in_offsets;   // vertices + 1
  std::vector<std::uint32_t> sources;      // edges
  std::vector<std::uint32_t> out_degrees;  // vertices

  std::uint32_t vertices() const { return static_cast<std::uint32_t>(out_degrees.size()); }
  std::uint64_t edges() const { return sources.size(); }
  /// What the five arrays of a graph this size hold, in bytes.
  static std::uint64_t bytes(std::uint64_t vertices, std::uint64_t edges) {
    return (vertices + 1) * 8 + edges * 4 + vertices * (4 + 8 + 8);
  }
};

/// Counting sort by destination.
inline pull_graph build_pull(const edge_list& list) {
  pull_graph g;
  g.in_offsets.assign(list.vertices + 1, 0);
  g.out_degrees.assign(list.vertices, 0);
  for (const edge& e : list.edges) {
    ++g.in_offsets[e.dst + 1];
    ++g.out_degrees[e.src];
  }
  for (std::size_t v = 0; v < list.vertices; ++v) g.in_offsets[v + 1] += g.in_offsets[v];
  std::vector<std::uint64_t> fill(g.in_offsets.begin(), g.in_offsets.end() - 1);
  g.sources.resize(list.edges.size());
  for (const edge& e : list.edges) g.sources[fill[e.dst]++] = e.src;
  return g;
}

/// A vector with Array's element access, for the in-memory run of the loop.
template <class T>
struct local_array {
  std::vector<T> v;
  template <class Scope>
  const T& at(Scope&, std::size_t i) const {
    return v[i];
  }
  template <class Scope>
  T& at_mut(Scope&, std::size_t i) {
    return v[i];
  }
};
struct no_scope {};

/// The five arrays, as vectors (Array = local_array, Scope = no_scope) or in
/// Remora (Array = remora::Array, Scope = remora::DerefScope).
template <template <class> class Array>
struct pull_arrays {
  Array<std::uint64_t> in_offsets;
  Array<std::uint32_t> sources;
  Array<std::uint32_t> out_degrees;
  Array<double> ranks;
  Array<double> contributions;
  std::uint32_t vertices = 0;
  std::uint64_t edges = 0;
};

/// The in-edges of `a` as split_by_edges (algorithms.hpp) walks a graph.
template <class Scope, class Arrays>
struct in_edges_of {
  Arrays& a;
  std::uint32_t vertices() const { return a.vertices; }
  std::uint64_t offset(std::uint32_t v) const {
    Scope scope;
    return a.in_offsets.at(scope, v);
  }
};

/// PageRank by pulling: each iteration computes every vertex's contribution
/// (rank over out-degree; dangling rank spread over all), then each vertex
/// sums its in-neighbours' contributions. Calls on_iteration(i) after
/// iteration i; the ranks stay in a.ranks. With `threads` > 1 the
/// contributions are made a block of vertices at a time (vertex_block,
/// algorithms.hpp) and the sums and ranks over parts of about as many
/// in-edges each, both taken by whichever thread is free (on_parts); blocks
/// and parts start at a chunk of ranks and contributions, so no two threads
/// write into one chunk. Every thread reads every array. The dangling rank
/// is summed a block at a time in block order: the same result on any
/// number of threads, whatever the arrays are stored in.
template <class Scope, class Arrays, class OnIteration>
void pagerank_pull(Arrays& a, int iterations, OnIteration&& on_iteration, unsigned threads = 1) {
  const std::uint32_t n = a.vertices;
  for (std::uint32_t v = 0; v < n; ++v) {
    Scope scope;
    a.ranks.at_mut(scope, v) = 1.0 / n;
  }
  constexpr auto per_chunk =
      static_cast<std::uint32_t>(std::bit_floor(remora::array_chunk_bytes / sizeof(double)));
  static_assert(vertex_block % per_chunk == 0, "blocks start at a chunk");
  const std::vector<std::uint32_t> parts =
      parts_by_edges(in_edges_of<Scope, Arrays>{a}, threads, per_chunk);
  std::vector<double> danglings(vertex_blocks(n));
  for (int i = 1; i <= iterations; ++i) {
    on_parts(threads, danglings.size(), [&](std::size_t b) {
      const auto [lo, hi] = block_range(b, n);
      double dangling = 0;
      for (std::uint32_t v = lo; v < hi; ++v) {
        Scope scope;
        const std::uint32_t degree = a.out_degrees.at(scope, v);
        const double rank = a.ranks.at(scope, v);
        if (degree == 0) dangling += rank;
        a.contributions.at_mut(scope, v) = degree == 0 ? 0.0 : rank / degree;
      }
      danglings[b] = dangling;
    });
    double dangling = 0;
    for (double d : danglings) dangling += d;
    const double base = (1 - damping) / n + damping * dangling / n;
    on_parts(threads, parts.size() - 1, [&](std::size_t p) {
      for (std::uint32_t v = parts[p]; v < parts[p + 1]; ++v) {
        Scope scope;
        const std::uint64_t begin = a.in_offsets.at(scope, v), end = a.in_offsets.at(scope, v + 1);
        double sum = 0;
        for (std::uint64_t e = begin; e < end; ++e)
          sum += a.contributions.at(scope, a.sources.at(scope, e));
        a.ranks.at_mut(scope, v) = base + damping * sum;
      }
    });
    on_iteration(i);
  }
}

/// The arrays of `g` as vectors.
inline pull_arrays<local_array> local_pull(pull_graph g) {
  pull_arrays<local_array> a;
  a.vertices = g.vertices();
  a.edges = g.edges();
  a.in_offsets.v = std::move(g.in_offsets);
  a.sources.v = std::move(g.sources);
  a.out_degrees.v = std::move(g.out_degrees);
  a.ranks.v.assign(a.vertices, 0.0);
  a.contributions.v.assign(a.vertices, 0.0);
  return a;
}

template <class T>
void copy_into(remora::Array<T>& to, const std::vector<T>& from) {
  to.prefetch(remora::order::sequential());
  for (std::size_t at = 0; at < from.size();) {
    remora::DerefScope scope;
    const std::span<T> s = to.span_mut(scope, at);
    std::copy_n(from.begin() + at, s.size(), s.begin());
    at += s.size();
  }
  to.prefetch(remora::order::none());
}

/// The arrays of `g` in Remora Arrays of `rt`.
inline pull_arrays<remora::Array> far_pull(remora::Runtime& rt, const pull_graph& g) {
  pull_arrays<remora::Array> a{rt.make_array<std::uint64_t>(g.in_offsets.size()),
                               rt.make_array<std::uint32_t>(g.sources.size()),
                               rt.make_array<std::uint32_t>(g.out_degrees.size()),
                               rt.make_array<double>(g.vertices()),
                               rt.make_array<double>(g.vertices()),
                               g.vertices(),
                               g.edges()};
  copy_into(a.in_offsets, g.in_offsets);
  copy_into(a.sources, g.sources);
  copy_into(a.out_degrees, g.out_degrees);
  return a;
}

/// An Array's elements, read back into a vector (copy_into's inverse).
template <class T>
std::vector<T> copy_out(remora::Array<T>& from) {
  std::vector<T> out(from.size());
  for (std::size_t at = 0; at < out.size();) {
    remora::DerefScope scope;
    const std::span<const T> s = from.span(scope, at);
    std::copy(s.begin(), s.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
    at += s.size();
  }
  return out;
}

/// The ranks, read back into a vector.
inline std::vector<double> ranks_of(pull_arrays<local_array>& a) {
  return a.ranks.v;
}
inline std::vector<double> ranks_of(pull_arrays<remora::Array>& a) {
  return copy_out(a.ranks);
}

}  // namespace graph

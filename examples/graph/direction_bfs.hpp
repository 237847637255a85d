// Direction-optimizing BFS (Beamer, Asanović and Patterson, as GAPBS runs
// it): levels with a small frontier go top-down, expanding the frontier's
// out-edges (expand_level, algorithms.hpp); levels whose frontier's out-edges
// outweigh what is left to check go bottom-up: every vertex not yet reached
// looks through its in-edges for a parent in the frontier. A bottom-up level
// reads the in-edges in order, a range of vertices a thread, which is the
// walk the prefetcher follows best; it reads a vertex's in-edges whole even
// after a parent is found (a far walk does not skip), but stops looking.
//
// Written over csr's walks (csr.hpp), for the in-memory csr and far_csr
// alike: `out` holds the graph, `in` its transpose (the sources of each
// vertex's in-edges). The depths are those of top-down bfs; edges_traversed
// counts the edges each step looked at.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "graph/algorithms.hpp"

namespace graph {

/// GAPBS's switch points: go bottom-up once the frontier's out-edges are
/// more than 1/alpha of the edges not yet checked; back top-down once a
/// bottom-up frontier shrinks below vertices/beta.
struct direction_switch {
  std::uint64_t alpha = 15, beta = 18;
};

/// BFS from `source` along out-edges of `out`, `in` being its transpose.
/// Calls on_level(level, frontier size, bottom_up) after each level.
/// REQUIRES: source < out.vertices(); in is out's transpose.
template <class Graph, class OnLevel>
bfs_result direction_optimizing_bfs(Graph& out, Graph& in, std::uint32_t source, OnLevel&& on_level,
                                    unsigned threads = 1, direction_switch when = {}) {
  const std::uint32_t n = out.vertices();
  bfs_result r;
  r.depth.assign(n, -1);
  r.depth[source] = 0;
  const std::vector<std::uint32_t> degree = out_degrees(out, threads);  // to weigh a frontier
  // Bottom-up levels walk parts of about as many in-edges each, taken by
  // whichever thread is free (on_parts).
  const std::vector<std::uint32_t> parts = parts_by_edges(in, threads);
  std::vector<std::uint32_t> frontier{source}, next;
  std::vector<std::uint64_t> traversed(parts.size() - 1), awakened(parts.size() - 1);
  std::vector<std::uint8_t> in_frontier, in_next;  // bottom-up levels' frontiers
  std::uint64_t unchecked = out.edges(), scout = degree[source];
  std::int32_t level = 0;

  // One level top-down: the next frontier, and its out-edges in `scout`.
  auto top_down = [&] {
    next = expand_level(out, frontier, r, level, threads);
    scout = 0;
    for (std::uint32_t v : next) scout += degree[v];
  };
  // One level bottom-up over in_frontier into in_next: how many it reached.
  // Each part is one thread's, so depths need no atomics.
  auto bottom_up = [&] {
    std::fill(in_next.begin(), in_next.end(), 0);
    on_parts(threads, parts.size() - 1, [&](std::size_t t) {
      // Counted on this thread's stack, stored once: neighbouring parts'
      // counts share cache lines, which stores at every edge would bounce
      // between the threads.
      std::uint64_t edges = 0, woken = 0;
      in.for_each_vertex(
          [&](std::uint32_t v, std::uint64_t, std::span<const std::uint32_t> piece) {
            if (r.depth[v] >= 0) return;  // reached before, or by an earlier piece
            for (std::uint32_t u : piece) {
              ++edges;
              if (in_frontier[u]) {
                r.depth[v] = level + 1;
                in_next[v] = 1;
                ++woken;
                return;
              }
            }
          },
          parts[t], parts[t + 1]);
      traversed[t] = edges;
      awakened[t] = woken;
    });
    std::uint64_t reached = 0;
    for (std::size_t t = 0; t < traversed.size(); ++t) {
      r.edges_traversed += traversed[t];
      reached += awakened[t];
    }
    return reached;
  };

  while (!frontier.empty()) {
    if (scout > unchecked / when.alpha) {
      in_frontier.assign(n, 0);
      in_next.assign(n, 0);
      for (std::uint32_t v : frontier) in_frontier[v] = 1;
      std::uint64_t size = frontier.size(), last;
      do {
        last = size;
        size = bottom_up();
        on_level(level, last, true);
        ++level;
        in_frontier.swap(in_next);
      } while (size > 0 && (size >= last || size > n / when.beta));
      frontier.clear();
      for (std::uint32_t v = 0; v < n; ++v)
        if (in_frontier[v]) frontier.push_back(v);
      scout = 1;
      continue;
    }
    unchecked -= std::min(unchecked, scout);
    top_down();
    on_level(level, frontier.size(), false);
    ++level;
    frontier.swap(next);
  }
  return r;
}

}  // namespace graph

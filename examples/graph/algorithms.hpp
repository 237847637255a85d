// PageRank and BFS, written once over any graph with csr's walks (csr.hpp):
// the in-memory csr and the Remora-backed far_csr run the same code, so
// their results must agree exactly. Ranks and depths are local vectors
// (8 and 4 bytes a vertex); the edges are the graph's. Both run on any
// number of threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "graph/thread_pool.hpp"

namespace graph {

inline constexpr double damping = 0.85;

/// The team of `threads` threads the parallel steps run on: kept for the
/// process (and remade when another count is asked for), so that each
/// thread keeps its readers of the graph's arrays from step to step.
/// REQUIRES: called from one thread.
inline thread_pool& team(unsigned threads) {
  static std::unique_ptr<thread_pool> pool;
  if (!pool || pool->size() != threads) {
    pool.reset();
    pool = std::make_unique<thread_pool>(threads);
  }
  return *pool;
}

/// Runs work(t) for t = 0 .. threads-1 on the team (t = 0 on the caller's
/// thread) and waits for them all; rethrows what one of them threw.
template <class Work>
void on_threads(unsigned threads, Work&& work) {
  if (threads <= 1) {
    work(0u);
    return;
  }
  team(threads).run([&](unsigned t) { work(t); });
}

/// Runs work(p) for p = 0 .. parts-1 on the team, each part taken by the
/// next thread that is free (OpenMP's dynamic schedule): parts of uneven
/// cost even out. Waits for them all; rethrows what one of them threw.
template <class Work>
void on_parts(unsigned threads, std::size_t parts, Work&& work) {
  if (threads <= 1) {
    for (std::size_t p = 0; p < parts; ++p) work(p);
    return;
  }
  std::atomic<std::size_t> next{0};
  on_threads(threads, [&](unsigned) {
    for (std::size_t p = next++; p < parts; p = next++) work(p);
  });
}

/// Per-vertex steps run over fixed blocks of vertices: the same blocks on
/// any number of threads, so a sum made a block at a time and then over
/// the blocks in order comes out the same on any number of threads.
inline constexpr std::uint32_t vertex_block = 1u << 16;

inline std::size_t vertex_blocks(std::size_t vertices) {
  return (vertices + vertex_block - 1) / vertex_block;
}

/// The vertices [first, second) of block b of `vertices`.
inline std::pair<std::uint32_t, std::uint32_t> block_range(std::size_t b, std::uint32_t vertices) {
  const auto lo = static_cast<std::uint32_t>(b * vertex_block);
  return {lo, std::min(vertices, lo + vertex_block)};
}

/// Vertex ranges for `parts` threads with about as many edges each: the
/// first vertex of each part, then vertices(). Each part but the last
/// starts at a multiple of `align` vertices.
template <class Graph>
std::vector<std::uint32_t> split_by_edges(const Graph& g, unsigned parts, std::uint32_t align = 1) {
  const std::uint32_t n = g.vertices();
  const std::uint64_t edges = g.offset(n);
  std::vector<std::uint32_t> cut{0};
  for (unsigned p = 1; p < parts; ++p) {
    const std::uint64_t want = edges / parts * p;
    std::uint32_t lo = cut.back(), hi = n;  // the first v with offset(v) >= want
    while (lo < hi) {
      const std::uint32_t mid = lo + (hi - lo) / 2;
      if (g.offset(mid) < want)
        lo = mid + 1;
      else
        hi = mid;
    }
    cut.push_back(std::max(cut.back(), lo / align * align));
  }
  cut.push_back(n);
  return cut;
}

/// The parts a walk over edges on `threads` threads is cut into (on_parts,
/// split_by_edges): 8 a thread, so that the last one's tail is short and
/// each is still a long stream for the prefetcher; one on one thread.
template <class Graph>
std::vector<std::uint32_t> parts_by_edges(const Graph& g, unsigned threads,
                                          std::uint32_t align = 1) {
  return split_by_edges(g, threads > 1 ? threads * 8 : 1, align);
}

/// PageRank by pushing each vertex's rank along its out edges; the rank of
/// vertices without out edges is spread over all. Calls on_iteration(i)
/// after iteration i (1-based). With `threads` > 1 each thread pushes the
/// vertices of its range (about as many edges each) into a vector of its
/// own, and the vectors are summed in thread order: the same result for
/// the same thread count, whatever the graph is stored in.
/// REQUIRES: g has at least one vertex.
template <class Graph, class OnIteration>
std::vector<double> pagerank(Graph& g, int iterations, OnIteration&& on_iteration,
                             unsigned threads = 1) {
  const std::size_t n = g.vertices();
  std::vector<double> rank(n, 1.0 / n), next(n);
  const std::vector<std::uint32_t> cut =
      threads > 1 ? split_by_edges(g, threads) : std::vector<std::uint32_t>{};
  std::vector<std::vector<double>> nexts(threads > 1 ? threads : 0, std::vector<double>(n));
  std::vector<double> danglings(threads);
  auto push = [&](std::vector<double>& to, double& dangling) {
    return [&](std::uint32_t u, std::uint64_t degree, std::span<const std::uint32_t> piece) {
      if (degree == 0) {
        dangling += rank[u];
        return;
      }
      const double share = rank[u] / static_cast<double>(degree);
      for (std::uint32_t v : piece) to[v] += share;
    };
  };
  for (int i = 1; i <= iterations; ++i) {
    std::fill(next.begin(), next.end(), 0.0);
    double dangling = 0;
    if (threads <= 1) {
      g.for_each_vertex(push(next, dangling));
    } else {
      on_threads(threads, [&](unsigned t) {
        std::fill(nexts[t].begin(), nexts[t].end(), 0.0);
        double mine = 0;  // stored once: the threads' sums share a line
        g.for_each_vertex(push(nexts[t], mine), cut[t], cut[t + 1]);
        danglings[t] = mine;
      });
      for (unsigned t = 0; t < threads; ++t) {
        dangling += danglings[t];
        for (std::size_t v = 0; v < n; ++v) next[v] += nexts[t][v];
      }
    }
    const double base = (1 - damping) / n + damping * dangling / n;
    for (std::size_t v = 0; v < n; ++v) rank[v] = base + damping * next[v];
    on_iteration(i);
  }
  return rank;
}

/// Each vertex's out-degree, from g's offsets read in order (a block of
/// vertices at a time, on `threads` threads).
template <class Graph>
std::vector<std::uint32_t> out_degrees(const Graph& g, unsigned threads = 1) {
  const std::uint32_t n = g.vertices();
  std::vector<std::uint32_t> degree(n);
  on_parts(threads, vertex_blocks(n), [&](std::size_t b) {
    const auto [lo, hi] = block_range(b, n);
    std::uint64_t begin = g.offset(lo);
    for (std::uint32_t v = lo; v < hi; ++v) {
      const std::uint64_t end = g.offset(v + 1);
      degree[v] = static_cast<std::uint32_t>(end - begin);
      begin = end;
    }
  });
  return degree;
}

/// PageRank by pulling over in-edges, as GAPBS does: each vertex sums its
/// in-neighbours' contributions (rank over out-degree; the rank of vertices
/// without out-edges is spread over all). `in` is the graph's transpose and
/// `degree` its out-degrees (out_degrees()). With `threads` > 1 the sums
/// are made over parts of about as many in-edges each, taken by whichever
/// thread is free (on_parts): a vertex costs more than its in-edges, and
/// R-MAT's first vertices hold most of them, so a single range per thread
/// left one thread waiting for the other. New ranks and contributions are
/// made a block of vertices at a time. Every vertex is summed by one thread
/// in in-edge order and the dangling rank a block at a time in block order,
/// so the result does not depend on the thread count. Calls
/// on_iteration(i) after iteration i.
/// REQUIRES: in has at least one vertex.
template <class Graph, class OnIteration>
std::vector<double> pagerank_pull(Graph& in, const std::vector<std::uint32_t>& degree,
                                  int iterations, OnIteration&& on_iteration,
                                  unsigned threads = 1) {
  const std::size_t n = in.vertices();
  std::vector<double> rank(n, 1.0 / n), contribution(n), sum(n);
  const std::vector<std::uint32_t> parts = parts_by_edges(in, threads);
  std::vector<double> dangling(vertex_blocks(n));  // each block's vertices without out-edges
  // Block b's new ranks from `base` and their sums (none: the first ranks),
  // then their contributions and dangling rank.
  auto update = [&](std::size_t b, std::optional<double> base) {
    const auto [lo, hi] = block_range(b, static_cast<std::uint32_t>(n));
    double rest = 0;
    for (std::size_t v = lo; v < hi; ++v) {
      if (base) rank[v] = *base + damping * sum[v];
      if (degree[v] == 0) rest += rank[v];
      contribution[v] = degree[v] == 0 ? 0.0 : rank[v] / degree[v];
    }
    dangling[b] = rest;
  };
  // The dangling rank, spread over all.
  auto dangling_base = [&] {
    double rest = 0;
    for (double d : dangling) rest += d;
    return (1 - damping) / n + damping * rest / n;
  };
  on_parts(threads, dangling.size(), [&](std::size_t b) { update(b, std::nullopt); });
  for (int i = 1; i <= iterations; ++i) {
    const double base = dangling_base();
    on_parts(threads, parts.size() - 1, [&](std::size_t p) {
      std::fill(sum.begin() + parts[p], sum.begin() + parts[p + 1], 0.0);
      in.for_each_vertex(
          [&](std::uint32_t v, std::uint64_t, std::span<const std::uint32_t> piece) {
            double s = 0;
            for (std::uint32_t u : piece) s += contribution[u];
            sum[v] += s;
          },
          parts[p], parts[p + 1]);
    });
    on_parts(threads, dangling.size(), [&](std::size_t b) { update(b, base); });
    on_iteration(i);
  }
  return rank;
}

struct bfs_result {
  std::vector<std::int32_t> depth;  // -1: not reached
  std::uint64_t edges_traversed = 0;
};

/// One top-down BFS level: the vertices the frontier's out-edges reach
/// first get depth level + 1 and make the next frontier, returned; the
/// edges looked at are added to r.edges_traversed. With `threads` > 1 each
/// thread expands a share of the frontier and claims the vertices it
/// reaches first with a compare-and-swap on their depth; the next frontier
/// is the threads' in thread order (depths are the same whatever the order).
template <class Graph>
std::vector<std::uint32_t> expand_level(Graph& g, const std::vector<std::uint32_t>& frontier,
                                        bfs_result& r, std::int32_t level, unsigned threads) {
  std::vector<std::uint32_t> next;
  if (threads <= 1 || frontier.size() < threads) {
    g.expand(frontier, [&](std::span<const std::uint32_t> piece) {
      r.edges_traversed += piece.size();
      for (std::uint32_t v : piece)
        if (r.depth[v] < 0) {
          r.depth[v] = level + 1;
          next.push_back(v);
        }
    });
    return next;
  }
  std::vector<std::vector<std::uint32_t>> nexts(threads);
  std::vector<std::uint64_t> traversed(threads);
  on_threads(threads, [&](unsigned t) {
    const std::size_t lo = frontier.size() * t / threads, hi = frontier.size() * (t + 1) / threads;
    const std::vector<std::uint32_t> share(frontier.begin() + static_cast<std::ptrdiff_t>(lo),
                                           frontier.begin() + static_cast<std::ptrdiff_t>(hi));
    std::uint64_t edges = 0;  // stored once: the threads' counts share a line
    g.expand(share, [&](std::span<const std::uint32_t> piece) {
      edges += piece.size();
      for (std::uint32_t v : piece) {
        std::atomic_ref<std::int32_t> depth(r.depth[v]);
        std::int32_t unseen = -1;
        if (depth.load(std::memory_order_relaxed) < 0 &&
            depth.compare_exchange_strong(unseen, level + 1, std::memory_order_relaxed))
          nexts[t].push_back(v);
      }
    });
    traversed[t] = edges;
  });
  for (unsigned t = 0; t < threads; ++t) {
    r.edges_traversed += traversed[t];
    next.insert(next.end(), nexts[t].begin(), nexts[t].end());
  }
  return next;
}

/// Level-synchronous top-down BFS along out edges from `source`, on
/// `threads` threads (expand_level). Calls on_level(level, frontier size)
/// after expanding each level. REQUIRES: source < g.vertices().
template <class Graph, class OnLevel>
bfs_result bfs(Graph& g, std::uint32_t source, OnLevel&& on_level, unsigned threads = 1) {
  bfs_result r;
  r.depth.assign(g.vertices(), -1);
  r.depth[source] = 0;
  std::vector<std::uint32_t> frontier{source};
  for (std::int32_t level = 0; !frontier.empty(); ++level) {
    std::vector<std::uint32_t> next = expand_level(g, frontier, r, level, threads);
    on_level(level, frontier.size());
    frontier.swap(next);
  }
  return r;
}

}  // namespace graph

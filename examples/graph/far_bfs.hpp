// Direction-optimizing BFS with every array where the caller puts it — the
// graph both ways (offsets and targets, in-offsets and sources), the depths,
// the frontier as bitmaps and as lists — written the obvious way: at() per
// element and a scope per vertex. remora-graph --vertex-state=far
// --algorithm=bfs runs it with all nine in Remora Arrays (far_bfs); with
// --in-memory, the same loop runs over vectors (local_array, no scope). The
// levels switch direction where GAPBS's do (direction_switch).
//
// On any number of threads, each writing its own chunks: a vertex's depth,
// frontier bits and place in a frontier list are written only by the thread
// that has its block (vertex_block, a whole number of every array's chunks)
// or, bottom-up, its part (starting at a chunk of the bitmaps and depths).
// So a top-down level takes two steps: each thread expands the list of
// one block of the frontier at a time, reading depths only, and hands each
// vertex it finds unreached to that vertex's block (a local list per pair of
// blocks); then each block sets the depths of what it was handed and lists
// them in its own segment of the next frontier list. Frontier lists are
// Arrays of `vertices` entries, block b's segment starting at entry
// b * vertex_block: a block's segment lists vertices of that block only.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include <remora/remora.hpp>

#include "graph/algorithms.hpp"
#include "graph/csr.hpp"
#include "graph/direction_bfs.hpp"
#include "graph/pull.hpp"

namespace graph {

/// The nine arrays, as vectors (Array = local_array, Scope = no_scope) or in
/// Remora (Array = remora::Array, Scope = remora::DerefScope).
template <template <class> class Array>
struct bfs_arrays {
  Array<std::uint64_t> offsets;     // out-edges: targets[offsets[u] .. offsets[u+1])
  Array<std::uint32_t> targets;     // edges
  Array<std::uint64_t> in_offsets;  // in-edges: sources[in_offsets[v] .. in_offsets[v+1])
  Array<std::uint32_t> sources;     // edges
  Array<std::int32_t> depth;        // -1: not reached
  Array<std::uint8_t> frontier;     // bottom-up levels: 1 for the frontier's vertices
  Array<std::uint8_t> next;         // ... and the next frontier's
  Array<std::uint32_t> list;        // top-down levels: the frontier, a segment a block
  Array<std::uint32_t> next_list;   // ... and the next frontier
  std::uint32_t vertices = 0;
  std::uint64_t edges = 0;

  /// What the nine arrays of a graph this size hold, in bytes.
  static std::uint64_t bytes(std::uint64_t vertices, std::uint64_t edges) {
    return 2 * ((vertices + 1) * 8 + edges * 4) + vertices * (4 + 1 + 1 + 4 + 4);
  }
};

/// BFS from `source` along out-edges, direction-optimizing, on `threads`
/// threads (see the top of this file). Calls on_level(level, frontier size,
/// bottom_up) after each level. The depths stay in a.depth; what is returned
/// holds the edges looked at (depth left empty: depths_of reads them).
/// REQUIRES: source < a.vertices.
template <class Scope, class Arrays, class OnLevel>
bfs_result bfs_all_far(Arrays& a, std::uint32_t source, OnLevel&& on_level, unsigned threads = 1,
                       direction_switch when = {}) {
  constexpr std::uint32_t bit_chunk = std::bit_floor(remora::array_chunk_bytes);  // uint8 a vertex
  static_assert(vertex_block % bit_chunk == 0, "a block is whole chunks of every array");
  const std::uint32_t n = a.vertices;
  const std::size_t blocks = vertex_blocks(n);
  const std::vector<std::uint32_t> parts =
      parts_by_edges(in_edges_of<Scope, Arrays>{a}, threads, bit_chunk);
  auto out_degree = [&](Scope& scope, std::uint32_t u) {
    return a.offsets.at(scope, u + 1) - a.offsets.at(scope, u);
  };
  on_parts(threads, blocks, [&](std::size_t b) {
    const auto [lo, hi] = block_range(b, n);
    for (std::uint32_t v = lo; v < hi; ++v) {
      Scope scope;
      a.depth.at_mut(scope, v) = v == source ? 0 : -1;
    }
  });
  std::vector<std::uint32_t> listed(blocks), next_listed(blocks);  // segment lengths
  std::uint64_t scout = 0;                                         // the frontier's out-edges
  {
    Scope scope;
    a.list.at_mut(scope, source / vertex_block * std::size_t{vertex_block}) = source;
    scout = out_degree(scope, source);
  }
  listed[source / vertex_block] = 1;
  bfs_result r;
  std::vector<std::uint64_t> looked(std::max(blocks, parts.size()));  // edges, a task each
  std::vector<std::uint64_t> found(looked.size());  // vertices reached (or their out-edges)

  // handed[f * blocks + b]: vertices of block b found unreached from the
  // frontier's block f. Kept between levels (their room is reused).
  std::vector<std::vector<std::uint32_t>> handed(blocks * blocks);
  // One level top-down from the lists: the next frontier's size and its
  // out-edges.
  auto top_down = [&](std::int32_t level) {
    on_parts(threads, blocks, [&](std::size_t f) {
      std::uint64_t edges = 0;
      for (std::uint32_t i = 0; i < listed[f]; ++i) {
        Scope scope;
        const std::uint32_t u = a.list.at(scope, f * vertex_block + i);
        const std::uint64_t begin = a.offsets.at(scope, u), end = a.offsets.at(scope, u + 1);
        for (std::uint64_t e = begin; e < end; ++e) {
          const std::uint32_t v = a.targets.at(scope, e);
          if (a.depth.at(scope, v) < 0) handed[f * blocks + v / vertex_block].push_back(v);
        }
        edges += end - begin;
      }
      looked[f] = edges;
    });
    on_parts(threads, blocks, [&](std::size_t b) {
      std::uint32_t count = 0;
      std::uint64_t edges = 0;
      for (std::size_t f = 0; f < blocks; ++f) {
        for (std::uint32_t v : handed[f * blocks + b]) {
          Scope scope;
          std::int32_t& depth = a.depth.at_mut(scope, v);
          if (depth >= 0) continue;  // handed more than once
          depth = level + 1;
          a.next_list.at_mut(scope, b * vertex_block + count++) = v;
          edges += out_degree(scope, v);
        }
        handed[f * blocks + b].clear();
      }
      next_listed[b] = count;
      found[b] = edges;
    });
    std::swap(a.list, a.next_list);
    listed.swap(next_listed);
    r.edges_traversed += std::accumulate(looked.begin(), looked.begin() + blocks, std::uint64_t{0});
    scout = std::accumulate(found.begin(), found.begin() + blocks, std::uint64_t{0});
    return std::accumulate(listed.begin(), listed.end(), std::uint64_t{0});
  };
  // One level bottom-up over the bitmaps: how many it reached.
  auto bottom_up = [&](std::int32_t level) {
    on_parts(threads, parts.size() - 1, [&](std::size_t p) {
      std::uint64_t edges = 0, reached = 0;
      for (std::uint32_t v = parts[p]; v < parts[p + 1]; ++v) {
        Scope scope;
        std::uint8_t in_next = 0;
        if (a.depth.at(scope, v) < 0) {
          const std::uint64_t begin = a.in_offsets.at(scope, v),
                              end = a.in_offsets.at(scope, v + 1);
          for (std::uint64_t e = begin; e < end; ++e) {
            ++edges;
            if (a.frontier.at(scope, a.sources.at(scope, e)) != 0) {
              a.depth.at_mut(scope, v) = level + 1;
              in_next = 1;
              ++reached;
              break;
            }
          }
        }
        a.next.at_mut(scope, v) = in_next;
      }
      looked[p] = edges;
      found[p] = reached;
    });
    std::swap(a.frontier, a.next);
    const std::size_t tasks = parts.size() - 1;
    r.edges_traversed += std::accumulate(looked.begin(), looked.begin() + tasks, std::uint64_t{0});
    return std::accumulate(found.begin(), found.begin() + tasks, std::uint64_t{0});
  };
  // The lists into the bitmap, and back.
  auto to_bitmap = [&] {
    on_parts(threads, blocks, [&](std::size_t b) {
      const auto [lo, hi] = block_range(b, n);
      for (std::uint32_t v = lo; v < hi; ++v) {
        Scope scope;
        a.frontier.at_mut(scope, v) = 0;
      }
      for (std::uint32_t i = 0; i < listed[b]; ++i) {
        Scope scope;
        a.frontier.at_mut(scope, a.list.at(scope, b * vertex_block + i)) = 1;
      }
    });
  };
  auto to_lists = [&] {
    on_parts(threads, blocks, [&](std::size_t b) {
      const auto [lo, hi] = block_range(b, n);
      std::uint32_t count = 0;
      for (std::uint32_t v = lo; v < hi; ++v) {
        Scope scope;
        if (a.frontier.at(scope, v) != 0) a.list.at_mut(scope, b * vertex_block + count++) = v;
      }
      listed[b] = count;
    });
  };

  std::uint64_t unchecked = a.edges, size = 1;
  std::int32_t level = 0;
  while (size > 0) {
    if (scout > unchecked / when.alpha) {
      to_bitmap();
      std::uint64_t last;
      do {
        last = size;
        size = bottom_up(level);
        on_level(level, last, true);
        ++level;
      } while (size > 0 && (size >= last || size > n / when.beta));
      to_lists();
      scout = 1;
      continue;
    }
    unchecked -= std::min(unchecked, scout);
    const std::uint64_t last = size;
    size = top_down(level);
    on_level(level, last, false);
    ++level;
  }
  return r;
}

/// The graph `out` and its transpose `in` as vectors, with room for the
/// vertex state.
inline bfs_arrays<local_array> local_bfs(csr out, csr in) {
  bfs_arrays<local_array> a;
  a.vertices = out.vertices();
  a.edges = out.edges();
  a.offsets.v = std::move(out.offsets);
  a.targets.v = std::move(out.targets);
  a.in_offsets.v = std::move(in.offsets);
  a.sources.v = std::move(in.targets);
  a.depth.v.assign(a.vertices, -1);
  a.frontier.v.assign(a.vertices, 0);
  a.next.v.assign(a.vertices, 0);
  a.list.v.assign(a.vertices, 0);
  a.next_list.v.assign(a.vertices, 0);
  return a;
}

/// The graph `out` and its transpose `in` in Remora Arrays of `rt`, with
/// Arrays for the vertex state.
inline bfs_arrays<remora::Array> far_bfs(remora::Runtime& rt, const csr& out, const csr& in) {
  const std::uint32_t n = out.vertices();
  bfs_arrays<remora::Array> a{rt.make_array<std::uint64_t>(out.offsets.size()),
                              rt.make_array<std::uint32_t>(out.targets.size()),
                              rt.make_array<std::uint64_t>(in.offsets.size()),
                              rt.make_array<std::uint32_t>(in.targets.size()),
                              rt.make_array<std::int32_t>(n),
                              rt.make_array<std::uint8_t>(n),
                              rt.make_array<std::uint8_t>(n),
                              rt.make_array<std::uint32_t>(n),
                              rt.make_array<std::uint32_t>(n),
                              n,
                              out.edges()};
  copy_into(a.offsets, out.offsets);
  copy_into(a.targets, out.targets);
  copy_into(a.in_offsets, in.offsets);
  copy_into(a.sources, in.targets);
  return a;
}

/// The depths, read back into a vector.
inline std::vector<std::int32_t> depths_of(bfs_arrays<local_array>& a) {
  return a.depth.v;
}
inline std::vector<std::int32_t> depths_of(bfs_arrays<remora::Array>& a) {
  return copy_out(a.depth);
}

}  // namespace graph

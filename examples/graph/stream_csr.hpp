// stream_csr: builds a far_csr (far_csr.hpp) straight from an edge source
// (an edge_file or an rmat_stream) in bounded local memory: the source is
// read a block of edges at a time, and everything vertex- or edge-sized
// lives in Remora Arrays. Three passes over the source:
//   scan     the largest id and the number of edges (before the Runtime
//            exists: they size its cache)
//   count    each id's out-degree and whether it occurs, in an Array indexed
//            by the input's id
//   place    each edge's target at its source's next free slot
// Between count and place, one walk over the counts numbers the ids that
// occur densely in increasing order (as read_edges does) and makes the
// offsets. Each pass groups a block's updates by the chunk they fall in
// (a counting sort) and applies them a chunk at a time, so local memory is
// a block's buffers (about 48 bytes an edge of a block, a million edges a
// block) plus a chunk of each Array; a vertex's targets keep the input's
// order, as build_csr's do. stream_transpose builds the in-edges the same
// way (for pull PageRank and direction-optimizing BFS), in two more passes.
// When the targets outgrow the local cache by far, the place pass runs in
// rounds of vertex ranges, a pass over the source each (place_rounds).
//
// Not thread-safe: one thread at a time. REQUIRES: the Runtime outlives
// what it returns.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <remora/remora.hpp>

#include "graph/edge_file.hpp"
#include "graph/far_csr.hpp"

namespace graph {

/// What the scan found.
struct edge_scan {
  std::uint64_t edges = 0;
  std::uint64_t max_id = 0;  // the largest id; 0 for no edges
  // Every id up to max_id is a vertex, edges or not (an R-MAT graph's);
  // otherwise only the ids that occur are, renamed 0..n-1 when there are gaps.
  bool all_ids = false;
  /// The bytes of the Arrays stream_csr makes, at most (as if every id up
  /// to max_id occurred): what the pool must hold while loading.
  std::uint64_t pool_bytes() const {
    const std::uint64_t ids = max_id + 1;
    return far_csr::bytes(ids, edges) + ids * (sizeof(std::uint64_t) + sizeof(std::uint32_t)) +
           ids * 2 * sizeof(std::uint64_t);
  }
};

/// A graph streamed into Remora, and the input's name for each vertex.
struct far_graph {
  far_csr csr;
  std::uint64_t max_id = 0;
  // Renamed (ids that occur are not exactly 0..n-1): the dense vertex of
  // each input id (absent: no_vertex), and the input id of each vertex.
  std::optional<remora::Array<std::uint32_t>> vertex_of;
  std::optional<remora::Array<std::uint64_t>> name_of;
  static constexpr std::uint32_t no_vertex = ~std::uint32_t{0};

  std::uint64_t name(std::uint32_t v) const { return name_of ? name_of->read(v) : v; }
  /// The vertex the input calls `id`, if it occurs.
  std::optional<std::uint32_t> vertex(std::uint64_t id) const {
    if (id > max_id) return std::nullopt;
    if (!vertex_of) return static_cast<std::uint32_t>(id);
    const std::uint32_t v = vertex_of->read(id);
    return v == no_vertex ? std::nullopt : std::optional(v);
  }
};

namespace stream_detail {

inline constexpr std::size_t block_edges = 1 << 20;  // the default
inline constexpr std::uint64_t occurs = std::uint64_t{1} << 63;  // in a count

// Calls f(element, k) for each k in [0, n), element being a[index(k)], a
// chunk's elements under one scope and each chunk once; within a chunk, in
// increasing k. Elements are written when Mutable. Local memory: 4 bytes a
// k and 4 a chunk of the Array.
template <bool Mutable, class T, class Index, class F>
void walk_grouped(remora::Array<T>& a, std::size_t n, Index index, F f) {
  if (n == 0) return;
  const auto shift = static_cast<unsigned>(std::countr_zero(a.chunk_elements()));
  const std::size_t chunks = ((a.size() - 1) >> shift) + 1;
  std::vector<std::uint32_t> start(chunks + 1, 0), order(n);
  for (std::size_t k = 0; k < n; ++k) ++start[(index(k) >> shift) + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
  for (std::size_t k = 0; k < n; ++k)
    order[fill[index(k) >> shift]++] = static_cast<std::uint32_t>(k);
  for (std::size_t c = 0; c < chunks; ++c) {
    if (start[c] == start[c + 1]) continue;
    remora::DerefScope scope;
    const std::uint64_t first = std::uint64_t{c} << shift;
    const auto s = [&] {
      if constexpr (Mutable)
        return a.span_mut(scope, first);
      else
        return a.span(scope, first);
    }();
    for (std::uint32_t j = start[c]; j < start[c + 1]; ++j) f(s[index(order[j]) - first], order[j]);
  }
}

// Writes values in order into an Array, a chunk at a time.
template <class T>
class appender {
 public:
  explicit appender(remora::Array<T>& a) : array_(a) {}
  void push(const T& v) {
    buffer_.push_back(v);
    if (buffer_.size() == array_.chunk_elements()) flush();
  }
  void flush() {
    for (std::size_t k = 0; k < buffer_.size();) {
      remora::DerefScope scope;
      const std::span<T> s = array_.span_mut(scope, at_);
      const std::size_t n = std::min(s.size(), buffer_.size() - k);
      std::copy_n(buffer_.begin() + static_cast<std::ptrdiff_t>(k), n, s.begin());
      k += n;
      at_ += n;
    }
    buffer_.clear();
  }

 private:
  remora::Array<T>& array_;
  std::vector<T> buffer_;
  std::uint64_t at_ = 0;
};

// Calls f(first, elements) for a[0, n) a chunk at a time, each chunk
// copied out first: f may open scopes of its own (an appender's) without
// keeping this one's chunk pinned.
template <class T, class F>
void for_each_chunk(remora::Array<T>& a, std::uint64_t n, F f) {
  std::vector<T> chunk;
  for (std::uint64_t first = 0; first < n; first += chunk.size()) {
    {
      remora::DerefScope scope;
      const std::span<const T> s = a.span(scope, first);
      chunk.assign(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(
                                              std::min<std::uint64_t>(s.size(), n - first)));
    }
    f(first, std::span<const T>(chunk));
  }
}

// An edge's ends as one sequence: k = 2i is edge i's source, 2i + 1 its
// target.
inline std::uint64_t end_of(const std::vector<raw_edge>& block, std::size_t k) {
  return k & 1 ? block[k / 2].dst : block[k / 2].src;
}

// The dense ends of each edge of `block` in src and dst.
inline void dense_ends(far_graph& g, const std::vector<raw_edge>& block,
                       std::vector<std::uint32_t>& src, std::vector<std::uint32_t>& dst) {
  const std::size_t n = block.size();
  src.resize(n);
  dst.resize(n);
  if (g.vertex_of) {
    walk_grouped<false>(
        *g.vertex_of, 2 * n, [&](std::size_t k) { return end_of(block, k); },
        [&](const std::uint32_t& v, std::size_t k) { (k & 1 ? dst : src)[k / 2] = v; });
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    src[i] = static_cast<std::uint32_t>(block[i].src);
    dst[i] = static_cast<std::uint32_t>(block[i].dst);
  }
}

// The ranges of near-end vertices the place pass takes one pass over the
// source each for. Placing a block scatters its edges over all of the
// targets, so when the targets outgrow the cache each block would fetch and
// write back nearly all of them: at scale 24 (1 GiB of targets through a
// 288 MiB cache) that is 256 blocks of 1 GiB, and the pass did not end in
// minutes. Ranges whose targets fit `budget` elements keep each round's
// chunks resident instead, at the cost of a pass over the source a round;
// they are used when there are more than 4 blocks a round. One range
// otherwise.
inline std::vector<std::uint32_t> place_rounds(far_csr& into, std::uint64_t budget,
                                               std::uint64_t blocks) {
  const std::uint32_t n = into.vertices();
  const std::uint64_t rounds = budget == 0 ? 1 : (into.edges() + budget - 1) / budget;
  if (rounds <= 1 || blocks <= 4 * rounds) return {0, n};
  std::vector<std::uint32_t> cut{0};
  std::uint64_t begin = 0, previous = 0;  // offsets[cut.back()], offsets[v - 1]
  for_each_chunk(into.offsets(), std::uint64_t{n} + 1,
                 [&](std::uint64_t first, std::span<const std::uint64_t> chunk) {
                   for (std::size_t k = 0; k < chunk.size(); ++k) {
                     const std::uint64_t v = first + k;
                     if (chunk[k] - begin > budget && v - 1 > cut.back()) {
                       cut.push_back(static_cast<std::uint32_t>(v - 1));
                       begin = previous;
                     }
                     previous = chunk[k];
                   }
                 });
  cut.push_back(n);
  return cut;
}

// The place pass: each edge's far end at its near end's next slot of
// `into` (whose offsets are made), in input order. The near end is the
// source, or the target when `reversed`. In rounds (place_rounds) when the
// targets outgrow half the local cache by far.
template <class Source>
void place_edges(remora::Runtime& rt, Source& source, far_graph& g, far_csr& into, bool reversed,
                 std::size_t block_edges) {
  const std::uint32_t vertices = into.vertices();
  remora::Array<std::uint64_t> next_slot = rt.make_array<std::uint64_t>(vertices);
  {
    appender<std::uint64_t> copy(next_slot);
    for_each_chunk(into.offsets(), vertices,
                   [&](std::uint64_t, std::span<const std::uint64_t> chunk) {
                     for (std::uint64_t o : chunk) copy.push(o);
                   });
    copy.flush();
  }
  const std::vector<std::uint32_t> cut =
      place_rounds(into, rt.stats().dram_capacity / 2 / sizeof(std::uint32_t),
                   (into.edges() + block_edges - 1) / block_edges);
  std::vector<raw_edge> block;
  std::vector<std::uint32_t> src, dst;
  std::vector<std::uint64_t> slot;
  for (std::size_t round = 0; round + 1 < cut.size(); ++round) {
    const std::uint32_t lo = cut[round], hi = cut[round + 1];
    source.rewind();
    while (source.read(block, block_edges)) {
      dense_ends(g, block, src, dst);
      if (reversed) src.swap(dst);
      if (cut.size() > 2) {  // this round's edges, in input order
        std::size_t kept = 0;
        for (std::size_t k = 0; k < src.size(); ++k)
          if (src[k] >= lo && src[k] < hi) {
            src[kept] = src[k];
            dst[kept] = dst[k];
            ++kept;
          }
        src.resize(kept);
        dst.resize(kept);
      }
      slot.resize(src.size());
      // A vertex's edges take its next slots in input order (the walk keeps
      // the order of k within a chunk).
      walk_grouped<true>(
          next_slot, src.size(), [&](std::size_t k) { return src[k]; },
          [&](std::uint64_t& s, std::size_t k) { slot[k] = s++; });
      walk_grouped<true>(
          into.targets(), src.size(), [&](std::size_t k) { return slot[k]; },
          [&](std::uint32_t& t, std::size_t k) { t = dst[k]; });
    }
  }
}

}  // namespace stream_detail

/// The largest id and the number of edges of `source`, read once.
template <class Source>
edge_scan scan_edges(Source& source) {
  edge_scan s;
  std::vector<raw_edge> block;
  source.rewind();
  while (source.read(block, stream_detail::block_edges)) {
    s.edges += block.size();
    for (const raw_edge& e : block) s.max_id = std::max({s.max_id, e.src, e.dst});
  }
  if constexpr (requires { source.vertices(); }) {
    s.max_id = std::max<std::uint64_t>(s.max_id, source.vertices() - 1);
    s.all_ids = true;
  }
  if (s.max_id >= far_graph::no_vertex)
    throw std::runtime_error("vertex ids up to " + std::to_string(far_graph::no_vertex - 1) +
                             " can be streamed; the input has " + std::to_string(s.max_id));
  return s;
}

/// Streams `source`, as `scan` found it, into Arrays of `rt`, reading
/// `block_edges` edges at a time. `on_pass(name)` is called as each pass
/// starts.
template <class Source, class Progress>
far_graph stream_csr(remora::Runtime& rt, Source& source, const edge_scan& scan, bool prefetch,
                     Progress on_pass, std::size_t block_edges = stream_detail::block_edges) {
  using namespace stream_detail;
  const std::uint64_t ids = scan.max_id + 1;
  std::vector<raw_edge> block;

  // count: per input id, its out-degree and whether it occurs.
  on_pass("count");
  remora::Array<std::uint64_t> counts = rt.make_array<std::uint64_t>(ids);
  source.rewind();
  while (source.read(block, block_edges))
    walk_grouped<true>(
        counts, 2 * block.size(), [&](std::size_t k) { return end_of(block, k); },
        [&](std::uint64_t& c, std::size_t k) { c = (c | occurs) + (k & 1 ? 0 : 1); });

  // number: dense vertices for the ids that occur, and the offsets.
  on_pass("number");
  auto occurs_in = [&](std::uint64_t count) { return scan.all_ids || (count & occurs) != 0; };
  std::uint64_t vertices = 0;
  for_each_chunk(counts, ids, [&](std::uint64_t, std::span<const std::uint64_t> chunk) {
    for (std::uint64_t c : chunk) vertices += occurs_in(c);
  });
  far_graph g{far_csr(rt.make_array<std::uint64_t>(vertices + 1),
                      rt.make_array<std::uint32_t>(scan.edges), prefetch),
              scan.max_id, std::nullopt, std::nullopt};
  const bool renamed = vertices != ids;
  if (renamed) {
    g.vertex_of = rt.make_array<std::uint32_t>(ids);
    g.name_of = rt.make_array<std::uint64_t>(vertices);
  }
  {
    appender<std::uint64_t> offsets(g.csr.offsets());
    std::optional<appender<std::uint32_t>> vertex_of;
    std::optional<appender<std::uint64_t>> name_of;
    if (renamed) {
      vertex_of.emplace(*g.vertex_of);
      name_of.emplace(*g.name_of);
    }
    std::uint64_t next = 0, offset = 0;
    for_each_chunk(counts, ids, [&](std::uint64_t first, std::span<const std::uint64_t> chunk) {
      for (std::size_t k = 0; k < chunk.size(); ++k) {
        const bool occurs_here = occurs_in(chunk[k]);
        if (renamed)
          vertex_of->push(occurs_here ? static_cast<std::uint32_t>(next) : far_graph::no_vertex);
        if (!occurs_here) continue;
        if (renamed) name_of->push(first + k);
        offsets.push(offset);
        offset += chunk[k] & ~occurs;
        ++next;
      }
    });
    offsets.push(offset);
    offsets.flush();
    if (renamed) {
      vertex_of->flush();
      name_of->flush();
    }
  }
  counts = {};

  // place: each edge's target at its source's next slot, in input order.
  on_pass("place");
  place_edges(rt, source, g, g.csr, false, block_edges);
  return g;
}

/// The transpose of `g` (streamed by stream_csr from `source`) as a far_csr
/// of its own: the sources of each vertex's in-edges, in input order. Two
/// more passes over the source: in-degrees, then placement.
template <class Source>
far_csr stream_transpose(remora::Runtime& rt, Source& source, far_graph& g, bool prefetch,
                         std::size_t block_edges = stream_detail::block_edges) {
  using namespace stream_detail;
  const std::uint32_t vertices = g.csr.vertices();
  remora::Array<std::uint64_t> degrees = rt.make_array<std::uint64_t>(vertices);
  std::vector<raw_edge> block;
  std::vector<std::uint32_t> src, dst;
  source.rewind();
  while (source.read(block, block_edges)) {
    dense_ends(g, block, src, dst);
    walk_grouped<true>(
        degrees, block.size(), [&](std::size_t k) { return dst[k]; },
        [](std::uint64_t& d, std::size_t) { ++d; });
  }
  far_csr in(rt.make_array<std::uint64_t>(std::uint64_t{vertices} + 1),
             rt.make_array<std::uint32_t>(g.csr.edges()), prefetch);
  {
    appender<std::uint64_t> offsets(in.offsets());
    std::uint64_t offset = 0;
    for_each_chunk(degrees, vertices, [&](std::uint64_t, std::span<const std::uint64_t> chunk) {
      for (std::uint64_t d : chunk) {
        offsets.push(offset);
        offset += d;
      }
    });
    offsets.push(offset);
    offsets.flush();
  }
  degrees = {};
  place_edges(rt, source, g, in, true, block_edges);
  return in;
}

}  // namespace graph

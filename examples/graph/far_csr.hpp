// far_csr: a graph laid out as a csr (csr.hpp), its offsets and targets held
// in two Remora Arrays, with the same walks, each declaring to the prefetcher
// the order it reads in:
//   for_each_vertex  offsets and targets sequentially: order::sequential(),
//                    read a chunk's span at a time (span())
//   expand           offsets in frontier order: order::generator() yielding
//                    u, u+1 for each frontier vertex (read with at()); then
//                    each batch's target ranges as order::indices() of the
//                    spans the reader will ask for
// With prefetch off, every declaration is order::off().
//
// Thread-safety: any number of threads may walk it at once (for_each_vertex
// over ranges, expand); filling its Arrays is one thread's. REQUIRES: the Runtime
// outlives it.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <remora/remora.hpp>

namespace graph {

class far_csr {
 public:
  /// A graph already in Arrays (stream_csr.hpp builds them): offsets (vertices + 1 of them, the
  /// last the number of targets) and targets.
  far_csr(remora::Array<std::uint64_t> offsets, remora::Array<std::uint32_t> targets, bool prefetch)
      : offsets_(std::move(offsets)), targets_(std::move(targets)), prefetch_(prefetch) {}

  remora::Array<std::uint64_t>& offsets() { return offsets_; }
  remora::Array<std::uint32_t>& targets() { return targets_; }

  /// What the two arrays of a graph this size hold, in bytes.
  static std::uint64_t bytes(std::uint64_t vertices, std::uint64_t edges) {
    return (vertices + 1) * sizeof(std::uint64_t) + edges * sizeof(std::uint32_t);
  }

  std::uint32_t vertices() const { return static_cast<std::uint32_t>(offsets_.size() - 1); }
  std::uint64_t edges() const { return targets_.size(); }

  /// offsets[v]: where vertex v's targets begin (v = vertices(): the end).
  std::uint64_t offset(std::uint32_t v) const { return offsets_.read(v); }

  template <class F>
  void for_each_vertex(F&& f) {
    for_each_vertex(f, 0, vertices());
  }
  /// The walk over vertices [lo, hi) only. Threads may walk ranges of one
  /// graph at once: each declares its own orders.
  template <class F>
  void for_each_vertex(F&& f, std::uint32_t lo, std::uint32_t hi) {
    if (lo >= hi) return;
    std::uint64_t begin = offsets_.read(lo);
    offsets_.prefetch(declared(remora::order::sequential(lo, std::size_t{hi} + 1)));
    targets_.prefetch(declared(remora::order::sequential(begin, offsets_.read(hi))));
    edge_stream edges(targets_);
    std::vector<std::uint64_t> ends;  // offsets[first ...], a chunk's span
    for (std::size_t first = std::size_t{lo} + 1; first <= hi; first += ends.size()) {
      // Not inside the edges' scope: it would keep every offsets chunk read
      // while one targets chunk is open pinned.
      edges.release();
      {
        remora::DerefScope scope;
        const std::span<const std::uint64_t> s = offsets_.span(scope, first);
        ends.assign(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(
                                               s.size(), std::size_t{hi} + 1 - first)));
      }
      for (std::size_t k = 0; k < ends.size(); ++k) {
        const auto u = static_cast<std::uint32_t>(first + k - 1);
        const std::uint64_t end = ends[k];
        if (begin == end) f(u, std::uint64_t{0}, std::span<const std::uint32_t>());
        for (std::uint64_t at = begin; at < end;) {
          const std::span<const std::uint32_t> piece = edges.piece(at, end);
          f(u, end - begin, piece);
          at += piece.size();
        }
        begin = end;
      }
    }
  }

  template <class F>
  void expand(const std::vector<std::uint32_t>& frontier, F&& f) {
    // The prefetcher calls the generator on its own thread: it gets its own
    // copy of the frontier.
    auto list = std::make_shared<const std::vector<std::uint32_t>>(frontier);
    offsets_.prefetch(declared(remora::order::generator(
        [list, at = std::size_t{0}]() mutable -> std::optional<std::size_t> {
          if (at == 2 * list->size()) return std::nullopt;
          const std::size_t u = (*list)[at / 2] + at % 2;  // offsets[u], then offsets[u+1]
          ++at;
          return u;
        })));
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    std::vector<std::size_t> spans;
    for (std::size_t first = 0; first < frontier.size(); first += batch_vertices) {
      const std::size_t last = std::min(frontier.size(), first + batch_vertices);
      ranges.clear();
      spans.clear();
      for (std::size_t i = first; i < last; ++i) {
        remora::DerefScope scope;
        const std::uint64_t begin = offsets_.at(scope, frontier[i]);
        const std::uint64_t end = offsets_.at(scope, frontier[i] + 1);
        ranges.emplace_back(begin, end);
        for (std::uint64_t at = begin; at < end;
             at = (at / targets_per_chunk + 1) * targets_per_chunk)
          spans.push_back(at);
      }
      targets_.prefetch(declared(remora::order::indices(spans)));
      for (const auto& [begin, end] : ranges)
        for (std::uint64_t at = begin; at < end;) {
          remora::DerefScope scope;
          std::span<const std::uint32_t> piece = targets_.span(scope, at);
          piece = piece.first(std::min<std::uint64_t>(piece.size(), end - at));
          f(piece);
          at += piece.size();
        }
    }
  }

 private:
  // Frontier vertices whose target ranges are gathered before reading them.
  static constexpr std::size_t batch_vertices = 1 << 16;
  // Arrays chunk at a power of two of elements near array_chunk_bytes
  // (array.hpp): where the spans of targets_ start.
  static constexpr std::uint64_t targets_per_chunk =
      std::bit_floor(remora::array_chunk_bytes / sizeof(std::uint32_t));

  // Targets in order, in place: the chunk being read stays pinned (by the
  // stream's scope) until the reader moves past it.
  class edge_stream {
   public:
    explicit edge_stream(remora::Array<std::uint32_t>& a) : array_(a) {}
    void release() { scope_.reset(); }
    // The elements of [at, end) in at's chunk. REQUIRES: at only grows.
    std::span<const std::uint32_t> piece(std::uint64_t at, std::uint64_t end) {
      if (!scope_ || at >= chunk_begin_ + chunk_.size()) {
        scope_.reset();
        scope_.emplace();
        chunk_ = array_.span(*scope_, at);
        chunk_begin_ = at;
      }
      const std::size_t skip = at - chunk_begin_;
      return chunk_.subspan(skip, std::min<std::uint64_t>(chunk_.size() - skip, end - at));
    }

   private:
    remora::Array<std::uint32_t>& array_;
    std::optional<remora::DerefScope> scope_;
    std::span<const std::uint32_t> chunk_;
    std::uint64_t chunk_begin_ = 0;
  };

  remora::order::declared declared(remora::order::declared o) const {
    return prefetch_ ? std::move(o) : remora::order::off();
  }

  remora::Array<std::uint64_t> offsets_;
  remora::Array<std::uint32_t> targets_;
  bool prefetch_;
};

}  // namespace graph

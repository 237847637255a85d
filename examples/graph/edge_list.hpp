// Edge lists for remora-graph, in local memory: an R-MAT generator with the
// Graph500 parameters (also as a stream of blocks, for stream_csr.hpp), and
// edge-list files (edge_file.hpp) read whole. Both give directed edges over
// dense vertex ids 0..vertices-1. Plain functions of their arguments: safe
// to call from any thread.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "graph/edge_file.hpp"

namespace graph {

struct edge {
  std::uint32_t src, dst;
};

struct edge_list {
  std::uint64_t vertices = 0;
  std::vector<edge> edges;
  // The input's id of each dense vertex; empty when they are the same.
  std::vector<std::uint64_t> original_ids;
};

// xoshiro256** seeded through splitmix64: fast, and good enough for R-MAT.
class xoshiro256 {
 public:
  explicit xoshiro256(std::uint64_t seed) {
    for (auto& word : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      word = z ^ (z >> 31);
    }
  }
  std::uint64_t operator()() {
    const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }

 private:
  std::uint64_t s_[4];
};

/// edge_factor * 2^scale edges over 2^scale vertices, a block at a time.
/// Each edge descends `scale` levels of the adjacency matrix, picking a
/// quadrant per level with probabilities a=0.57, b=0.19, c=0.19, d=0.05 (16
/// random bits a level). Vertex ids are not permuted: low ids are the hubs.
/// The same seed gives the same edges, after rewind() too. REQUIRES: scale
/// <= 31.
class rmat_stream {
 public:
  rmat_stream(unsigned scale, std::uint64_t edge_factor, std::uint64_t seed)
      : scale_(scale),
        edges_((std::uint64_t{1} << scale) * edge_factor),
        seed_(seed),
        next_(seed) {}

  std::uint64_t vertices() const { return std::uint64_t{1} << scale_; }
  std::uint64_t edges() const { return edges_; }

  /// The next edges, at most `max`, into `out`; false when none are left.
  template <class Edge>
  bool read(std::vector<Edge>& out, std::size_t max) {
    constexpr std::uint32_t a = 37355, ab = 49807, abc = 62259;  // of 65536
    out.resize(static_cast<std::size_t>(std::min<std::uint64_t>(max, edges_ - made_)));
    for (Edge& e : out) {
      std::uint32_t src = 0, dst = 0;
      std::uint64_t bits = 0;
      for (unsigned level = 0; level < scale_; ++level) {
        if (level % 4 == 0) bits = next_();
        const auto r = static_cast<std::uint32_t>(bits & 0xffff);
        bits >>= 16;
        src = (src << 1) | (r >= ab);
        dst = (dst << 1) | ((r >= a && r < ab) || r >= abc);
      }
      e = {src, dst};
    }
    made_ += out.size();
    return !out.empty();
  }
  void rewind() {
    next_ = xoshiro256(seed_);
    made_ = 0;
  }

 private:
  unsigned scale_;
  std::uint64_t edges_, seed_, made_ = 0;
  xoshiro256 next_;
};

inline edge_list rmat_edges(unsigned scale, std::uint64_t edge_factor, std::uint64_t seed) {
  rmat_stream stream(scale, edge_factor, seed);
  edge_list out;
  out.vertices = stream.vertices();
  stream.read(out.edges, stream.edges());
  return out;
}

/// Reads an edge-list file whole (edge_file.hpp says which formats). Ids
/// are renumbered densely in increasing order (ids already 0..n-1 keep
/// their value). Throws std::runtime_error naming the file, and the line of
/// a bad line.
inline edge_list read_edges(const std::string& path) {
  edge_file file(path);
  std::vector<std::uint64_t> ends;  // src, dst, src, dst, ...
  std::vector<raw_edge> block;
  while (file.read(block, 1 << 20))
    for (const raw_edge& e : block) {
      ends.push_back(e.src);
      ends.push_back(e.dst);
    }
  edge_list out;
  out.original_ids = ends;
  std::sort(out.original_ids.begin(), out.original_ids.end());
  out.original_ids.erase(std::unique(out.original_ids.begin(), out.original_ids.end()),
                         out.original_ids.end());
  out.vertices = out.original_ids.size();
  if (out.vertices > std::numeric_limits<std::uint32_t>::max())
    throw std::runtime_error(path + ": more than 2^32-1 distinct vertex ids");
  const bool dense = out.vertices == 0 || out.original_ids.back() == out.vertices - 1;
  auto dense_id = [&](std::uint64_t id) {
    if (dense) return static_cast<std::uint32_t>(id);
    const auto it = std::lower_bound(out.original_ids.begin(), out.original_ids.end(), id);
    return static_cast<std::uint32_t>(it - out.original_ids.begin());
  };
  out.edges.reserve(ends.size() / 2);
  for (std::size_t i = 0; i < ends.size(); i += 2)
    out.edges.push_back({dense_id(ends[i]), dense_id(ends[i + 1])});
  if (dense) out.original_ids.clear();
  return out;
}

}  // namespace graph

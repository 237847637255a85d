// Edge lists for remora-graph: an R-MAT generator with the Graph500
// parameters, and a reader for SNAP's text format. Both return directed
// edges over dense vertex ids 0..vertices-1. Plain functions of their
// arguments: safe to call from any thread.
#pragma once

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

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

/// edge_factor * 2^scale edges over 2^scale vertices. Each edge descends
/// `scale` levels of the adjacency matrix, picking a quadrant per level with
/// probabilities a=0.57, b=0.19, c=0.19, d=0.05 (16 random bits a level).
/// Vertex ids are not permuted: low ids are the hubs. REQUIRES: scale <= 31.
inline edge_list rmat_edges(unsigned scale, std::uint64_t edge_factor, std::uint64_t seed) {
  constexpr std::uint32_t a = 37355, ab = 49807, abc = 62259;  // of 65536
  xoshiro256 next(seed);
  edge_list out;
  out.vertices = std::uint64_t{1} << scale;
  out.edges.resize(out.vertices * edge_factor);
  for (edge& e : out.edges) {
    std::uint32_t src = 0, dst = 0;
    std::uint64_t bits = 0;
    for (unsigned level = 0; level < scale; ++level) {
      if (level % 4 == 0) bits = next();
      const auto r = static_cast<std::uint32_t>(bits & 0xffff);
      bits >>= 16;
      src = (src << 1) | (r >= ab);
      dst = (dst << 1) | ((r >= a && r < ab) || r >= abc);
    }
    e = {src, dst};
  }
  return out;
}

namespace detail {

inline bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// "src<ws>dst" with optional surrounding blanks; false if the line is not.
inline bool parse_pair(std::string_view line, std::uint64_t& src, std::uint64_t& dst) {
  const char* p = line.data();
  const char* end = p + line.size();
  auto skip = [&] {
    const char* from = p;
    while (p < end && is_blank(*p)) ++p;
    return p > from;
  };
  skip();
  auto [after_src, e1] = std::from_chars(p, end, src);
  if (e1 != std::errc{}) return false;
  p = after_src;
  if (!skip()) return false;
  auto [after_dst, e2] = std::from_chars(p, end, dst);
  if (e2 != std::errc{}) return false;
  p = after_dst;
  skip();
  return p == end;
}

}  // namespace detail

/// Reads SNAP's edge-list text: '#' comment lines, blank lines, then one
/// "src dst" pair of non-negative integers a line (spaces or tabs). Ids are
/// renumbered densely in increasing order (ids already 0..n-1 keep their
/// value). Throws std::runtime_error naming the file and line of a bad line.
inline edge_list read_snap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  std::vector<std::uint64_t> ends;  // src, dst, src, dst, ...
  std::size_t line_no = 0;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    const std::string_view line(text.data() + at, nl - at);
    at = nl + 1;
    ++line_no;
    const auto first = std::find_if_not(line.begin(), line.end(), detail::is_blank);
    if (first == line.end() || *first == '#') continue;
    std::uint64_t src, dst;
    if (!detail::parse_pair(line, src, dst))
      throw std::runtime_error(path + ":" + std::to_string(line_no) +
                               ": expected 'SRC DST' (two non-negative integers), got '" +
                               std::string(line.substr(0, 80)) + "'");
    ends.push_back(src);
    ends.push_back(dst);
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

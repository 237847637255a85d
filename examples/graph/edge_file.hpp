// edge_file: an edge-list file read a block of edges at a time, so that a
// graph larger than local memory can be streamed (stream_csr.hpp). Formats,
// by the file's name:
//   NAME.wel   GAPBS weighted edges: "src dst weight" a line (the weight is
//              read and ignored)
//   otherwise  SNAP and GAPBS .el: "src dst" a line
// each with '#' comment lines and blank lines, and spaces or tabs between
// numbers; ids are non-negative integers. NAME.gz is any of them compressed
// with gzip, decompressed as it is read (zlib reads a plain file as is).
// Errors (std::runtime_error) name the file, and the line of a bad line.
//
// Not thread-safe: one reader at a time.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace graph {

struct raw_edge {
  std::uint64_t src, dst;
};

namespace detail {

inline bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

inline bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// "src<ws>dst" (or "src<ws>dst<ws>weight" when `weighted`) with optional
// surrounding blanks; false if the line is not.
inline bool parse_edge(std::string_view line, bool weighted, std::uint64_t& src,
                       std::uint64_t& dst) {
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
  if (weighted) {
    if (!skip()) return false;
    double weight;
    auto [after_weight, e3] = std::from_chars(p, end, weight);
    if (e3 != std::errc{}) return false;
    p = after_weight;
  }
  skip();
  return p == end;
}

}  // namespace detail

class edge_file {
 public:
  explicit edge_file(std::string path) : path_(std::move(path)) {
    const std::string_view name = detail::ends_with(path_, ".gz")
                                      ? std::string_view(path_).substr(0, path_.size() - 3)
                                      : std::string_view(path_);
    weighted_ = detail::ends_with(name, ".wel");
    errno = 0;
    file_ = gzopen(path_.c_str(), "rb");
    if (file_ == nullptr)
      throw std::runtime_error(path_ + ": cannot open" +
                               (errno != 0 ? std::string(": ") + std::strerror(errno) : ""));
    gzbuffer(file_, 1 << 20);
  }
  ~edge_file() { gzclose(file_); }
  edge_file(const edge_file&) = delete;
  edge_file& operator=(const edge_file&) = delete;

  const std::string& path() const { return path_; }

  /// The next edges in file order, at most `max` of them, into `out`
  /// (replacing what it held); false when the file has no more.
  bool read(std::vector<raw_edge>& out, std::size_t max) {
    out.clear();
    while (out.size() < max) {
      std::string_view line;
      if (!next_line(line)) break;
      ++line_no_;
      const auto first = std::find_if_not(line.begin(), line.end(), detail::is_blank);
      if (first == line.end() || *first == '#') continue;
      raw_edge e;
      if (!detail::parse_edge(line, weighted_, e.src, e.dst))
        throw std::runtime_error(
            path_ + ":" + std::to_string(line_no_) +
            (weighted_ ? ": expected 'SRC DST WEIGHT' (two non-negative integers and a number)"
                       : ": expected 'SRC DST' (two non-negative integers)") +
            ", got '" + std::string(line.substr(0, 80)) + "'");
      out.push_back(e);
    }
    return !out.empty();
  }

  /// Back to the first edge.
  void rewind() {
    if (gzrewind(file_) != 0) throw std::runtime_error(path_ + ": cannot read it again");
    buffer_.clear();
    at_ = 0;
    eof_ = false;
    line_no_ = 0;
  }

 private:
  // The next line without its '\n'; valid until the next call.
  bool next_line(std::string_view& line) {
    for (;;) {
      const std::size_t nl = buffer_.find('\n', at_);
      if (nl != std::string::npos) {
        line = std::string_view(buffer_).substr(at_, nl - at_);
        at_ = nl + 1;
        return true;
      }
      if (eof_) {
        if (at_ == buffer_.size()) return false;
        line = std::string_view(buffer_).substr(at_);  // a last line without '\n'
        at_ = buffer_.size();
        return true;
      }
      buffer_.erase(0, at_);
      at_ = 0;
      const std::size_t kept = buffer_.size();
      buffer_.resize(kept + read_bytes);
      const int got = gzread(file_, buffer_.data() + kept, read_bytes);
      if (got < 0) {
        int code = 0;
        throw std::runtime_error(path_ + ": " + gzerror(file_, &code));
      }
      buffer_.resize(kept + static_cast<std::size_t>(got));
      if (got == 0) eof_ = true;
    }
  }

  static constexpr unsigned read_bytes = 1 << 20;
  std::string path_;
  bool weighted_ = false;
  gzFile file_ = nullptr;
  std::string buffer_;
  std::size_t at_ = 0;
  bool eof_ = false;
  std::size_t line_no_ = 0;
};

}  // namespace graph

// remora-bench-compress: what chunk compression would buy a link slower than
// memory. Compresses data as Remora holds it, a 16 KiB chunk at a time, with
// LZ4 (default) and zstd (level 1), and prints per data set and codec the
// compression ratio (shrink) and one core's compress and decompress speed:
//   csr-targets   the targets of remora-graph's R-MAT CSR (scale 20)
//   csr-offsets   its offsets (8-byte, increasing)
//   embedding-normal  float rows drawn from N(0, 0.1), as trained
//                 embeddings look
//   embedding-formula remora-embedding's table (integers below 2^24 as floats)
// With --link-gbps=B it also prints what a reader would see over a link of B
// GB/s if chunks crossed it compressed and were decompressed on arrival by
// the reading core: raw bytes a second, 1 / (1 / (B * shrink) + 1 / D),
// and ratio = that over B (above 1: compression pays). break_even is the
// link speed below which it pays, D (1 - 1 / shrink).
#include <lz4.h>
#include <zstd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "graph/csr.hpp"
#include "graph/edge_list.hpp"

#include "bench/driver.hpp"

namespace {

constexpr std::size_t chunk = 16 << 10;

using remora::bench::clock_type;
using remora::bench::seconds_since;

struct codec {
  const char* name;
  std::size_t (*bound)(std::size_t);
  // Compressed size, or 0 on failure.
  std::size_t (*compress)(const std::byte*, std::size_t, std::byte*, std::size_t);
  bool (*decompress)(const std::byte*, std::size_t, std::byte*, std::size_t);
};

const codec codecs[] = {
    {"lz4", [](std::size_t n) { return static_cast<std::size_t>(LZ4_compressBound(int(n))); },
     [](const std::byte* in, std::size_t n, std::byte* out, std::size_t cap) {
       const int r = LZ4_compress_default(reinterpret_cast<const char*>(in),
                                          reinterpret_cast<char*>(out), int(n), int(cap));
       return r > 0 ? std::size_t(r) : std::size_t{0};
     },
     [](const std::byte* in, std::size_t n, std::byte* out, std::size_t raw) {
       return LZ4_decompress_safe(reinterpret_cast<const char*>(in), reinterpret_cast<char*>(out),
                                  int(n), int(raw)) == int(raw);
     }},
    {"zstd1", [](std::size_t n) { return ZSTD_compressBound(n); },
     [](const std::byte* in, std::size_t n, std::byte* out, std::size_t cap) {
       const std::size_t r = ZSTD_compress(out, cap, in, n, 1);
       return ZSTD_isError(r) ? std::size_t{0} : r;
     },
     [](const std::byte* in, std::size_t n, std::byte* out, std::size_t raw) {
       const std::size_t r = ZSTD_decompress(out, raw, in, n);
       return !ZSTD_isError(r) && r == raw;
     }},
};

// Compresses `data` chunk by chunk, decompresses it back, checks the bytes,
// and prints the line.
bool measure(const char* set, std::span<const std::byte> data, const codec& c, double link_gbps) {
  const std::size_t chunks = data.size() / chunk;
  const std::size_t cap = c.bound(chunk);
  std::vector<std::byte> packed(chunks * cap), back(chunks * chunk);
  std::vector<std::size_t> sizes(chunks);
  auto start = clock_type::now();
  for (std::size_t i = 0; i < chunks; ++i) {
    sizes[i] = c.compress(data.data() + i * chunk, chunk, packed.data() + i * cap, cap);
    if (sizes[i] == 0) {
      std::fprintf(stderr, "remora-bench-compress: %s failed on a chunk of %s\n", c.name, set);
      return false;
    }
  }
  const double compress_s = seconds_since(start);
  start = clock_type::now();
  for (std::size_t i = 0; i < chunks; ++i)
    if (!c.decompress(packed.data() + i * cap, sizes[i], back.data() + i * chunk, chunk)) {
      std::fprintf(stderr, "remora-bench-compress: %s could not decompress %s\n", c.name, set);
      return false;
    }
  const double decompress_s = seconds_since(start);
  if (std::memcmp(back.data(), data.data(), chunks * chunk) != 0) {
    std::fprintf(stderr, "remora-bench-compress: %s gave other bytes back for %s\n", c.name, set);
    return false;
  }
  std::size_t packed_bytes = 0;
  for (std::size_t s : sizes) packed_bytes += s;
  const double raw = double(chunks * chunk), ratio = raw / double(packed_bytes);
  const double compress_gbps = raw / compress_s / 1e9, decompress_gbps = raw / decompress_s / 1e9;
  // Below this link speed compressed chunks arrive sooner: D (1 - 1/shrink).
  const double break_even = ratio > 1 ? decompress_gbps * (1 - 1 / ratio) : 0;
  std::printf(
      "compress %s-%s shrink=%.3f compress=%.2fGB/s decompress=%.2fGB/s "
      "break_even=%.3gGB/s",
      set, c.name, ratio, compress_gbps, decompress_gbps, break_even);
  if (link_gbps > 0) {
    const double seen = 1 / (1 / (link_gbps * ratio) + 1 / decompress_gbps);
    std::printf(" link=%.3gGB/s seen=%.3gGB/s ratio=%.3f", link_gbps, seen, seen / link_gbps);
  }
  std::printf("\n");
  return true;
}

template <class T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
  return std::as_bytes(std::span<const T>(v));
}

}  // namespace

int main(int argc, char** argv) {
  unsigned scale = 20;
  double link_gbps = 0;
  remora::cli::command_line app{
      "Compresses a graph's CSR and embedding rows 16 KiB at a time with LZ4 and zstd "
      "(level 1): ratio, compress and decompress speed on one core; with --link-gbps, "
      "what a reader would see over a link of that many GB/s with compressed chunks.",
      "remora-bench-compress"};
  app.add("--scale", scale, "R-MAT scale of the graph").range(10u, 26u);
  app.add("--link-gbps", link_gbps, "a link's GB/s").non_negative();
  if (auto code = app.parse(argc, argv)) return *code;
  const graph::csr g = graph::build_csr(graph::rmat_edges(scale, 16, 1));
  const std::size_t floats = g.targets.size();  // as many bytes as the targets
  std::vector<float> normal(floats), formula(floats);
  std::mt19937_64 rng(7);
  std::normal_distribution<float> draw(0.0f, 0.1f);
  for (float& f : normal) f = draw(rng);
  for (std::size_t i = 0; i < floats; ++i)  // remora-embedding's value_for, 64 floats a row
    formula[i] = static_cast<float>((i / 64 * 2654435761u + i % 64 * 40503u) & 0xffffff);
  bool ok = true;
  for (const codec& c : codecs) {
    ok = measure("csr-targets", bytes_of(g.targets), c, link_gbps) && ok;
    ok = measure("csr-offsets", bytes_of(g.offsets), c, link_gbps) && ok;
    ok = measure("embedding-normal", bytes_of(normal), c, link_gbps) && ok;
    ok = measure("embedding-formula", bytes_of(formula), c, link_gbps) && ok;
  }
  return ok ? 0 : 1;
}

// remora-graph's streaming loader (graph/stream_csr.hpp) against the
// in-memory one (read_edges + build_csr): the same offsets, targets, vertex
// names and transpose, for each file format, for gaps in the ids, and for a
// graph several times the local cache; and its errors.
#include <zlib.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "graph/csr.hpp"
#include "graph/edge_list.hpp"
#include "graph/stream_csr.hpp"

namespace {

namespace fs = std::filesystem;

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string p = "/tmp/remora-graph-test-XXXXXX";
    REQUIRE(::mkdtemp(p.data()) != nullptr);
    path = p;
  }
  ~temp_dir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string file = (path / name).string();
    if (name.ends_with(".gz")) {
      gzFile f = gzopen(file.c_str(), "wb");
      REQUIRE(f != nullptr);
      REQUIRE(gzwrite(f, text.data(), static_cast<unsigned>(text.size())) ==
              static_cast<int>(text.size()));
      REQUIRE(gzclose(f) == Z_OK);
    } else {
      std::ofstream(file) << text;
    }
    return file;
  }
};

remora::Options small_pool() {
  return remora::Options{}.dram_cache(4 << 20).embedded_capacity(256ull << 20);
}

template <class T>
std::vector<T> contents(remora::Array<T>& a) {
  std::vector<T> out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = a.read(i);
  return out;
}

// Streams `source` and compares with `expected` (and its names).
// `over_cache`: the Arrays do not fit the local cache (chunks were evicted).
template <class Source>
void check_same(Source& source, const graph::edge_list& expected, bool over_cache = false,
                std::size_t block_edges = graph::stream_detail::block_edges) {
  const graph::csr local = graph::build_csr(expected);
  remora::Runtime rt(small_pool());
  const graph::edge_scan scan = graph::scan_edges(source);
  graph::far_graph g = graph::stream_csr(
      rt, source, scan, true, [](const char*) {}, block_edges);
  REQUIRE(g.csr.vertices() == local.vertices());
  CHECK(contents(g.csr.offsets()) == local.offsets);
  CHECK(contents(g.csr.targets()) == local.targets);
  CHECK(g.name_of.has_value() == !expected.original_ids.empty());
  for (std::uint32_t v = 0; v < local.vertices(); ++v) {
    const std::uint64_t name = expected.original_ids.empty() ? v : expected.original_ids[v];
    REQUIRE(g.name(v) == name);
    REQUIRE(g.vertex(name) == v);
  }
  // The transpose, streamed in two more passes, is the in-edges' CSR.
  const graph::csr local_in = graph::build_csr(expected, true);
  graph::far_csr in = graph::stream_transpose(rt, source, g, true, block_edges);
  REQUIRE(in.vertices() == local_in.vertices());
  CHECK(contents(in.offsets()) == local_in.offsets);
  CHECK(contents(in.targets()) == local_in.targets);
  if (over_cache) CHECK(rt.stats().evictions > 0);
}

}  // namespace

TEST_CASE("streamed SNAP, .el, .wel and gzipped files build the CSR read_edges builds",
          "[graph][stream]") {
  temp_dir dir;
  const std::string snap =
      "# a comment\n10\t20\n20 30\n\n  30 10  \n500\t10\n10 20\n30 30\n";  // gaps, repeats, a loop
  const std::string el = "0 1\n1 2\n2 0\n3 1\n1 3\n";
  const std::string wel = "0 1 0.5\n1 2 3\n# weights are ignored\n2 0 -1e3\n3 1 7\n";
  for (const auto& [name, text] : {std::pair{"g.snap", snap},
                                   {"g.snap.gz", snap},
                                   {"g.el", el},
                                   {"g.el.gz", el},
                                   {"g.wel", wel},
                                   {"g.wel.gz", wel}}) {
    INFO(name);
    const std::string file = dir.write(name, text);
    graph::edge_file source(file);
    check_same(source, graph::read_edges(file));
  }
}

TEST_CASE("a streamed graph several times the local cache, with gaps in its ids, is the same",
          "[graph][stream]") {
  temp_dir dir;
  // 400,000 edges over ids 0, 7, 14, ...: about 8 MiB of Arrays through a
  // 4 MiB cache.
  std::mt19937_64 rng(3);
  std::string text = "# FromNodeId\tToNodeId\n";
  for (int i = 0; i < 400'000; ++i)
    text += std::to_string(rng() % 60'000 * 7) + "\t" + std::to_string(rng() % 60'000 * 7) + "\n";
  const std::string file = dir.write("big.snap.gz", text);
  graph::edge_file source(file);
  const graph::edge_list expected = graph::read_edges(file);
  REQUIRE_FALSE(expected.original_ids.empty());
  check_same(source, expected, true);
}

TEST_CASE("a streamed R-MAT graph is the one rmat_edges makes", "[graph][stream]") {
  graph::rmat_stream source(14, 8, 5);
  check_same(source, graph::rmat_edges(14, 8, 5));
}

TEST_CASE("targets far larger than the cache are placed in rounds of vertex ranges, the same CSR",
          "[graph][stream]") {
  // 2M edges (8 MiB of targets, each way) through a 4 MiB cache, read 10,000
  // edges at a time: 210 blocks, so the place passes go in rounds of ranges
  // whose targets fit half the cache.
  graph::rmat_stream source(17, 16, 3);
  check_same(source, graph::rmat_edges(17, 16, 3), true, 10'000);
  // The rounds: each range's targets within the budget (but a range of one
  // vertex), the ranges covering every vertex in order.
  remora::Runtime rt(small_pool());
  const graph::edge_scan scan = graph::scan_edges(source);
  graph::far_graph g = graph::stream_csr(rt, source, scan, true, [](const char*) {});
  const std::uint64_t budget = 512 << 10;
  const std::vector<std::uint32_t> cut = graph::stream_detail::place_rounds(g.csr, budget, 210);
  REQUIRE(cut.size() > 3);
  CHECK(cut.front() == 0);
  CHECK(cut.back() == g.csr.vertices());
  for (std::size_t r = 0; r + 1 < cut.size(); ++r) {
    INFO("range " << r << ": " << cut[r] << " to " << cut[r + 1]);
    REQUIRE(cut[r] < cut[r + 1]);
    CHECK((g.csr.offset(cut[r + 1]) - g.csr.offset(cut[r]) <= budget || cut[r + 1] == cut[r] + 1));
  }
  // Few blocks a round: one range.
  CHECK(graph::stream_detail::place_rounds(g.csr, budget, 16).size() == 2);
}

TEST_CASE("the streaming loader names the file and line of a bad line, and refuses huge ids",
          "[graph][stream]") {
  temp_dir dir;
  {
    graph::edge_file source(dir.write("bad.wel.gz", "1 2 0.5\n3 4\n"));
    CHECK_THROWS_WITH(graph::scan_edges(source),
                      Catch::Contains("bad.wel.gz:2: expected 'SRC DST WEIGHT'"));
  }
  {
    graph::edge_file source(dir.write("huge.el", "1 4294967295\n"));
    CHECK_THROWS_WITH(graph::scan_edges(source), Catch::Contains("the input has 4294967295"));
  }
  CHECK_THROWS_WITH(graph::edge_file((dir.path / "missing.el").string()),
                    Catch::Contains("missing.el: cannot open"));
}

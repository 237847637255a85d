// remora-graph's algorithms against each other. Direction-optimizing BFS
// (graph/direction_bfs.hpp) reaches every vertex at the depth top-down BFS
// does: in memory on R-MAT graphs from several sources, with the switch to
// bottom-up forced early, late and never, on one thread and two; and over a
// far graph (both CSRs in Remora, several times the local cache) read by two
// threads at once. PageRank pulling over in-edges gives the same ranks on
// any number of threads, and the ranks pushing gives; with every array far,
// two threads writing their own chunks give the ranks of the same loop over
// vectors. All-far BFS (graph/far_bfs.hpp: vertex state in the arrays too)
// finds top-down BFS's depths over vectors on 1, 2 and 3 threads, and in
// Remora on 2 threads through a cache smaller than its arrays.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "graph/csr.hpp"
#include "graph/direction_bfs.hpp"
#include "graph/edge_list.hpp"
#include "graph/far_bfs.hpp"
#include "graph/pull.hpp"
#include "graph/stream_csr.hpp"

namespace {

auto no_report = [](int, std::size_t, bool = false) {};

// How many levels of a run went bottom-up.
struct level_count {
  int bottom_up = 0, top_down = 0;
  auto counter() {
    return [this](int, std::size_t, bool b) { ++(b ? bottom_up : top_down); };
  }
};

}  // namespace

TEST_CASE("direction-optimizing BFS finds top-down BFS's depths in memory", "[graph][bfs]") {
  const graph::edge_list list = graph::rmat_edges(14, 8, 9);
  const graph::csr out = graph::build_csr(list), in = graph::build_csr(list, true);
  for (std::uint32_t source : {0u, 1u, 77u, 5000u}) {
    const graph::bfs_result expected = graph::bfs(out, source, no_report);
    for (std::uint64_t alpha : {1ull, 15ull, 1ull << 40}) {
      for (unsigned threads : {1u, 2u}) {
        INFO("source " << source << ", alpha " << alpha << ", threads " << threads);
        level_count levels;
        const graph::bfs_result r = graph::direction_optimizing_bfs(
            out, in, source, levels.counter(), threads, graph::direction_switch{alpha, 18});
        REQUIRE(r.depth == expected.depth);
        // alpha 2^40: bottom-up from the first level on, whenever there is
        // more than the source to expand.
        if (alpha == 1ull << 40 && expected.edges_traversed > 0) CHECK(levels.bottom_up > 0);
      }
    }
  }
}

TEST_CASE("direction-optimizing BFS over a far graph, two threads, matches in memory",
          "[graph][bfs][threads]") {
  graph::rmat_stream source(17, 8, 4);  // 5 MiB of each CSR
  const graph::edge_list list = graph::rmat_edges(17, 8, 4);
  const graph::csr out = graph::build_csr(list);
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20).embedded_capacity(256ull << 20));
  const graph::edge_scan scan = graph::scan_edges(source);
  graph::far_graph g = graph::stream_csr(rt, source, scan, true, [](const char*) {});
  graph::far_csr in = graph::stream_transpose(rt, source, g, true);
  const graph::bfs_result expected = graph::bfs(out, 0, no_report);
  level_count levels;
  const graph::bfs_result r = graph::direction_optimizing_bfs(g.csr, in, 0, levels.counter(), 2);
  CHECK(levels.bottom_up > 0);
  CHECK(levels.top_down > 0);
  REQUIRE(r.depth == expected.depth);
  CHECK(rt.stats().evictions > 0);
}

TEST_CASE("PageRank pulling over in-edges: the same ranks on 1, 2 and 3 threads, and push's",
          "[graph][pagerank]") {
  // Two blocks of vertices (vertex_block) and parts of uneven cost, so that
  // threads take blocks and parts in whatever order they come free.
  const graph::edge_list list = graph::rmat_edges(17, 8, 2);
  const graph::csr out = graph::build_csr(list), in = graph::build_csr(list, true);
  const std::vector<std::uint32_t> degree = graph::out_degrees(out);
  CHECK(graph::out_degrees(out, 3) == degree);
  const std::vector<double> one = graph::pagerank_pull(
      in, degree, 8, [](int) {}, 1);
  CHECK(graph::pagerank_pull(
            in, degree, 8, [](int) {}, 2) == one);
  CHECK(graph::pagerank_pull(
            in, degree, 8, [](int) {}, 3) == one);
  const std::vector<double> pushed = graph::pagerank(out, 8, [](int) {});
  REQUIRE(pushed.size() == one.size());
  double sum = 0;
  for (std::size_t v = 0; v < one.size(); ++v) {
    REQUIRE(std::fabs(one[v] - pushed[v]) <= 1e-12 * std::fabs(pushed[v]) + 1e-300);
    sum += one[v];
  }
  CHECK(std::fabs(sum - 1.0) < 1e-9);
}

TEST_CASE("all-far PageRank on 2 threads, each writing its own chunks, matches vectors",
          "[graph][pagerank][threads]") {
  // 7.6 MiB of arrays (in-offsets, sources, out-degrees, ranks,
  // contributions) through a 4 MiB cache: chunks written by both threads
  // are evicted and written home while the other reads.
  const graph::pull_graph g = graph::build_pull(graph::rmat_edges(17, 8, 6));
  remora::Runtime rt(remora::Options{}
                         .dram_cache(4 << 20)
                         .embedded_capacity(256ull << 20)
                         .check_access(true));  // each thread writes only its own chunks
  auto far = graph::far_pull(rt, g);
  graph::pagerank_pull<remora::DerefScope>(
      far, 3, [](int) {}, 2);
  auto local = graph::local_pull(g);
  graph::pagerank_pull<graph::no_scope>(
      local, 3, [](int) {}, 2);
  CHECK(graph::ranks_of(far) == graph::ranks_of(local));
  CHECK(rt.stats().writebacks > 0);
}

TEST_CASE("all-far BFS finds top-down BFS's depths over vectors, on 1, 2 and 3 threads",
          "[graph][bfs][threads]") {
  // Three blocks of vertices (vertex_block): top-down levels hand vertices
  // between blocks, bottom-up ones run over parts of as many in-edges.
  const graph::edge_list list = graph::rmat_edges(17, 8, 9);
  const graph::csr out = graph::build_csr(list), in = graph::build_csr(list, true);
  REQUIRE(graph::vertex_blocks(out.vertices()) >= 2);
  for (std::uint32_t source : {0u, 3u, 100000u}) {
    const graph::bfs_result expected = graph::bfs(out, source, no_report);
    for (std::uint64_t alpha : {15ull, 1ull << 40}) {
      for (unsigned threads : {1u, 2u, 3u}) {
        INFO("source " << source << ", alpha " << alpha << ", threads " << threads);
        auto a = graph::local_bfs(out, in);
        level_count levels;
        const graph::bfs_result r = graph::bfs_all_far<graph::no_scope>(
            a, source, levels.counter(), threads, graph::direction_switch{alpha, 18});
        REQUIRE(graph::depths_of(a) == expected.depth);
        CHECK(r.edges_traversed > 0);
        if (alpha == 1ull << 40 && expected.edges_traversed > 0) CHECK(levels.bottom_up > 0);
      }
    }
  }
}

TEST_CASE("all-far BFS on 2 threads through a small cache matches top-down BFS",
          "[graph][bfs][threads]") {
  // 12 MiB of arrays through a 4 MiB cache: depths, bitmaps and lists written
  // by both threads are evicted and written home while the other reads.
  const graph::edge_list list = graph::rmat_edges(17, 8, 5);
  const graph::csr out = graph::build_csr(list), in = graph::build_csr(list, true);
  const graph::bfs_result expected = graph::bfs(out, 0, no_report);
  remora::Runtime rt(remora::Options{}
                         .dram_cache(4 << 20)
                         .embedded_capacity(256ull << 20)
                         .check_access(true));  // each thread writes only its own chunks
  auto far = graph::far_bfs(rt, out, in);
  level_count levels;
  graph::bfs_all_far<remora::DerefScope>(far, 0, levels.counter(), 2);
  CHECK(levels.bottom_up > 0);
  CHECK(levels.top_down > 0);
  REQUIRE(graph::depths_of(far) == expected.depth);
  CHECK(rt.stats().writebacks > 0);
}

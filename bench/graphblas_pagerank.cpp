// remora-bench-graphblas: the in-memory peer of bench/run graph. PageRank
// in SuiteSparse:GraphBLAS the way LAGraph writes it: the transposed
// adjacency matrix times each vertex's rank over its out-degree, over the
// PLUS_SECOND semiring (GrB_mxv), the rank of vertices without out-edges
// spread over all. It reads the graph remora-graph reads (the same R-MAT
// generator and seed, or the same edge-list file) and prints one
// "result ..." line in remora-graph's fields.
//
// GraphBLAS holds the graph's structure: edges given twice count once,
// where remora-graph keeps every copy. On R-MAT graphs this leaves the peer
// slightly less work; its ranks are of the graph without repeated edges.
extern "C" {  // GraphBLAS.h declares C functions without saying so to C++
#include <GraphBLAS.h>
}

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bench/driver.hpp"
#include "graph/edge_list.hpp"

using remora::bench::seconds_since;

namespace {

struct config {
  unsigned scale = 20;
  std::uint64_t edge_factor = 16, seed = 1;
  std::string edges_file;
  int iterations = 10, threads = 1;
};

// The command line into `c`: nothing when the program goes on, else its
// exit code (--help, --version, a usage error).
std::optional<int> parse(int argc, char** argv, config& c) {
  remora::cli::command_line app{
      "PageRank in SuiteSparse:GraphBLAS over the graph remora-graph reads; prints "
      "\"result algorithm=pagerank seconds=S threads=N vertices=V edges=E (distinct) "
      "rank_sum=R\".",
      "remora-bench-graphblas"};
  app.add("--scale", c.scale, "R-MAT scale: 2^N vertices").range(1u, 31u);
  app.add("--edge-factor", c.edge_factor, "edges per vertex");
  app.add("--seed", c.seed, "generator seed, as remora-graph's");
  app.add("--edges", c.edges_file, "an edge-list file instead (as remora-graph reads)");
  app.add("--iterations", c.iterations, "PageRank iterations").non_negative();
  app.add("--threads", c.threads, "GraphBLAS threads").range(1, 256);
  return app.parse(argc, argv);
}

void check(GrB_Info info, const char* what) {
  if (info != GrB_SUCCESS)
    throw std::runtime_error(std::string("GraphBLAS: ") + what + " failed (GrB_Info " +
                             std::to_string(static_cast<int>(info)) + ")");
}

}  // namespace

int main(int argc, char** argv) try {
  config c;
  if (auto code = parse(argc, argv, c)) return *code;
  const graph::edge_list list = c.edges_file.empty()
                                    ? graph::rmat_edges(c.scale, c.edge_factor, c.seed)
                                    : graph::read_edges(c.edges_file);
  const GrB_Index n = list.vertices;
  if (n == 0) throw std::runtime_error("the graph has no vertices");

  check(GrB_init(GrB_NONBLOCKING), "init");
  check(GxB_Global_Option_set(GxB_GLOBAL_NTHREADS, c.threads), "setting the thread count");

  // A(u, v) = 1 for each edge u -> v (repeats merged), its transpose, and
  // each vertex's out-degree (absent where there is none).
  GrB_Matrix a = nullptr, at = nullptr;
  GrB_Vector degree = nullptr, rank = nullptr, share = nullptr, sum = nullptr, sinks = nullptr;
  {
    std::vector<GrB_Index> rows(list.edges.size()), cols(list.edges.size());
    for (std::size_t i = 0; i < list.edges.size(); ++i) {
      rows[i] = list.edges[i].src;
      cols[i] = list.edges[i].dst;
    }
    const std::vector<double> ones(list.edges.size(), 1.0);
    check(GrB_Matrix_new(&a, GrB_FP64, n, n), "matrix");
    check(GrB_Matrix_build_FP64(a, rows.data(), cols.data(), ones.data(), rows.size(),
                                GrB_FIRST_FP64),
          "building the matrix");
  }
  check(GrB_Matrix_new(&at, GrB_FP64, n, n), "matrix");
  check(GrB_transpose(at, nullptr, nullptr, a, nullptr), "transpose");
  check(GrB_Matrix_wait(at, GrB_MATERIALIZE), "wait");
  check(GrB_Vector_new(&degree, GrB_FP64, n), "vector");
  check(GrB_Matrix_reduce_Monoid(degree, nullptr, nullptr, GrB_PLUS_MONOID_FP64, a, nullptr),
        "out-degrees");
  GrB_Index edges = 0;
  check(GrB_Matrix_nvals(&edges, a), "nvals");
  for (GrB_Vector* v : {&rank, &share, &sum, &sinks})
    check(GrB_Vector_new(v, GrB_FP64, n), "vector");

  constexpr double damping = 0.85;
  const auto start = std::chrono::steady_clock::now();
  check(GrB_Vector_assign_FP64(rank, nullptr, nullptr, 1.0 / static_cast<double>(n), GrB_ALL, n,
                               nullptr),
        "initial ranks");
  for (int i = 0; i < c.iterations; ++i) {
    // share = rank / degree where there are out-edges; the rest is sunk.
    check(
        GrB_Vector_eWiseMult_BinaryOp(share, nullptr, nullptr, GrB_DIV_FP64, rank, degree, nullptr),
        "shares");
    check(GrB_Vector_assign(sinks, degree, nullptr, rank, GrB_ALL, n, GrB_DESC_RSC), "sinks");
    double sunk = 0;
    check(GrB_Vector_reduce_FP64(&sunk, nullptr, GrB_PLUS_MONOID_FP64, sinks, nullptr), "sink sum");
    // sum = A' share: what each vertex receives along its in-edges.
    check(GrB_mxv(sum, nullptr, nullptr, GxB_PLUS_SECOND_FP64, at, share, nullptr), "mxv");
    const double base =
        (1 - damping) / static_cast<double>(n) + damping * sunk / static_cast<double>(n);
    check(GrB_Vector_assign_FP64(rank, nullptr, nullptr, base, GrB_ALL, n, nullptr), "base");
    check(GrB_Vector_apply_BinaryOp2nd_FP64(rank, nullptr, GrB_PLUS_FP64, GrB_TIMES_FP64, sum,
                                            damping, nullptr),
          "new ranks");
  }
  check(GrB_Vector_wait(rank, GrB_MATERIALIZE), "wait");
  const double seconds = seconds_since(start);
  double rank_sum = 0;
  check(GrB_Vector_reduce_FP64(&rank_sum, nullptr, GrB_PLUS_MONOID_FP64, rank, nullptr), "sum");
  std::printf(
      "result algorithm=pagerank seconds=%.4f threads=%d vertices=%llu edges=%llu "
      "rank_sum=%.6f\n",
      seconds, c.threads, (unsigned long long)n, (unsigned long long)edges, rank_sum);
  for (GrB_Vector* v : {&degree, &rank, &share, &sum, &sinks}) GrB_Vector_free(v);
  GrB_Matrix_free(&a);
  GrB_Matrix_free(&at);
  GrB_finalize();
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "remora-bench-graphblas: %s\n", e.what());
  return 1;
}

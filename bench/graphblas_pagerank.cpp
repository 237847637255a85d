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
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "graph/edge_list.hpp"

namespace {

constexpr const char* usage = R"(usage: remora-bench-graphblas [options]
  --scale=N         R-MAT scale: 2^N vertices (default 20)
  --edge-factor=N   edges per vertex (default 16)
  --seed=N          generator seed (default 1), as remora-graph's
  --edges=FILE      an edge-list file instead (the formats remora-graph reads)
  --iterations=N    PageRank iterations (default 10)
  --threads=N       GraphBLAS threads (default 1)
  --help            this text
Prints: result algorithm=pagerank seconds=S threads=N vertices=V edges=E
(E: distinct edges), rank_sum=R.
)";

struct config {
  unsigned scale = 20;
  std::uint64_t edge_factor = 16, seed = 1;
  std::string edges_file;
  int iterations = 10, threads = 1;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "remora-bench-graphblas: %s\n%s", message.c_str(), usage);
  std::exit(2);
}

std::uint64_t number(std::string_view flag, std::string_view text) {
  std::uint64_t v = 0;
  if (text.empty()) usage_error(std::string(flag) + " wants a number");
  for (char ch : text) {
    if (ch < '0' || ch > '9')
      usage_error(std::string(flag) + " wants a number, not '" + std::string(text) + "'");
    v = v * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  return v;
}

config parse(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto eq = arg.find('=');
    const std::string_view flag = arg.substr(0, eq),
                           value = eq == arg.npos ? std::string_view{} : arg.substr(eq + 1);
    if (flag == "--help") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else if (flag == "--scale") {
      c.scale = static_cast<unsigned>(number(flag, value));
      if (c.scale < 1 || c.scale > 31) usage_error("--scale is 1 to 31");
    } else if (flag == "--edge-factor") {
      c.edge_factor = number(flag, value);
    } else if (flag == "--seed") {
      c.seed = number(flag, value);
    } else if (flag == "--edges") {
      c.edges_file = value;
    } else if (flag == "--iterations") {
      c.iterations = static_cast<int>(number(flag, value));
    } else if (flag == "--threads") {
      c.threads = static_cast<int>(number(flag, value));
      if (c.threads < 1 || c.threads > 256) usage_error("--threads is 1 to 256");
    } else {
      usage_error("unknown option '" + std::string(arg) + "'");
    }
  }
  return c;
}

void check(GrB_Info info, const char* what) {
  if (info != GrB_SUCCESS)
    throw std::runtime_error(std::string("GraphBLAS: ") + what + " failed (GrB_Info " +
                             std::to_string(static_cast<int>(info)) + ")");
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) try {
  const config c = parse(argc, argv);
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

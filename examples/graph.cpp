// remora-graph: PageRank and BFS over a graph in compressed sparse rows whose
// edges live in Remora Arrays (ranks and depths stay in local vectors). The
// graph is streamed into Remora from its file (or generator) in bounded
// local memory (graph/stream_csr.hpp); the peak resident memory is printed.
// It shows declared orders at work: the edge arrays are read sequentially,
// and BFS reads them in frontier order through a generator. --in-memory runs
// the same code on plain vectors, the baseline; --verify runs both and
// compares.
// --vertex-state=far runs PageRank (pulling over in-edges) and BFS
// (direction-optimizing) with every array in Remora, vertex state too,
// written the obvious way (graph/pull.hpp, graph/far_bfs.hpp).
//
//   build/examples/remora-graph --scale=20 --dram-cache=25%
//   build/examples/remora-graph --edges=soc-LiveJournal1.txt --algorithm=both
//   build/examples/remora-graph --help
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include <remora/remora.hpp>

#include "cli/cli.hpp"
#include "graph/algorithms.hpp"
#include "graph/csr.hpp"
#include "graph/direction_bfs.hpp"
#include "graph/edge_list.hpp"
#include "graph/far_bfs.hpp"
#include "graph/far_csr.hpp"
#include "graph/pull.hpp"
#include "graph/stream_csr.hpp"

namespace {

constexpr std::uint64_t min_cache = 4ull << 20;

struct config {
  unsigned scale = 20;
  std::uint64_t edge_factor = 16, seed = 1;
  std::string edges_file;
  bool pagerank = true, bfs = false;
  int iterations = 10;
  unsigned threads = 1;
  std::optional<std::uint64_t> source;
  // A share of the graph's bytes (offsets and targets of one direction: the
  // transpose is not counted, so pull and push get the same cache), or bytes.
  remora::cli::cache_size cache{.bytes = {}, .share = 0.25};
  remora::Options options;  // --memory-node and the rest of Options' flags
  bool prefetch = true, in_memory = false, verify = false;
  bool far_state = false;  // --vertex-state=far
  bool top_down = false;   // --bfs=top-down
  bool push = false;       // --pagerank=push
  std::string prefetch_on = "auto";
  /// Whether prefetching runs on the reading threads (--prefetch-on).
  bool prefetch_on_reader() const {
    // auto: on the readers when they, the evacuator and a prefetcher thread
    // would not each have a core (Options' own default for one reader).
    if (prefetch_on == "auto")
      return threads + 2 > std::max(1u, std::thread::hardware_concurrency());
    return prefetch_on == "reader";
  }
  /// Whether what runs reads the graph's transpose.
  bool transpose() const { return (bfs && !top_down) || (pagerank && !push); }
};

// A mistake in the command line found once the input is read (a --source
// that is no vertex): main prints it and exits with 2.
struct usage_failure {
  std::string message;
};

[[noreturn]] void usage_error(const std::string& message) {
  throw usage_failure{message};
}

// The command line into `c`: nothing when the program goes on, else its
// exit code (--help, --version, a usage error).
std::optional<int> parse_args(int argc, char** argv, config& c) {
  remora::cli::command_line app{"PageRank and BFS over a graph held in Remora Arrays.",
                                "remora-graph"};
  auto input = app.group("input", "an R-MAT graph unless --edges");
  input.add("--scale", c.scale, "2^S vertices").range(0u, 31u);
  input.add("--edge-factor", c.edge_factor, "F * 2^S edges");
  input.add("--seed", c.seed, "generator seed");
  input.add("--edges", c.edges_file,
            "an edge list: SNAP or GAPBS .el (\"src dst\" a line), GAPBS .wel (\"src dst "
            "weight\"), '#' comments; any of them gzipped (FILE.gz)");
  auto run = app.group("what to run");
  std::string algorithm = "pagerank", vertex_state = "local", pagerank = "pull",
              bfs = "direction-optimizing";
  run.add("--algorithm", algorithm, "pagerank, bfs or both").one_of({"pagerank", "bfs", "both"});
  run.add("--iterations", c.iterations, "PageRank iterations").non_negative();
  run.add("--threads", c.threads,
          "PageRank and BFS on N threads, each a range of vertices with about as many "
          "edges")
      .range(1u, 256u);
  run.add("--vertex-state", vertex_state,
          "local: ranks, depths and frontiers in vectors; far: every array in Remora, "
          "at() per element and a scope per vertex (PageRank pulls over in-edges, BFS "
          "is direction-optimizing)")
      .one_of({"local", "far"});
  run.add("--source", c.source, "BFS source, an id of the input (default the lowest)");
  run.add("--pagerank", pagerank,
          "pull: each vertex sums its in-edges' contributions (the transpose is loaded); "
          "push: ranks pushed along out-edges into a vector per thread")
      .one_of({"pull", "push"});
  run.add("--bfs", bfs,
          "direction-optimizing: top-down levels while the frontier is small, bottom-up "
          "ones over in-edges while it is large; top-down: out-edges only")
      .one_of({"direction-optimizing", "top-down"});
  auto where = app.group("where");
  where.cache(c.cache);
  bool no_prefetch = false;
  where.flag("--no-prefetch", no_prefetch, "declare order::off() instead of the access orders");
  where
      .add("--prefetch-on", c.prefetch_on,
           "thread: a prefetcher thread per reader; reader: on the reading threads "
           "themselves; auto: reader unless a core is left for a prefetcher beside the "
           "readers and the evacuator")
      .one_of({"auto", "reader", "thread"});
  where.flag("--in-memory", c.in_memory, "plain vectors only, no Remora: the baseline");
  where.flag("--verify", c.verify, "also run in memory and compare the results");
  where.runtime_options(c.options, /*dram_cache=*/false);
  if (auto code = app.parse(argc, argv)) return code;
  c.pagerank = algorithm != "bfs";
  c.bfs = algorithm != "pagerank";
  c.far_state = vertex_state == "far";
  c.push = pagerank == "push";
  c.top_down = bfs == "top-down";
  c.prefetch = !no_prefetch;
  if (app.given("--prefetch-on-reader")) {  // as --prefetch-on=reader
    if (app.given("--prefetch-on") && c.prefetch_on != "reader")
      return app.usage_error("--prefetch-on-reader and --prefetch-on=" + c.prefetch_on +
                             " disagree");
    c.prefetch_on = "reader";
  }
  if (c.in_memory && c.verify)
    return app.usage_error("--verify compares Remora with --in-memory; pick one");
  if (c.far_state && c.bfs && c.top_down)
    return app.usage_error("--vertex-state=far runs BFS direction-optimizing only");
  if (c.far_state && !c.prefetch)
    return app.usage_error(
        "--vertex-state=far declares no orders; --no-prefetch changes nothing there");
  return std::nullopt;
}

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return text;
}

/// The process's resident memory, from /proc/self/status (bytes): its peak,
/// and what is private to it now. Pages of a memory node's shared memory
/// that UCX maps to read them count as resident but are the node's.
struct resident_memory {
  std::uint64_t peak = 0, private_now = 0;
};
resident_memory resident() {
  resident_memory m;
  std::ifstream status("/proc/self/status");
  auto kib = [](const std::string& line) {
    return std::strtoull(line.c_str() + line.find(':') + 1, nullptr, 10) << 10;
  };
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) m.peak = kib(line);
    if (line.starts_with("RssAnon:")) m.private_now = kib(line);
  }
  return m;
}

// The machine-readable line bench/run graph reads after a load.
void print_loaded(const char* mode, double seconds, const resident_memory& memory) {
  std::printf("loaded mode=%s seconds=%.3f peak_rss_bytes=%llu private_bytes=%llu\n", mode, seconds,
              (unsigned long long)memory.peak, (unsigned long long)memory.private_now);
}

// One line per step, or a single line rewritten in place on a terminal.
class progress {
 public:
  progress() : terminal_(isatty(fileno(stdout)) != 0) {}
  void step(const std::string& line) {
    std::printf(terminal_ ? "\r%s\033[K" : "%s\n", line.c_str());
    std::fflush(stdout);
    shown_ = true;
  }
  void finish() {
    if (terminal_ && shown_) std::printf("\n");
    shown_ = false;
  }

 private:
  bool terminal_, shown_ = false;
};

// What one algorithm run did: time, and the runtime's counters over it
// (none in memory).
struct run_report {
  const char* algorithm;
  double seconds;
  std::uint64_t edges;
  std::optional<remora::Stats> stats;

  void print() const {
    const double rate = seconds > 0 ? static_cast<double>(edges) / seconds : 0;
    std::printf("%s: %.3f s, %.4g edges/s\n", algorithm, seconds, rate);
    std::string hit_rate = "na";
    std::uint64_t bytes_in = 0, bytes_out = 0, issued = 0, prefetch_hits = 0, packed_saved = 0;
    if (stats) {
      const std::uint64_t derefs = stats->hits + stats->misses;
      if (derefs > 0) hit_rate = std::to_string(static_cast<double>(stats->hits) / derefs);
      bytes_in = stats->bytes_in;
      bytes_out = stats->bytes_out;
      issued = stats->prefetch_issued;
      prefetch_hits = stats->prefetch_hits;
      packed_saved = stats->packed_bytes_saved;
      std::printf("  cache: hit rate %s (%llu hits, %llu misses), moved %s in, %s out\n",
                  hit_rate.c_str(), (unsigned long long)stats->hits,
                  (unsigned long long)stats->misses, format_bytes(bytes_in).c_str(),
                  format_bytes(bytes_out).c_str());
      std::printf("  prefetch: %llu issued, %llu hits\n", (unsigned long long)issued,
                  (unsigned long long)prefetch_hits);
      if (stats->packed_reads > 0)
        std::printf("  packed: %llu chunks read packed, %s of their bytes not moved\n",
                    (unsigned long long)stats->packed_reads, format_bytes(packed_saved).c_str());
    }
    std::printf(
        "result algorithm=%s mode=%s seconds=%.4f edges_per_s=%.4g hit_rate=%s bytes_in=%llu "
        "bytes_out=%llu prefetch_issued=%llu prefetch_hits=%llu packed_saved=%llu\n",
        algorithm, stats ? "remora" : "memory", seconds, rate, hit_rate.c_str(),
        (unsigned long long)bytes_in, (unsigned long long)bytes_out, (unsigned long long)issued,
        (unsigned long long)prefetch_hits, (unsigned long long)packed_saved);
  }
};

remora::Stats minus(const remora::Stats& after, const remora::Stats& before) {
  remora::Stats d = after;
  d.hits -= before.hits;
  d.misses -= before.misses;
  d.prefetch_issued -= before.prefetch_issued;
  d.prefetch_hits -= before.prefetch_hits;
  d.prefetch_wasted -= before.prefetch_wasted;
  d.evictions -= before.evictions;
  d.writebacks -= before.writebacks;
  d.bytes_in -= before.bytes_in;
  d.bytes_out -= before.bytes_out;
  d.packed_reads -= before.packed_reads;
  d.packed_bytes_saved -= before.packed_bytes_saved;
  return d;
}

// The input's name for each vertex.
using names = std::function<std::uint64_t(std::uint32_t)>;

names names_of(const graph::edge_list& input) {
  return
      [&input](std::uint32_t v) { return input.original_ids.empty() ? v : input.original_ids[v]; };
}

// An algorithm's run, timed: its progress line, a step an iteration or a
// level, and the runtime's counters before it (none in memory).
class timed_run {
 public:
  explicit timed_run(remora::Runtime* rt)
      : rt_(rt), before_(rt ? std::optional(rt->stats()) : std::nullopt) {}
  /// A step done: `what`, and the seconds since the last one.
  void step(const std::string& what) {
    char took[32];
    std::snprintf(took, sizeof took, " %.2fs", seconds_since(last_));
    line_.step(what + took);
    last_ = clock_type::now();
  }
  /// The run ended, having looked at `edges` edges: its report.
  run_report end(const char* algorithm, std::uint64_t edges) {
    const double seconds = seconds_since(start_);
    line_.finish();
    return {algorithm, seconds, edges,
            rt_ ? std::optional(minus(rt_->stats(), *before_)) : std::nullopt};
  }

 private:
  remora::Runtime* rt_;
  std::optional<remora::Stats> before_;
  progress line_;
  clock_type::time_point start_ = clock_type::now(), last_ = start_;
};

std::string iteration_step(int i, int iterations) {
  return "iteration " + std::to_string(i) + "/" + std::to_string(iterations);
}
std::string level_step(int level, std::uint64_t frontier, bool bottom_up) {
  return "level " + std::to_string(level) + " frontier " + std::to_string(frontier) +
         (bottom_up ? " bottom-up" : " top-down");
}

// Runs PageRank on g and, when `show`, prints its progress and summary.
// With `in` (g's transpose), pulling over it; pushing along g's edges without.
template <class Graph>
std::vector<double> run_pagerank(Graph& g, Graph* in, const config& c, remora::Runtime* rt,
                                 const names& name, bool show) {
  if (show)
    std::printf("pagerank: %s on %u thread%s\n", in ? "pull over in-edges" : "push", c.threads,
                c.threads > 1 ? "s" : "");
  timed_run run(rt);
  auto on_iteration = [&](int i) {
    if (show) run.step(iteration_step(i, c.iterations));
  };
  // The out-degrees are read inside the timed run: they are the graph's.
  std::vector<double> ranks = in ? graph::pagerank_pull(*in, graph::out_degrees(g, c.threads),
                                                        c.iterations, on_iteration, c.threads)
                                 : graph::pagerank(g, c.iterations, on_iteration, c.threads);
  const run_report report =
      run.end("pagerank", g.edges() * static_cast<std::uint64_t>(c.iterations));
  if (!show) return ranks;
  std::vector<std::uint32_t> order(ranks.size());
  std::iota(order.begin(), order.end(), 0);
  const std::size_t top = std::min<std::size_t>(5, order.size());
  std::partial_sort(order.begin(), order.begin() + top, order.end(),
                    [&](std::uint32_t a, std::uint32_t b) { return ranks[a] > ranks[b]; });
  std::printf("top %zu by rank:", top);
  for (std::size_t i = 0; i < top; ++i)
    std::printf(" %llu (%.6f)", (unsigned long long)name(order[i]), ranks[order[i]]);
  std::printf("\n");
  report.print();
  return ranks;
}

// What a BFS from the vertex the input calls `source` reached.
void print_reached(std::uint64_t source, const std::vector<std::int32_t>& depth) {
  const auto reached = std::count_if(depth.begin(), depth.end(), [](int d) { return d >= 0; });
  std::printf("bfs from %llu: reached %lld of %zu vertices, max depth %d\n",
              (unsigned long long)source, (long long)reached, depth.size(),
              *std::max_element(depth.begin(), depth.end()));
}

// Runs BFS on g from `source` and, when `show`, prints its progress and summary.
// With `in` (g's transpose), direction-optimizing; top-down without.
template <class Graph>
graph::bfs_result run_bfs(Graph& g, Graph* in, std::uint32_t source, unsigned threads,
                          remora::Runtime* rt, const names& name, bool show) {
  timed_run run(rt);
  auto on_level = [&](int level, std::size_t frontier, bool bottom_up = false) {
    if (show) run.step(level_step(level, frontier, bottom_up));
  };
  graph::bfs_result r = in ? graph::direction_optimizing_bfs(g, *in, source, on_level, threads)
                           : graph::bfs(g, source, on_level, threads);
  const run_report report = run.end("bfs", r.edges_traversed);
  if (!show) return r;
  print_reached(name(source), r.depth);
  report.print();
  return r;
}

graph::edge_list load(const config& c) {
  const auto start = clock_type::now();
  if (!c.edges_file.empty()) {
    graph::edge_list list = graph::read_edges(c.edges_file);
    std::printf("read %s in %.2f s\n", c.edges_file.c_str(), seconds_since(start));
    return list;
  }
  graph::edge_list list = graph::rmat_edges(c.scale, c.edge_factor, c.seed);
  std::printf("generated R-MAT scale %u, edge factor %llu, seed %llu in %.2f s\n", c.scale,
              (unsigned long long)c.edge_factor, (unsigned long long)c.seed, seconds_since(start));
  return list;
}

// The dense id of the BFS source the user named (default: vertex 0).
std::uint32_t source_vertex(const config& c, const graph::edge_list& input) {
  if (!c.source) return 0;
  if (input.original_ids.empty()) {
    if (*c.source >= input.vertices) usage_error("--source is not a vertex of the graph");
    return static_cast<std::uint32_t>(*c.source);
  }
  const auto it = std::lower_bound(input.original_ids.begin(), input.original_ids.end(), *c.source);
  if (it == input.original_ids.end() || *it != *c.source)
    usage_error("--source is not a vertex of the graph");
  return static_cast<std::uint32_t>(it - input.original_ids.begin());
}

// The last line of a --verify run, and the exit code it makes.
int verdict(bool ok) {
  std::printf(ok ? "verify: ok\n" : "verify: FAILED\n");
  return ok ? 0 : 1;
}

// Compares what Remora computed with what the same code computes in memory.
// `in`: g's transpose, for pull PageRank. Returns the exit code.
int verify(const config& c, const graph::csr& g, const graph::csr* in,
           const graph::edge_list& input, std::uint32_t source, const std::vector<double>& ranks,
           const graph::bfs_result& bfs) {
  bool ok = true;
  if (c.pagerank) {
    const std::vector<double> expected = run_pagerank(g, in, c, nullptr, names_of(input), false);
    double max_abs = 0, max_rel = 0;
    for (std::size_t v = 0; v < expected.size(); ++v) {
      const double diff = std::fabs(ranks[v] - expected[v]);
      max_abs = std::max(max_abs, diff);
      max_rel = std::max(max_rel, diff / std::max(std::fabs(expected[v]), 1e-300));
    }
    std::printf("verify: pagerank max abs diff %.3g, max rel diff %.3g\n", max_abs, max_rel);
    ok = ok && max_rel <= 1e-6;
  }
  if (c.bfs) {
    // Top-down in memory: its depths do not depend on the in-edges.
    const graph::bfs_result expected = run_bfs(g, static_cast<const graph::csr*>(nullptr), source,
                                               c.threads, nullptr, names_of(input), false);
    std::size_t wrong = 0;
    for (std::size_t v = 0; v < expected.depth.size(); ++v)
      wrong += bfs.depth[v] != expected.depth[v];
    std::printf("verify: bfs %zu depths differ\n", wrong);
    ok = ok && wrong == 0;
  }
  return verdict(ok);
}

// The local cache for a graph of `graph_bytes`: the share or size asked for.
std::uint64_t cache_for(const config& c, std::uint64_t graph_bytes) {
  std::uint64_t cache = c.cache.of(graph_bytes);
  if (cache < min_cache) {
    std::printf("local cache %s is below the minimum; using %s\n", format_bytes(cache).c_str(),
                format_bytes(min_cache).c_str());
    cache = min_cache;
  }
  return cache;
}

remora::Options options_for(const config& c, std::uint64_t cache, std::uint64_t graph_bytes) {
  remora::Options options = c.options;
  options.dram_cache(cache)
      .embedded_capacity(graph_bytes + graph_bytes / 2 + (256ull << 20))
      .prefetch_on_reader(c.prefetch_on_reader());
  return options;
}

// The all-far runs' mode line: the cache against the arrays' bytes, where
// the nodes are, and how long the arrays took to fill.
void print_far_mode(const config& c, const char* how, std::uint64_t cache,
                    std::uint64_t graph_bytes, double load_seconds) {
  std::printf(
      "mode: remora, all vertex state far%s, local cache %s (%.1f%% of the arrays), %s; loaded "
      "in %.2f s\n",
      how, format_bytes(cache).c_str(), 100.0 * cache / graph_bytes,
      c.options.memory_nodes().empty() ? "embedded memory node" : "remote memory nodes",
      load_seconds);
}

// PageRank pulling over in-edges with every array in Remora (or, with
// --in-memory, in vectors): --vertex-state=far. Errors reach cli::run.
int run_far_pagerank(const config& c, graph::edge_list& input) {
  graph::pull_graph g = graph::build_pull(input);
  input.edges = {};
  const std::uint64_t graph_bytes = graph::pull_graph::bytes(g.vertices(), g.edges());
  const std::uint64_t edges = g.edges();
  std::printf(
      "graph: %u vertices, %llu edges, %s of in-offsets, sources, out-degrees, ranks and "
      "contributions\n",
      g.vertices(), (unsigned long long)g.edges(), format_bytes(graph_bytes).c_str());
  // `scope_type` names the scope each vertex opens (a type only: a scope
  // made here would stay open for the whole run).
  auto run = [&](auto& arrays, auto scope_type, remora::Runtime* rt) {
    using scope = typename decltype(scope_type)::type;
    timed_run timing(rt);
    graph::pagerank_pull<scope>(
        arrays, c.iterations, [&](int i) { timing.step(iteration_step(i, c.iterations)); },
        c.threads);
    timing.end("pagerank", edges * static_cast<std::uint64_t>(c.iterations)).print();
    return graph::ranks_of(arrays);
  };
  if (c.in_memory) {
    std::printf("mode: in memory, pull over in-edges (plain vectors, no Remora)\n");
    auto local = graph::local_pull(std::move(g));
    run(local, std::type_identity<graph::no_scope>{}, nullptr);
    return 0;
  }
  const std::uint64_t cache = cache_for(c, graph_bytes);
  remora::Runtime rt(options_for(c, cache, graph_bytes));
  const auto start = clock_type::now();
  auto far = graph::far_pull(rt, g);
  print_far_mode(c, ", pull over in-edges", cache, graph_bytes, seconds_since(start));
  const std::vector<double> ranks = run(far, std::type_identity<remora::DerefScope>{}, &rt);
  if (!c.verify) return 0;
  auto local = graph::local_pull(std::move(g));
  graph::pagerank_pull<graph::no_scope>(
      local, c.iterations, [](int) {}, c.threads);
  double max_rel = 0;
  for (std::size_t v = 0; v < ranks.size(); ++v)
    max_rel = std::max(max_rel, std::fabs(ranks[v] - local.ranks.v[v]) /
                                    std::max(std::fabs(local.ranks.v[v]), 1e-300));
  std::printf("verify: pagerank max rel diff %.3g\n", max_rel);
  return verdict(max_rel <= 1e-12);
}

// Direction-optimizing BFS with every array in Remora (or, with
// --in-memory, in vectors): --vertex-state=far --algorithm=bfs. Errors reach
// cli::run.
int run_far_bfs(const config& c, const graph::edge_list& input) {
  const std::uint32_t source = source_vertex(c, input);
  graph::csr out = graph::build_csr(input), in = graph::build_csr(input, true);
  const std::uint64_t graph_bytes =
      graph::bfs_arrays<graph::local_array>::bytes(out.vertices(), out.edges());
  std::printf(
      "graph: %u vertices, %llu edges, %s of offsets and targets both ways, depths, frontier "
      "bitmaps and lists\n",
      out.vertices(), (unsigned long long)out.edges(), format_bytes(graph_bytes).c_str());
  auto run = [&](auto& arrays, auto scope_type, remora::Runtime* rt) {
    using scope = typename decltype(scope_type)::type;
    std::printf("bfs: direction-optimizing on %u thread%s\n", c.threads, c.threads > 1 ? "s" : "");
    timed_run timing(rt);
    auto on_level = [&](int level, std::uint64_t frontier, bool bottom_up) {
      timing.step(level_step(level, frontier, bottom_up));
    };
    const graph::bfs_result r = graph::bfs_all_far<scope>(arrays, source, on_level, c.threads);
    const run_report report = timing.end("bfs", r.edges_traversed);
    std::vector<std::int32_t> depth = graph::depths_of(arrays);
    print_reached(names_of(input)(source), depth);
    report.print();
    return depth;
  };
  if (c.in_memory) {
    std::printf("mode: in memory, all vertex state in vectors (plain vectors, no Remora)\n");
    auto local = graph::local_bfs(std::move(out), std::move(in));
    run(local, std::type_identity<graph::no_scope>{}, nullptr);
    return 0;
  }
  // Top-down in memory, from the graph before it moves: its depths do not
  // depend on the in-edges, or on the code under test.
  const std::vector<std::int32_t> expected =
      c.verify ? graph::bfs(
                     out, source, [](int, std::size_t) {}, c.threads)
                     .depth
               : std::vector<std::int32_t>{};
  const std::uint64_t cache = cache_for(c, graph_bytes);
  remora::Runtime rt(options_for(c, cache, graph_bytes));
  const auto start = clock_type::now();
  auto far = graph::far_bfs(rt, out, in);
  out = {};
  in = {};
  print_far_mode(c, "", cache, graph_bytes, seconds_since(start));
  const std::vector<std::int32_t> depth = run(far, std::type_identity<remora::DerefScope>{}, &rt);
  if (!c.verify) return 0;
  std::size_t wrong = 0;
  for (std::size_t v = 0; v < expected.size(); ++v) wrong += depth[v] != expected[v];
  std::printf("verify: bfs %zu depths differ\n", wrong);
  return verdict(wrong == 0);
}

// --vertex-state=far: each algorithm asked for, BFS first (PageRank's graph
// takes the input's edges).
int run_far_state(const config& c, graph::edge_list& input) {
  int code = 0;
  if (c.bfs) code = run_far_bfs(c, input);
  if (c.pagerank && code == 0) code = run_far_pagerank(c, input);
  return code;
}

// Streams the graph from `source` into Remora and runs what was asked
// there; with --verify, also loads it in memory and compares.
template <class Source>
int run_streamed(const config& c, Source& source) {
  const auto scan_start = clock_type::now();
  const graph::edge_scan scan = graph::scan_edges(source);
  if (scan.edges == 0 && !scan.all_ids) {
    std::fprintf(stderr, "remora-graph: the graph has no vertices\n");
    return 1;
  }
  const std::uint64_t ids = scan.max_id + 1;
  const bool transpose = c.transpose();  // the pool holds it too
  const std::uint64_t graph_bytes = graph::far_csr::bytes(ids, scan.edges);
  std::printf("scanned: %llu edges, ids up to %llu in %.2f s\n", (unsigned long long)scan.edges,
              (unsigned long long)scan.max_id, seconds_since(scan_start));
  const std::uint64_t cache = cache_for(c, graph_bytes);
  remora::Runtime rt(options_for(
      c, cache, scan.pool_bytes() + (transpose ? graph::far_csr::bytes(ids, scan.edges) : 0)));
  const auto start = clock_type::now();
  progress line;
  graph::far_graph g = graph::stream_csr(rt, source, scan, c.prefetch, [&](const char* pass) {
    line.step(std::string("loading: ") + pass + " pass");
  });
  std::optional<graph::far_csr> in;
  if (transpose) {
    line.step("loading: transpose passes");
    in.emplace(graph::stream_transpose(rt, source, g, c.prefetch));
  }
  line.finish();
  const resident_memory memory = resident();
  const std::uint64_t csr_bytes = graph::far_csr::bytes(g.csr.vertices(), g.csr.edges());
  std::printf("graph: %u vertices, %llu edges, %s of offsets and targets%s\n", g.csr.vertices(),
              (unsigned long long)g.csr.edges(), format_bytes(csr_bytes).c_str(),
              transpose ? " (and as much again in the transpose)" : "");
  std::printf(
      "mode: remora, local cache %s (%.1f%% of the graph), %s, prefetch %s; streamed in %.2f s, "
      "peak resident memory %s (private now %s)\n",
      format_bytes(cache).c_str(), 100.0 * cache / csr_bytes,
      c.options.memory_nodes().empty() ? "embedded memory node" : "remote memory nodes",
      !c.prefetch              ? "off"
      : c.prefetch_on_reader() ? "declared, on the reading threads"
                               : "declared, on prefetcher threads",
      seconds_since(start), format_bytes(memory.peak).c_str(),
      format_bytes(memory.private_now).c_str());
  std::uint32_t source_vertex = 0;
  if (c.source) {
    const auto v = g.vertex(*c.source);
    if (!v) usage_error("--source is not a vertex of the graph");
    source_vertex = *v;
  }
  print_loaded("remora", seconds_since(start), memory);
  const names name = [&g](std::uint32_t v) { return g.name(v); };
  std::vector<double> ranks;
  graph::bfs_result depths;
  if (c.pagerank) ranks = run_pagerank(g.csr, c.push ? nullptr : &*in, c, &rt, name, true);
  if (c.bfs)
    depths = run_bfs(g.csr, c.top_down ? nullptr : &*in, source_vertex, c.threads, &rt, name, true);
  if (!c.verify) return 0;
  graph::edge_list input = load(c);
  const graph::csr local = graph::build_csr(input);
  std::optional<graph::csr> local_in;
  if (c.pagerank && !c.push) local_in = graph::build_csr(input, true);
  if (local.offsets.size() != g.csr.vertices() + std::size_t{1} || local.edges() != g.csr.edges()) {
    std::printf("verify: FAILED: in memory %u vertices, %llu edges\n", local.vertices(),
                (unsigned long long)local.edges());
    return 1;
  }
  return verify(c, local, local_in ? &*local_in : nullptr, input, source_vertex, ranks, depths);
}

// The run the command line asked for; what it returns is the exit code.
int run(const config& c) {
  if (!c.far_state && !c.in_memory) {
    if (!c.edges_file.empty()) {
      graph::edge_file file(c.edges_file);
      return run_streamed(c, file);
    }
    graph::rmat_stream rmat(c.scale, c.edge_factor, c.seed);
    std::printf("R-MAT scale %u, edge factor %llu, seed %llu, generated as it is read\n", c.scale,
                (unsigned long long)c.edge_factor, (unsigned long long)c.seed);
    return run_streamed(c, rmat);
  }
  const auto start = clock_type::now();
  graph::edge_list input = load(c);
  if (input.vertices == 0) {
    std::fprintf(stderr, "remora-graph: the graph has no vertices\n");
    return 1;
  }
  if (c.far_state) return run_far_state(c, input);
  const std::uint32_t source = source_vertex(c, input);
  graph::csr g = graph::build_csr(input);
  std::optional<graph::csr> in;
  if (c.transpose()) in = graph::build_csr(input, true);
  input.edges = {};
  const std::uint64_t graph_bytes = graph::far_csr::bytes(g.vertices(), g.edges());
  std::printf("graph: %u vertices, %llu edges, %s of offsets and targets%s\n", g.vertices(),
              (unsigned long long)g.edges(), format_bytes(graph_bytes).c_str(),
              in ? " (and as much again in the transpose)" : "");
  const resident_memory memory = resident();
  std::printf("mode: in memory (plain vectors, no Remora), peak resident memory %s\n",
              format_bytes(memory.peak).c_str());
  print_loaded("memory", seconds_since(start), memory);
  if (c.pagerank) run_pagerank(g, c.push ? nullptr : &*in, c, nullptr, names_of(input), true);
  if (c.bfs)
    run_bfs(g, c.top_down ? nullptr : &*in, source, c.threads, nullptr, names_of(input), true);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  config c;
  if (auto code = parse_args(argc, argv, c)) return *code;
  try {
    return remora::cli::run("remora-graph", [&] { return run(c); });
  } catch (const usage_failure& e) {
    std::fprintf(stderr, "remora-graph: %s (see --help)\n", e.message.c_str());
    return remora::cli::usage;
  }
}

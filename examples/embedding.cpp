// remora-embedding: an embedding-lookup service. A table of --rows rows of
// --dim floats lives in a Remora Array behind a GatherServer; load-generator
// threads send batches of row ids drawn Zipf(--zipf) and time each batch.
// Zipf ranks are scattered over the row ids (zipf.hpp), as hashed ids are:
// hot rows lie far apart. Each row is a remote object of its own unless
// --chunk says otherwise. Hot rows stay in the fastest local tier by the
// cache's CLOCK; cold ones are fetched from the memory nodes, a batch's
// misses together. Load runs --warmup seconds untimed, then --seconds timed;
// each load thread replays a stream drawn before the clock starts, long
// enough not to repeat at the rates this machine reaches. --remote publishes
// the server on a port and drives it through a GatherClient over TCP;
// --in-memory does the same gathers from a plain vector, the baseline;
// --no-prefetch declares order::off() on the table, so that each missing
// row is fetched by its own deref instead of in the batch; --verify checks
// every float returned. --servers=N runs N server processes over memory
// nodes (--memory-node): the table is loaded into the pool once and
// published, each server opens it and serves it, and the load threads send
// their batches to the servers in turn (--private: each server loads a copy
// of its own instead, as separate services would).
//
//   build/examples/remora-embedding --rows=4000000 --dim=64 --dram-cache=10%
//   build/examples/remora-embedding --remote --threads=2 --seconds=10
//   build/examples/remora-embedding --servers=2 --memory-node=127.0.0.1:4242
//   build/examples/remora-embedding --help
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <remora/remora.hpp>

#include "cli/cli.hpp"

#include "zipf.hpp"

namespace {

constexpr std::uint64_t min_cache = 4ull << 20;

struct config {
  std::uint64_t rows = 4'000'000, dim = 64, batch = 256, threads = 1;
  double zipf = 0.99, warmup = 2, seconds = 5;
  remora::cli::cache_size cache{.bytes = {}, .share = 0.10};
  std::optional<std::uint64_t> chunk_bytes;
  remora::Options options;  // --memory-node and the rest of Options' flags
  bool remote = false, in_memory = false, no_prefetch = false, verify = false;
  std::uint64_t servers = 0;
  bool private_tables = false;
  std::string serve;  // internal: serve the table published under this name ("" : load one)
  bool serving = false;
};

// The command line into `c`: nothing when the program goes on, else its
// exit code (--help, --version, a usage error).
std::optional<int> parse_args(int argc, char** argv, config& c) {
  remora::cli::command_line app{"An embedding-lookup service and its load generator.",
                                "remora-embedding"};
  app.add("--rows", c.rows, "table rows").range(1ull, 1ull << 32);
  app.add("--dim", c.dim, "floats a row").positive();
  app.add("--batch", c.batch, "rows a gather").positive();
  app.add("--zipf", c.zipf, "Zipf exponent of the row draw").positive();
  app.cache(c.cache);
  std::uint64_t chunk = 0;
  auto chunk_option = app.bytes("--chunk", chunk,
                                "bytes of table a remote object holds (default: one row; a miss "
                                "moves one chunk), 4 B to 1 MiB");
  app.add("--warmup", c.warmup, "seconds of untimed load before the timed run").non_negative();
  app.add("--seconds", c.seconds, "how long the timed load runs").positive();
  app.add("--threads", c.threads, "load-generator threads").positive();
  auto remote =
      app.flag("--remote", c.remote, "serve on a loopback port, gather through a GatherClient");
  auto in_memory =
      app.flag("--in-memory", c.in_memory, "gather from a plain vector, no Remora: the baseline");
  auto no_prefetch =
      app.flag("--no-prefetch", c.no_prefetch, "no batched fetch: each missing row alone");
  remote.excludes(in_memory).excludes(no_prefetch);
  in_memory.excludes(no_prefetch);
  auto servers = app.add("--servers", c.servers,
                         "N server processes over --memory-node, sharing one published "
                         "table; load spread over them");
  servers.excludes(remote).excludes(in_memory).excludes(no_prefetch);
  app.flag("--private", c.private_tables, "with --servers: each server loads a table of its own")
      .needs(servers);
  app.flag("--verify", c.verify, "check every returned float against the table's formula");
  // A server process of --servers: the published table, or one of its own.
  app.add("--serve", c.serve, "").hidden();
  app.flag("--serve-own").hidden();
  app.runtime_options(c.options, /*dram_cache=*/false);
  if (auto code = app.parse(argc, argv)) return code;
  c.serving = app.given("--serve") || app.given("--serve-own");
  if (chunk_option.given()) {
    if (chunk < sizeof(float) || chunk > (1u << 20))
      return app.usage_error("--chunk must be between 4 B and 1 MiB");
    c.chunk_bytes = chunk;
  }
  if (c.servers > 0 && c.options.memory_nodes().empty())
    return app.usage_error(
        "--servers needs --memory-node: the servers share the pool's memory nodes");
  return std::nullopt;
}

// The table's formula: an integer below 2^24, so exact in a float.
float value_for(std::uint64_t row, std::uint64_t column) {
  return static_cast<float>((row * 2654435761u + column * 40503u) & 0xffffff);
}

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

// What the load threads did, per thread: batch latencies and the check.
struct thread_tally {
  std::vector<double> latencies_us;
  std::uint64_t wrong = 0;
  std::string failure;
};

// Row ids a load thread sends: enough for the warm-up and the timed run at
// up to 6M rows/s (beyond that the stream wraps around; all but a fully
// cached table serve fewer here), at most 2^26.
std::vector<std::uint32_t> stream_for(const config& c, std::uint64_t thread) {
  const double rows = (c.warmup + c.seconds) * 6e6 / double(c.threads);
  const auto length = std::size_t(std::clamp(rows, double(1 << 20), double(1 << 26)));
  return remora::examples::request_stream(c.rows, c.zipf, length, 1000 + thread);
}

// What a run measured: per-thread tallies over `seconds` timed.
struct load_run {
  std::vector<thread_tally> tallies;
  double seconds = 0;
};

// Runs `threads` load generators, each calling gather(rows), for `warmup`
// seconds untimed and then `seconds` timed, with a progress line a second.
// at_start() runs as the timed part begins.
template <class Gather, class AtStart>
load_run drive(const config& c, Gather gather, AtStart at_start) {
  std::vector<thread_tally> tallies(c.threads);
  std::atomic<std::uint64_t> batches{0};
  std::atomic<bool> stop{false}, timing{false};
  std::atomic<std::uint64_t> ready{0};
  std::vector<std::thread> workers;
  for (std::uint64_t t = 0; t < c.threads; ++t)
    workers.emplace_back([&, t] {
      // Drawn before the clock starts: a draw costs a fair part of a row served.
      const std::vector<std::uint32_t> stream = stream_for(c, t);
      std::size_t next = 0;
      std::vector<std::uint64_t> rows(c.batch);
      thread_tally& mine = tallies[t];
      ready.fetch_add(1);
      while (ready.load() < c.threads) std::this_thread::yield();
      try {
        while (!stop.load(std::memory_order_relaxed)) {
          for (auto& r : rows) {
            r = stream[next];
            if (++next == stream.size()) next = 0;
          }
          const auto start = clock_type::now();
          const std::vector<float> got = gather(rows);
          if (timing.load(std::memory_order_relaxed)) {
            mine.latencies_us.push_back(seconds_since(start) * 1e6);
            batches.fetch_add(1, std::memory_order_relaxed);
          }
          if (!c.verify) continue;
          if (got.size() != rows.size() * c.dim)
            ++mine.wrong;
          else
            for (std::size_t i = 0; i < rows.size(); ++i)
              for (std::uint64_t col = 0; col < c.dim; ++col)
                mine.wrong += got[i * c.dim + col] != value_for(rows[i], col);
        }
      } catch (const std::exception& e) {
        mine.failure = e.what();
      }
    });
  while (ready.load() < c.threads) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (c.warmup > 0) {
    std::printf("warming up for %.1f s\n", c.warmup);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::duration<double>(c.warmup));
  }
  at_start();
  timing = true;
  const auto start = clock_type::now();
  std::uint64_t last = 0;
  for (int second = 1; seconds_since(start) < c.seconds; ++second) {
    std::this_thread::sleep_for(
        std::chrono::duration<double>(std::min(1.0, c.seconds - seconds_since(start))));
    const std::uint64_t now = batches.load(std::memory_order_relaxed);
    std::printf("%.1fs: %llu batches/s, %.3g rows/s\n", seconds_since(start),
                (unsigned long long)(now - last), double(now - last) * c.batch);
    std::fflush(stdout);
    last = now;
  }
  const double seconds = seconds_since(start);
  stop = true;
  for (auto& w : workers) w.join();
  return {std::move(tallies), seconds};
}

// Summary and the final `result` line; returns the exit code.
int report(const config& c, const char* mode, const load_run& run, const std::string& hit_rate) {
  const auto& tallies = run.tallies;
  const double seconds = run.seconds;
  std::vector<double> all;
  std::uint64_t wrong = 0;
  for (const auto& t : tallies) {
    all.insert(all.end(), t.latencies_us.begin(), t.latencies_us.end());
    wrong += t.wrong;
    if (!t.failure.empty()) {
      std::fprintf(stderr, "remora-embedding: a gather failed: %s\n", t.failure.c_str());
      return 1;
    }
  }
  if (all.empty()) {
    std::fprintf(stderr, "remora-embedding: no batch finished in %.1f s\n", seconds);
    return 1;
  }
  std::sort(all.begin(), all.end());
  auto quantile = [&](double q) {
    return all[std::min(all.size() - 1, std::size_t(q * all.size()))];
  };
  const double batches_per_s = double(all.size()) / seconds;
  std::printf(
      "%s: %zu batches of %llu rows in %.2f s: %.4g rows/s, %.4g batches/s, "
      "latency p50 %.1f us, p99 %.1f us, local hit rate %s\n",
      mode, all.size(), (unsigned long long)c.batch, seconds, batches_per_s * c.batch,
      batches_per_s, quantile(0.5), quantile(0.99), hit_rate.c_str());
  if (c.verify) {
    if (wrong != 0) {
      std::printf("verify: FAILED, %llu floats differ from the table\n", (unsigned long long)wrong);
      return 1;
    }
    std::printf("verify: ok (%zu rows checked)\n", all.size() * c.batch);
  }
  std::printf(
      "result mode=%s rows_per_s=%.0f batches_per_s=%.0f p50_us=%.1f p99_us=%.1f "
      "hit_rate=%s\n",
      mode, batches_per_s * c.batch, batches_per_s, quantile(0.5), quantile(0.99),
      hit_rate.c_str());
  return 0;
}

int run_in_memory(const config& c) {
  std::vector<float> table(c.rows * c.dim);
  for (std::uint64_t i = 0; i < table.size(); ++i) table[i] = value_for(i / c.dim, i % c.dim);
  auto run = drive(
      c,
      [&](const std::vector<std::uint64_t>& rows) {
        std::vector<float> out(rows.size() * c.dim);
        for (std::size_t i = 0; i < rows.size(); ++i)
          std::copy_n(table.data() + rows[i] * c.dim, c.dim, out.data() + i * c.dim);
        return out;
      },
      [] {});
  return report(c, "memory", run, "na");
}

// The Runtime's options: a cache of the configured size, and room for the
// whole table on an embedded node (slot headers and size-class rounding up
// to 1.25x), so that nothing spills to disk.
remora::Options runtime_options(const config& c) {
  const std::uint64_t bytes = c.rows * c.dim * sizeof(float);
  remora::Options options = c.options;
  options.dram_cache(std::max(min_cache, c.cache.of(bytes)))
      .embedded_capacity(bytes + bytes / 2 + (256ull << 20));
  return options;
}

// A table filled by the formula.
remora::Array<float> load_table(const config& c, remora::Runtime& rt) {
  const auto fill_start = clock_type::now();
  auto table = rt.make_array<float>(c.rows * c.dim, c.chunk_bytes.value_or(c.dim * sizeof(float)));
  for (std::uint64_t i = 0; i < table.size();) {
    remora::DerefScope scope;
    for (float& v : table.span_mut(scope, i)) {
      v = value_for(i / c.dim, i % c.dim);
      ++i;
    }
  }
  std::printf("table: %llu rows x %llu floats (%.1f MiB), filled in %.2f s\n",
              (unsigned long long)c.rows, (unsigned long long)c.dim,
              double(table.size() * sizeof(float)) / 1048576.0, seconds_since(fill_start));
  std::fflush(stdout);
  return table;
}

// A server process of --servers: serves the published table (or a table of
// its own), says where on stdout, and serves until its stdin closes.
int run_server(const config& c) {
  remora::Runtime rt(runtime_options(c));
  std::optional<remora::Array<float>> own;
  std::unique_ptr<remora::GatherServer> server;
  if (c.serve.empty()) {
    own.emplace(load_table(c, rt));
    server = std::make_unique<remora::GatherServer>(rt, *own, c.dim);
  } else {
    server = std::make_unique<remora::GatherServer>(rt, rt.open_array<float>(c.serve), c.dim);
  }
  std::printf("serving on 127.0.0.1:%u\n", server->publish("127.0.0.1", 0));
  std::fflush(stdout);
  char sink[64];
  while (::read(STDIN_FILENO, sink, sizeof sink) > 0) {
  }
  return 0;
}

// A started server process: its pid, its stdin (closing it ends the
// server) and the port it serves on.
struct server_process {
  pid_t pid = -1;
  int stdin_fd = -1;
  std::uint16_t port = 0;
};

server_process start_server(const config& c, const std::string& published) {
  int in[2], out[2];
  if (::pipe(in) != 0 || ::pipe(out) != 0) throw remora::Error("cannot make pipes for a server");
  std::vector<std::string> args{
      "/proc/self/exe", published.empty() ? "--serve-own" : "--serve=" + published,
      "--rows=" + std::to_string(c.rows), "--dim=" + std::to_string(c.dim)};
  args.push_back("--dram-cache=" + c.cache.text());
  if (c.chunk_bytes) args.push_back("--chunk=" + std::to_string(*c.chunk_bytes));
  for (const auto& node : c.options.memory_nodes()) args.push_back("--memory-node=" + node);
  std::vector<char*> argv;  // made before the fork: the child only execs
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::close(in[1]);
    ::close(out[0]);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  server_process p{pid, in[1], 0};
  // Its lines until "serving on" (a table of its own is loaded first).
  std::string line;
  char ch;
  while (::read(out[0], &ch, 1) == 1) {
    if (ch != '\n') {
      line += ch;
      continue;
    }
    if (auto at = line.find("serving on 127.0.0.1:"); at != std::string::npos) {
      p.port = static_cast<std::uint16_t>(std::stoul(line.substr(at + 21)));
      break;
    }
    line.clear();
  }
  ::close(out[0]);
  if (p.port == 0) throw remora::Error("a server process ended before it served");
  return p;
}

int run_servers(const config& c) {
  remora::Runtime rt(runtime_options(c));
  std::optional<remora::ArrayView<float>> shared;
  std::string name;
  if (!c.private_tables) {
    name = "remora-embedding-" + std::to_string(::getpid());
    auto table = load_table(c, rt);
    const auto start = clock_type::now();
    shared.emplace(rt.publish(name, std::move(table)));
    std::printf("published as '%s' in %.2f s: the servers share one copy\n", name.c_str(),
                seconds_since(start));
  }
  std::vector<server_process> servers;
  std::vector<std::unique_ptr<remora::GatherClient>> clients;
  auto stop_servers = [&] {
    for (auto& s : servers) ::close(s.stdin_fd);
    for (auto& s : servers) ::waitpid(s.pid, nullptr, 0);
    servers.clear();
  };
  int code = 1;
  try {
    for (std::uint64_t i = 0; i < c.servers; ++i) {
      servers.push_back(start_server(c, name));
      clients.push_back(std::make_unique<remora::GatherClient>("127.0.0.1", servers.back().port));
      std::printf("server %llu serving on 127.0.0.1:%u\n", (unsigned long long)i,
                  servers.back().port);
      std::fflush(stdout);
    }
    std::atomic<std::uint64_t> turn{0};
    auto run = drive(
        c,
        [&](const std::vector<std::uint64_t>& rows) {
          return clients[turn.fetch_add(1, std::memory_order_relaxed) % clients.size()]->gather(
              rows);
        },
        [] {});
    std::printf("pool: %llu copies of the table (%.1f MiB each)\n",
                (unsigned long long)(c.private_tables ? c.servers : 1),
                double(c.rows * c.dim * sizeof(float)) / 1048576.0);
    const std::string mode =
        "servers-" + std::to_string(c.servers) + (c.private_tables ? "-private" : "-shared");
    code = report(c, mode.c_str(), run, "na");
  } catch (...) {
    clients.clear();
    stop_servers();
    throw;
  }
  clients.clear();
  stop_servers();
  if (shared) {
    shared.reset();
    rt.unpublish(name);
  }
  return code;
}

int run_remora(const config& c) {
  const remora::Options options = runtime_options(c);
  remora::Runtime rt(options);
  auto table = load_table(c, rt);
  std::printf("cache: %.1f MiB\n", options.dram_cache() / 1048576.0);
  if (c.no_prefetch) table.prefetch(remora::order::off());
  remora::GatherServer server(rt, table, c.dim);
  std::unique_ptr<remora::GatherClient> client;
  if (c.remote) {
    const std::uint16_t port = server.publish("127.0.0.1", 0);
    std::printf("serving on 127.0.0.1:%u\n", port);
    client = std::make_unique<remora::GatherClient>("127.0.0.1", port);
  }
  remora::Stats before;
  auto run = drive(
      c,
      [&](const std::vector<std::uint64_t>& rows) {
        return client ? client->gather(rows) : server.gather(rows);
      },
      [&] { before = rt.stats(); });
  const remora::Stats after = rt.stats();
  // Chunk touches served from the local cache: a gather's batched fetch is
  // counted as prefetches, whose chunks its derefs then find present.
  const double touches = double(after.hits - before.hits + after.misses - before.misses);
  const double far =
      double(after.misses - before.misses + after.prefetch_issued - before.prefetch_issued);
  const std::string hit_rate = touches == 0 ? "na" : std::to_string(1 - far / touches);
  std::printf(
      "cache: %llu chunks fetched in batches, %llu one by one, %llu evicted, %llu "
      "fetched but evicted unread\n",
      (unsigned long long)(after.prefetch_issued - before.prefetch_issued),
      (unsigned long long)(after.misses - before.misses),
      (unsigned long long)(after.evictions - before.evictions),
      (unsigned long long)(after.prefetch_wasted - before.prefetch_wasted));
  return report(c,
                c.remote        ? "remote"
                : c.no_prefetch ? "local-no-prefetch"
                                : "local",
                run, hit_rate);
}

}  // namespace

int main(int argc, char** argv) {
  config c;
  if (auto code = parse_args(argc, argv, c)) return *code;
  return remora::cli::run("remora-embedding", [&] {
    if (c.serving) return run_server(c);
    if (c.servers > 0) return run_servers(c);
    return c.in_memory ? run_in_memory(c) : run_remora(c);
  });
}

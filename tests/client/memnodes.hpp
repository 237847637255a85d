// What the client tests against real remora-memnode processes share: the
// address of a started node, and an object big enough that a few hundred
// thousand of them overflow a 4 MiB cache.
#pragma once

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "actors/control_plane.hpp"
#include "actors/node_client.hpp"
#include "remora/remora.hpp"
#include "tests/support/child_process.hpp"

namespace remora::testing {

/// What the memory node at `where` reports (remora-ctl stats), asked over
/// `cp` with `token`.
inline actors::node_stats stats_of(actors::control_plane& cp, const std::string& where,
                                   const std::string& token = {}) {
  actors::node_client::options o;
  o.address = *actors::node_address::parse(where);
  o.auth_token = token;
  auto node = actors::node_client::connect(cp, o);
  if (!node) FAIL("connecting to " << where << ": " << node.err().message);
  auto s = (*node)->stats();
  if (!s) FAIL("stats of " << where << ": " << s.err().message);
  return *s;
}

/// Waits for `p` (a remora-memnode with --port=0) to listen; its address.
inline std::string start_node(child_process& p) {
  auto line = p.wait_for_line("listening on", std::chrono::seconds(30));
  REQUIRE(line.has_value());
  return "127.0.0.1:" + std::to_string(port_from_line(*line));
}

/// Starts `count` memory nodes (--port=0, --capacity=128MiB and `extra`)
/// and names each in `options`.
inline std::vector<std::unique_ptr<child_process>> start_nodes(
    int count, remora::Options& options, const std::vector<std::string>& extra = {}) {
  std::vector<std::unique_ptr<child_process>> nodes;
  for (int i = 0; i < count; ++i) {
    std::vector<std::string> argv{REMORA_MEMNODE, "--port=0", "--capacity=128MiB"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    nodes.push_back(std::make_unique<child_process>(argv));
    options.memory_node(start_node(*nodes.back()));
  }
  return nodes;
}

/// A memory node with tenants a (token-a) and b (token-b), each with a
/// quota of `quota`, named in `options`.
inline std::vector<std::unique_ptr<child_process>> start_tenant_node(
    Options& options, const std::string& quota = "24MiB") {
  const auto file =
      std::filesystem::temp_directory_path() / ("remora-tenants-" + std::to_string(::getpid()));
  std::ofstream(file) << "# name token quota\na token-a " << quota << "\nb token-b " << quota
                      << "\n";
  auto nodes = start_nodes(1, options, {"--tenants=" + file.string()});
  std::filesystem::remove(file);
  return nodes;
}

/// `options` as tenant `who` of start_tenant_node ("a" or "b"), with a
/// 4 MiB cache.
inline Options as_tenant(const Options& options, const std::string& who) {
  return Options(options).auth_token("token-" + who).dram_cache(4 << 20);
}

/// Waits until repair has made copies and then none for two seconds
/// (write-backs of objects cached at a kill may still leave a few short
/// meanwhile), for at most a minute.
inline void wait_for_repair(const remora::Runtime& rt) {
  std::uint64_t last = 0;
  int quiet = 0;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       quiet < 4 && std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const std::uint64_t now = rt.stats().repairs;
    quiet = now > 0 && now == last ? quiet + 1 : 0;
    last = now;
  }
}

struct wide {
  std::uint64_t a, b, pad[30];
};
using wide_objects = std::vector<remora::UniquePtr<wide>>;

/// Adds `count` objects to `objects`, each holding its index (a and b).
inline void add_wide(remora::Runtime& rt, wide_objects& objects, std::uint64_t count) {
  for (std::uint64_t i = objects.size(), end = i + count; i < end; ++i)
    objects.push_back(rt.make_unique<wide>(wide{i, i, {}}));
}

/// How many of `objects` do not read back their index.
inline std::uint64_t wrong_reads(wide_objects& objects) {
  std::uint64_t wrong = 0;
  for (std::uint64_t i = 0; i < objects.size(); ++i) wrong += objects[i].read().a != i;
  return wrong;
}

}  // namespace remora::testing

// remora-ctl: operator's tool for memory nodes.
//
//   remora-ctl stats HOST:PORT [--json] [-i SECONDS [--count=N]] [--auth-token=T]
//                    [--timeout-ms=N] [--tls-...]
//   remora-ctl nodes etcd://HOST:PORT/PREFIX [--json] [--timeout-ms=N]
//   remora-ctl drain HOST:PORT [--auth-token=T] [--wait-s=N]
//   remora-ctl --help | --version
//
// stats prints the node's figures (server, memory, spill, clients, traffic,
// sharing: client/ctl_stats.hpp) as a table or (--json) one JSON object, once
// or (-i) every few seconds; nodes lists the
// memory nodes registered in etcd (remora-memnode --cluster=URL); drain
// has a node's clients move its objects to the other nodes, then lets it
// leave (it stops).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "actors/control_plane.hpp"
#include "actors/membership.hpp"
#include "actors/node_client.hpp"
#include "cli/cli.hpp"
#include "client/ctl_stats.hpp"
#include "transport/byte_size.hpp"
#include "transport/token_file.hpp"

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "remora-ctl: %s\n", what.c_str());
  return 1;
}

// Drains the node `client` is connected to: see the usage.
int drain(remora::actors::node_client& client, std::chrono::seconds wait) {
  using clock = std::chrono::steady_clock;
  const std::string node = client.address().to_string();
  auto s = client.drain(true);
  if (!s) return fail(s.err().message);
  std::printf("draining %s: %llu objects to move, %llu clients connected\n", node.c_str(),
              (unsigned long long)s->objects, (unsigned long long)s->sessions);
  std::fflush(stdout);
  const auto start = clock::now();
  auto last_report = start;
  std::uint64_t objects = s->objects, sessions = s->sessions;
  while (objects > 0 && clock::now() - start < wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto now = client.stats();
    if (!now) return fail(now.err().message + " (the node stays draining)");
    objects = now->objects;
    sessions = now->sessions;
    if (clock::now() - last_report >= std::chrono::seconds(2)) {
      last_report = clock::now();
      std::printf("  %llu objects left\n", (unsigned long long)objects);
      std::fflush(stdout);
    }
  }
  if (objects > 0) {
    (void)client.drain(false);
    return fail("gave up after " + std::to_string(wait.count()) + " s: " + std::to_string(objects) +
                " objects remain on " + node + " (" + std::to_string(sessions) +
                " clients connected: a client that is gone cannot move its objects); the node "
                "stays in the pool");
  }
  if (auto left = client.leave(); !left) return fail(left.err().message);
  const auto took = std::chrono::duration<double>(clock::now() - start).count();
  std::printf("%s is empty after %.1f s and has left the pool\n", node.c_str(), took);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  remora::cli::command_line app{"Operator's tool for memory nodes.", "remora-ctl"};
  app.one_command_at_most();  // and none: said below, after unknown options are
  std::string target, token_file;
  bool json = false;
  unsigned wait_s = 600, timeout_ms = 5000;
  remora::actors::node_client::options o;
  remora::actors::tls_options tls;
  auto stats = app.command("stats", "print a memory node's capacity, use, spill and traffic");
  stats.add("node", target, "the node").type_name("HOST:PORT").required();
  auto nodes = app.command("nodes", "list the memory nodes registered in etcd");
  nodes.add("cluster", target, "where they register")
      .type_name("etcd://HOST:PORT/PREFIX")
      .required();
  auto drain_command = app.command(
      "drain",
      "the node takes no new objects, its clients move theirs to the other nodes, and once it is "
      "empty it leaves the pool and stops; after --wait-s without that, it stays");
  drain_command.add("node", target, "the node").type_name("HOST:PORT").required();
  drain_command.add("--wait-s", wait_s, "seconds to wait for the node to empty");
  app.flag("--json", json, "one JSON object instead of a table");
  double interval = 0;
  unsigned long count = 0;
  stats.add("-i,--interval", interval, "print again every this many seconds").non_negative();
  stats.add("--count", count, "with -i: stop after this many (default: until stopped)");
  app.add("--auth-token", o.auth_token,
          "the node's token, if it requires one (or REMORA_AUTH_TOKEN)");
  app.add("--auth-token-file", token_file, "the node's token, read from FILE");
  app.add("--timeout-ms", timeout_ms, "give up after this long");
  auto cert = app.add("--tls-certificate", tls.certificate,
                      "talk TLS to a node started with the same flags: PEM certificate");
  auto key = app.add("--tls-key", tls.key, "PEM key of the certificate");
  auto ca = app.add("--tls-ca-file", tls.ca_file, "PEM CA file to verify the node with");
  remora::cli::together({cert, key, ca});
  if (auto code = app.parse(argc, argv)) return *code;
  if (app.command_given().empty())
    return app.usage_error("a command is needed: stats, nodes or drain");
  o.timeout = std::chrono::milliseconds(timeout_ms);
  const std::chrono::seconds wait{wait_s};
  if (!token_file.empty()) {
    auto token = remora::transport::read_token_file(token_file);
    if (!token) return app.usage_error("--auth-token-file: " + token.err().message);
    o.auth_token = *token;
  }
  if (const char* env = std::getenv("REMORA_AUTH_TOKEN"); o.auth_token.empty() && env != nullptr)
    o.auth_token = env;
  const std::vector<std::string> positional{app.command_given(), target};
  if (positional[0] == "nodes") {
    auto etcd = remora::actors::etcd_client::parse(positional[1], o.timeout);
    if (!etcd) return fail(etcd.err().message);
    auto members = remora::actors::list_members(*etcd);
    if (!members) return fail(members.err().message);
    if (json) {
      std::string out = "[";
      for (const auto& m : *members) out += (out.size() > 1 ? ", \"" : "\"") + m + "\"";
      std::printf("%s]\n", out.c_str());
    } else {
      for (const auto& m : *members) std::printf("%s\n", m.c_str());
    }
    return 0;
  }
  auto address = remora::actors::node_address::parse(positional[1]);
  if (!address) return fail(address.err().message);
  o.address = *address;
  remora::actors::control_plane cp(tls);
  auto client = remora::actors::node_client::connect(cp, o);
  if (!client) return fail(client.err().message);
  if (positional[0] == "drain") return drain(**client, wait);
  // stats, once or (-i) every so often until interrupted or --count runs out.
  const std::string node = o.address.to_string();
  for (unsigned long shown = 0;;) {
    auto s = (*client)->stats();
    if (!s) return fail(s.err().message);
    if (json)
      remora::client::print_stats_json(node, *s);
    else
      remora::client::print_stats_table(node, *s);
    std::fflush(stdout);
    if (interval <= 0 || (count > 0 && ++shown >= count)) return 0;
    std::this_thread::sleep_for(std::chrono::duration<double>(interval));
    if (!json) std::printf("\n");
  }
}

// remora-ctl: operator's tool for memory nodes.
//
//   remora-ctl stats HOST:PORT [--json] [--auth-token=T] [--timeout-ms=N] [--tls-...]
//   remora-ctl nodes etcd://HOST:PORT/PREFIX [--json] [--timeout-ms=N]
//   remora-ctl drain HOST:PORT [--auth-token=T] [--wait-s=N]
//
// stats prints the node's capacity, used, spilled, objects, requests and
// bytes served, as a table or (--json) one JSON object; nodes lists the
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
#include "transport/byte_size.hpp"
#include "transport/token_file.hpp"

namespace {

const char* usage =
    "usage: remora-ctl stats HOST:PORT [--json] [--auth-token=T] [--timeout-ms=N]\n"
    "       remora-ctl nodes etcd://HOST:PORT/PREFIX [--json] [--timeout-ms=N]\n"
    "       remora-ctl drain HOST:PORT [--auth-token=T] [--wait-s=N]\n"
    "  stats         print a memory node's capacity, use, spill and traffic\n"
    "  nodes         list the memory nodes registered in etcd\n"
    "  drain         the node takes no new objects, its clients move theirs to the\n"
    "                other nodes, and once it is empty it leaves the pool and stops;\n"
    "                after --wait-s seconds (default 600) without that, it stays\n"
    "  --json        one JSON object instead of a table\n"
    "  --auth-token  the node's token, if it requires one (or --auth-token-file=F,\n"
    "                or REMORA_AUTH_TOKEN)\n"
    "  --timeout-ms  give up after this long (default 5000)\n"
    "  --tls-certificate=PEM --tls-key=PEM --tls-ca-file=PEM\n"
    "                talk TLS to a node started with the same flags\n";

int fail(const std::string& what) {
  std::fprintf(stderr, "remora-ctl: %s\n", what.c_str());
  return 1;
}

// The whole number `text`, or nullopt.
std::optional<unsigned long> whole_number(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 9)
    return std::nullopt;
  return std::stoul(text);
}

// The node's tenants as JSON objects, comma-separated.
std::string tenants_json(const remora::actors::node_stats& s) {
  std::string out;
  for (std::size_t t = 0; t < s.tenant_names.size(); ++t)
    out += std::string(t == 0 ? "" : ", ") + "{\"name\": \"" + s.tenant_names[t] +
           "\", \"used\": " + std::to_string(s.tenant_used[t]) +
           ", \"quota\": " + std::to_string(s.tenant_quota[t]) + "}";
  return out;
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
  std::vector<std::string> positional;
  bool json = false;
  std::chrono::seconds wait{600};
  remora::actors::node_client::options o;
  remora::actors::tls_options tls;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      return 0;
    } else if (arg == "--json") {
      json = true;
    } else if (arg.rfind("--auth-token=", 0) == 0) {
      o.auth_token = arg.substr(13);
    } else if (arg.rfind("--auth-token-file=", 0) == 0) {
      auto token = remora::transport::read_token_file(arg.substr(18));
      if (!token) return fail("--auth-token-file: " + token.err().message);
      o.auth_token = *token;
    } else if (arg.rfind("--timeout-ms=", 0) == 0) {
      auto ms = whole_number(arg.substr(13));
      if (!ms) return fail("--timeout-ms: not a number of milliseconds: '" + arg.substr(13) + "'");
      o.timeout = std::chrono::milliseconds(*ms);
    } else if (arg.rfind("--wait-s=", 0) == 0) {
      auto seconds = whole_number(arg.substr(9));
      if (!seconds) return fail("--wait-s: not a number of seconds: '" + arg.substr(9) + "'");
      wait = std::chrono::seconds(*seconds);
    } else if (arg.rfind("--tls-certificate=", 0) == 0) {
      tls.certificate = arg.substr(18);
    } else if (arg.rfind("--tls-key=", 0) == 0) {
      tls.key = arg.substr(10);
    } else if (arg.rfind("--tls-ca-file=", 0) == 0) {
      tls.ca_file = arg.substr(14);
    } else if (arg.rfind("--", 0) == 0) {
      return fail("unknown option '" + arg + "' (see --help)");
    } else {
      positional.push_back(arg);
    }
  }
  if (const char* env = std::getenv("REMORA_AUTH_TOKEN"); o.auth_token.empty() && env != nullptr)
    o.auth_token = env;
  if (positional.size() != 2 ||
      (positional[0] != "stats" && positional[0] != "nodes" && positional[0] != "drain")) {
    std::fputs(usage, stderr);
    return 2;
  }
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
  auto s = (*client)->stats();
  if (!s) return fail(s.err().message);
  using remora::transport::format_byte_size;
  if (json) {
    std::printf(
        "{\"node\": \"%s\", \"capacity\": %llu, \"used\": %llu, \"objects\": %llu, "
        "\"spilled_objects\": %llu, \"spilled_bytes\": %llu, \"spills\": %llu, \"unspills\": %llu, "
        "\"requests\": %llu, \"errors\": %llu, \"bytes_served\": %llu, \"sessions\": %llu, "
        "\"leaving\": %s, \"leases_lapsed\": %llu, \"objects_reclaimed\": %llu, "
        "\"published\": %llu, \"publications_held\": %llu, \"tenants\": [%s]}\n",
        o.address.to_string().c_str(), (unsigned long long)s->capacity, (unsigned long long)s->used,
        (unsigned long long)s->objects, (unsigned long long)s->spilled_objects,
        (unsigned long long)s->spilled_bytes, (unsigned long long)s->spills,
        (unsigned long long)s->unspills, (unsigned long long)s->requests,
        (unsigned long long)s->errors, (unsigned long long)s->bytes_served,
        (unsigned long long)s->sessions, s->leaving ? "true" : "false",
        (unsigned long long)s->leases_lapsed, (unsigned long long)s->objects_reclaimed,
        (unsigned long long)s->published, (unsigned long long)s->publications_held,
        tenants_json(*s).c_str());
    return 0;
  }
  auto row = [](const char* name, const std::string& value) {
    std::printf("  %-16s %s\n", name, value.c_str());
  };
  std::printf("memory node %s\n", o.address.to_string().c_str());
  row("capacity", format_byte_size(s->capacity));
  row("used", format_byte_size(s->used) + " (" +
                  std::to_string(s->capacity ? 100 * s->used / s->capacity : 0) + " %)");
  row("objects", std::to_string(s->objects));
  row("spilled",
      std::to_string(s->spilled_objects) + " objects, " + format_byte_size(s->spilled_bytes));
  row("spills", std::to_string(s->spills) + " out, " + std::to_string(s->unspills) + " back");
  row("requests", std::to_string(s->requests) + " (" + std::to_string(s->errors) + " refused)");
  row("bytes served", format_byte_size(s->bytes_served));
  row("sessions", std::to_string(s->sessions) + (s->leaving ? " (draining)" : ""));
  for (std::size_t t = 0; t < s->tenant_names.size(); ++t)
    row(("tenant " + s->tenant_names[t]).c_str(),
        format_byte_size(s->tenant_used[t]) + " of " + format_byte_size(s->tenant_quota[t]));
  row("leases lapsed", std::to_string(s->leases_lapsed) + " clients, " +
                           std::to_string(s->objects_reclaimed) + " objects freed");
  row("published", std::to_string(s->published) + " arrays (" +
                       std::to_string(s->publications_held - s->published) +
                       " unpublished, still viewed)");
  return 0;
}

// remora-ctl: operator's tool for memory nodes.
//
//   remora-ctl stats HOST:PORT [--json] [--auth-token=T] [--timeout-ms=N] [--tls-...]
//   remora-ctl nodes etcd://HOST:PORT/PREFIX [--json] [--timeout-ms=N]
//
// stats prints the node's capacity, used, spilled, objects, requests and
// bytes served, as a table or (--json) one JSON object; nodes lists the
// memory nodes registered in etcd (remora-memnode --cluster=URL).
#include <cstdio>
#include <string>
#include <vector>

#include "actors/control_plane.hpp"
#include "actors/membership.hpp"
#include "actors/node_client.hpp"
#include "transport/byte_size.hpp"

namespace {

const char* usage =
    "usage: remora-ctl stats HOST:PORT [--json] [--auth-token=T] [--timeout-ms=N]\n"
    "       remora-ctl nodes etcd://HOST:PORT/PREFIX [--json] [--timeout-ms=N]\n"
    "  stats         print a memory node's capacity, use, spill and traffic\n"
    "  nodes         list the memory nodes registered in etcd\n"
    "  --json        one JSON object instead of a table\n"
    "  --auth-token  the node's token, if it requires one\n"
    "  --timeout-ms  give up after this long (default 5000)\n"
    "  --tls-certificate=PEM --tls-key=PEM --tls-ca-file=PEM\n"
    "                talk TLS to a node started with the same flags\n";

int fail(const std::string& what) {
  std::fprintf(stderr, "remora-ctl: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  bool json = false;
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
    } else if (arg.rfind("--timeout-ms=", 0) == 0) {
      o.timeout = std::chrono::milliseconds(std::stoul(arg.substr(13)));
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
  if (positional.size() != 2 || (positional[0] != "stats" && positional[0] != "nodes")) {
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
  auto s = (*client)->stats();
  if (!s) return fail(s.err().message);
  using remora::transport::format_byte_size;
  if (json) {
    std::printf(
        "{\"node\": \"%s\", \"capacity\": %llu, \"used\": %llu, \"objects\": %llu, "
        "\"spilled_objects\": %llu, \"spilled_bytes\": %llu, \"spills\": %llu, \"unspills\": %llu, "
        "\"requests\": %llu, \"errors\": %llu, \"bytes_served\": %llu, \"sessions\": %llu}\n",
        o.address.to_string().c_str(), (unsigned long long)s->capacity, (unsigned long long)s->used,
        (unsigned long long)s->objects, (unsigned long long)s->spilled_objects,
        (unsigned long long)s->spilled_bytes, (unsigned long long)s->spills,
        (unsigned long long)s->unspills, (unsigned long long)s->requests,
        (unsigned long long)s->errors, (unsigned long long)s->bytes_served,
        (unsigned long long)s->sessions);
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
  row("sessions", std::to_string(s->sessions));
  return 0;
}

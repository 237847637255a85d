// remora-bench-control: control-plane request/reply against a memory node:
// stats round trips (one at a time, the heartbeat's request) and
// allocation + free of one 64-byte object, for `seconds` each. With
// --tls-ca-file/--tls-certificate/--tls-key it speaks TLS. One line:
// "case=control tls=0|1 rtt_per_s=... p50_us=... p99_us=... alloc_free_per_s=...".
// With --redis-port instead of --node, the peer's figures through the same
// loops: GET of a 64-byte value one at a time, and SET + DEL of one key:
// "case=control-redis rtt_per_s=... p50_us=... p99_us=... alloc_free_per_s=...".
#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "actors/control_plane.hpp"
#include "actors/node_client.hpp"
#include "bench/driver.hpp"

using remora::bench::clock_type;
using remora::bench::fail;

namespace {

// Round trips (`ask`, one at a time, each timed) for `seconds`, then
// pairs (`pair`, counted) for as long; prints the line.
void measure(const char* label, double seconds, const std::function<void()>& ask,
             const std::function<void(std::uint64_t)>& pair) {
  for (int i = 0; i < 200; ++i) ask();  // warm up
  std::vector<double> rtt;
  auto start = clock_type::now();
  while (std::chrono::duration<double>(clock_type::now() - start).count() < seconds) {
    const auto t0 = clock_type::now();
    ask();
    rtt.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
  }
  const double rtt_s = std::chrono::duration<double>(clock_type::now() - start).count();
  std::uint64_t pairs = 0;
  start = clock_type::now();
  for (std::uint64_t id = 1;
       std::chrono::duration<double>(clock_type::now() - start).count() < seconds; ++id) {
    pair(id);
    ++pairs;
  }
  const double pair_s = std::chrono::duration<double>(clock_type::now() - start).count();
  std::sort(rtt.begin(), rtt.end());
  std::printf("case=%s rtt_per_s=%.0f p50_us=%.1f p99_us=%.1f alloc_free_per_s=%.0f\n", label,
              rtt.size() / rtt_s, rtt[rtt.size() / 2], rtt[rtt.size() * 99 / 100], pairs / pair_s);
}

void against_redis(int port, double seconds) {
  redisContext* redis = redisConnect("127.0.0.1", port);
  if (redis == nullptr || redis->err)
    fail("cannot connect to redis on port " + std::to_string(port));
  auto command = [&](const std::string& c) {
    auto* r = static_cast<redisReply*>(redisCommand(redis, c.c_str()));
    if (r == nullptr || r->type == REDIS_REPLY_ERROR) fail("redis: " + c + " failed");
    freeReplyObject(r);
  };
  command("SET value " + std::string(64, 'x'));
  measure(
      "control-redis", seconds, [&] { command("GET value"); },
      [&](std::uint64_t id) {
        command("SET key-" + std::to_string(id) + " " + std::string(64, 'x'));
        command("DEL key-" + std::to_string(id));
      });
  redisFree(redis);
}

}  // namespace

int main(int argc, char** argv) {
  remora::actors::node_client::options o;
  remora::actors::tls_options tls;
  double seconds = 2;
  std::string node;
  int redis_port = 0;
  remora::cli::command_line app{
      "Times control-plane round trips (stats) and alloc + free of one object, or the "
      "same loops against Redis (GET; SET + DEL).",
      "remora-bench-control"};
  auto at_node = app.add("--node", node, "the memory node").type_name("HOST:PORT");
  auto at_redis = app.add("--redis-port", redis_port, "or a redis-server on 127.0.0.1");
  at_node.excludes(at_redis);
  app.add("--seconds", seconds, "how long each case runs").positive();
  app.add("--auth-token", o.auth_token, "the node's token");
  auto ca = app.add("--tls-ca-file", tls.ca_file, "TLS: the CA's PEM file");
  auto cert = app.add("--tls-certificate", tls.certificate, "TLS: this client's certificate");
  auto key = app.add("--tls-key", tls.key, "TLS: its key");
  remora::cli::together({ca, cert, key});
  if (auto code = app.parse(argc, argv)) return *code;
  if (node.empty() == (redis_port == 0)) return app.usage_error("give --node or --redis-port");
  if (redis_port != 0)
    return remora::cli::run("remora-bench-control", [&] {
      against_redis(redis_port, seconds);
      return 0;
    });
  auto address = remora::actors::node_address::parse(node);
  if (!address) return app.usage_error(address.err().message);
  o.address = *address;
  return remora::cli::run("remora-bench-control", [&] {
    remora::actors::control_plane cp(tls);
    auto client = remora::actors::node_client::connect(cp, o);
    if (!client) fail(client.err().message);
    auto& c = **client;
    const std::string label = tls.enabled() ? "control tls=1" : "control tls=0";
    measure(
        label.c_str(), seconds,
        [&] {
          if (!c.stats()) fail("a stats request failed");
        },
        [&](std::uint64_t id) {
          const std::vector<std::uint64_t> ids{id};
          if (!c.allocate(ids, std::vector<std::uint32_t>{64}) || !c.free(ids))
            fail("an alloc or free failed");
        });
    return 0;
  });
}

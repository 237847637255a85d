// remora-bench-control: control-plane request/reply against a memory node:
// stats round trips (one at a time, the heartbeat's request) and
// allocation + free of one 64-byte object, for `seconds` each. With
// --tls-ca-file/--tls-certificate/--tls-key it speaks TLS. One line:
// "case=control tls=0|1 rtt_per_s=... p50_us=... p99_us=... alloc_free_per_s=...".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "actors/control_plane.hpp"
#include "actors/node_client.hpp"
#include "bench/driver.hpp"

using remora::bench::clock_type;
using remora::bench::fail;

int main(int argc, char** argv) {
  remora::actors::node_client::options o;
  remora::actors::tls_options tls;
  double seconds = 2;
  std::string node;
  CLI::App app{"Times control-plane round trips (stats) and alloc + free of one object.",
               "remora-bench-control"};
  remora::cli::standard(app);
  app.add_option("--node", node, "the memory node")->type_name("HOST:PORT")->required();
  app.add_option("--seconds", seconds, "how long each case runs")->check(CLI::PositiveNumber);
  app.add_option("--auth-token", o.auth_token, "the node's token");
  auto* ca = app.add_option("--tls-ca-file", tls.ca_file, "TLS: the CA's PEM file");
  auto* cert =
      app.add_option("--tls-certificate", tls.certificate, "TLS: this client's certificate");
  auto* key = app.add_option("--tls-key", tls.key, "TLS: its key");
  ca->needs(cert)->needs(key);
  cert->needs(ca)->needs(key);
  key->needs(ca)->needs(cert);
  if (auto code = remora::cli::parse(app, argc, argv)) return *code;
  auto address = remora::actors::node_address::parse(node);
  if (!address) return remora::cli::usage_error(app, address.err().message);
  o.address = *address;
  return remora::cli::run("remora-bench-control", [&] {
    remora::actors::control_plane cp(tls);
    auto client = remora::actors::node_client::connect(cp, o);
    if (!client) fail(client.err().message);
    auto& c = **client;
    for (int i = 0; i < 200; ++i) (void)c.stats();  // warm up
    std::vector<double> rtt;
    auto start = clock_type::now();
    while (std::chrono::duration<double>(clock_type::now() - start).count() < seconds) {
      const auto t0 = clock_type::now();
      if (!c.stats()) fail("a stats request failed");
      rtt.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
    }
    const double rtt_s = std::chrono::duration<double>(clock_type::now() - start).count();
    std::uint64_t pairs = 0;
    start = clock_type::now();
    for (std::uint64_t id = 1;
         std::chrono::duration<double>(clock_type::now() - start).count() < seconds; ++id) {
      const std::vector<std::uint64_t> ids{id};
      if (!c.allocate(ids, std::vector<std::uint32_t>{64}) || !c.free(ids))
        fail("an alloc or free failed");
      ++pairs;
    }
    const double pair_s = std::chrono::duration<double>(clock_type::now() - start).count();
    std::sort(rtt.begin(), rtt.end());
    std::printf(
        "case=control tls=%d rtt_per_s=%.0f p50_us=%.1f p99_us=%.1f alloc_free_per_s=%.0f\n",
        tls.enabled() ? 1 : 0, rtt.size() / rtt_s, rtt[rtt.size() / 2], rtt[rtt.size() * 99 / 100],
        pairs / pair_s);
    return 0;
  });
}

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

namespace {

using clock_type = std::chrono::steady_clock;

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr, "remora-bench-control: %s (see --help)\n", what.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  remora::actors::node_client::options o;
  remora::actors::tls_options tls;
  double seconds = 2;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const std::string& name) { return a.substr(name.size()); };
    if (a == "--help") {
      std::puts(
          "usage: remora-bench-control --node=HOST:PORT [--seconds=S] [--auth-token=T]\n"
          "       [--tls-ca-file=PEM --tls-certificate=PEM --tls-key=PEM]\n"
          "Times control-plane round trips (stats) and alloc + free of one object.");
      return 0;
    } else if (a.rfind("--node=", 0) == 0) {
      auto address = remora::actors::node_address::parse(value("--node="));
      if (!address) usage_error(address.err().message);
      o.address = *address;
    } else if (a.rfind("--seconds=", 0) == 0) {
      seconds = std::stod(value("--seconds="));
    } else if (a.rfind("--auth-token=", 0) == 0) {
      o.auth_token = value("--auth-token=");
    } else if (a.rfind("--tls-ca-file=", 0) == 0) {
      tls.ca_file = value("--tls-ca-file=");
    } else if (a.rfind("--tls-certificate=", 0) == 0) {
      tls.certificate = value("--tls-certificate=");
    } else if (a.rfind("--tls-key=", 0) == 0) {
      tls.key = value("--tls-key=");
    } else {
      usage_error("unknown option '" + a + "'");
    }
  }
  if (o.address.port == 0) usage_error("name the node (--node=HOST:PORT)");
  remora::actors::control_plane cp(tls);
  auto client = remora::actors::node_client::connect(cp, o);
  if (!client) usage_error(client.err().message);
  auto& c = **client;
  for (int i = 0; i < 200; ++i) (void)c.stats();  // warm up
  std::vector<double> rtt;
  auto start = clock_type::now();
  while (std::chrono::duration<double>(clock_type::now() - start).count() < seconds) {
    const auto t0 = clock_type::now();
    if (!c.stats()) usage_error("a stats request failed");
    rtt.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
  }
  const double rtt_s = std::chrono::duration<double>(clock_type::now() - start).count();
  std::uint64_t pairs = 0;
  start = clock_type::now();
  for (std::uint64_t id = 1;
       std::chrono::duration<double>(clock_type::now() - start).count() < seconds; ++id) {
    const std::vector<std::uint64_t> ids{id};
    if (!c.allocate(ids, std::vector<std::uint32_t>{64}) || !c.free(ids))
      usage_error("an alloc or free failed");
    ++pairs;
  }
  const double pair_s = std::chrono::duration<double>(clock_type::now() - start).count();
  std::sort(rtt.begin(), rtt.end());
  std::printf("case=control tls=%d rtt_per_s=%.0f p50_us=%.1f p99_us=%.1f alloc_free_per_s=%.0f\n",
              tls.enabled() ? 1 : 0, rtt.size() / rtt_s, rtt[rtt.size() / 2],
              rtt[rtt.size() * 99 / 100], pairs / pair_s);
  return 0;
}

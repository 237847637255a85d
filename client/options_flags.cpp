#include "client/options_flags.hpp"

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "remora/errors.hpp"
#include "transport/byte_size.hpp"

namespace remora::client {

namespace {

std::uint64_t bytes_of(const std::string& flag, const std::string& text) {
  auto n = transport::parse_byte_size(text);
  if (!n || *n == 0)
    throw ConfigError(flag + ": '" + text + "' is not a byte size (try 64MiB or 8GB)");
  return *n;
}

Options::tier_request tier_of(const std::string& flag, const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) throw ConfigError(flag + " wants DEVICE:BYTES, e.g. 0:1GiB");
  int device = 0;
  std::size_t used = 0;
  try {
    device = std::stoi(text.substr(0, colon), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != colon)
    throw ConfigError(flag + ": '" + text.substr(0, colon) + "' is not a device number");
  return {device, bytes_of(flag, text.substr(colon + 1))};
}

std::uint32_t count_of(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  unsigned long n = 0;
  try {
    n = std::stoul(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || text[0] == '-' || n > UINT32_MAX)
    throw ConfigError(flag + ": '" + text + "' is not a number");
  return static_cast<std::uint32_t>(n);
}

}  // namespace

void add_options_flags(CLI::App& app, Options& o, bool dram_cache) {
  // The value's name in --help, by flag.
  static const std::map<std::string, std::string> shapes = {
      {"--dram-cache", "BYTES"},    {"--cxl-cache", "NODE:BYTES"}, {"--hbm-cache", "DEVICE:BYTES"},
      {"--compress-links", "MODE"}, {"--cluster", "URL"},          {"--embedded-capacity", "BYTES"},
      {"--spill-dir", "DIR"},       {"--auth-token", "TOKEN"},     {"--auth-token-file", "FILE"},
      {"--tls-ca-file", "PEM"},     {"--tls-certificate", "PEM"},  {"--tls-key", "PEM"},
      {"--timeout-ms", "MS"},       {"--replicas", "R"},           {"--erasure", "K,M"},
      {"--dead-after-ms", "MS"},    {"--net-devices", "LIST"}};
  auto with = [&](const std::string& flag, const std::string& what, auto set) {
    return app
        .add_option_function<std::string>(
            flag, [flag, set](const std::string& v) { set(flag, v); }, what)
        ->type_name(shapes.at(flag));
  };
  if (dram_cache)
    with("--dram-cache", "local DRAM cache, e.g. 64MiB (default 64MiB)",
         [&o](auto& f, auto& v) { o.dram_cache(bytes_of(f, v)); });
  with("--cxl-cache", "a cache tier on a NUMA node (CXL memory): NODE:BYTES",
       [&o](auto& f, auto& v) {
         const auto t = tier_of(f, v);
         o.cxl_cache(t.device, t.bytes);
       });
  with("--hbm-cache", "a cache tier in GPU memory: DEVICE:BYTES", [&o](auto& f, auto& v) {
    const auto t = tier_of(f, v);
    o.hbm_cache(t.device, t.bytes);
  });
  app.add_option_function<std::vector<std::string>>(
         "--memory-node",
         [&o](const std::vector<std::string>& nodes) {
           for (const auto& n : nodes) o.memory_node(n);
         },
         "a memory node; repeat for several (default: an embedded one)")
      ->type_name("HOST:PORT");
  with("--cluster", "the memory nodes registered in etcd: etcd://HOST:PORT/PREFIX",
       [&o](auto&, auto& v) { o.cluster(v); });
  with("--embedded-capacity", "DRAM of the embedded node before it spills (default 1GiB)",
       [&o](auto& f, auto& v) { o.embedded_capacity(bytes_of(f, v)); });
  with("--spill-dir", "where the embedded node spills (default: a temporary directory)",
       [&o](auto&, auto& v) { o.spill_dir(v); });
  with("--auth-token", "the token memory nodes require (or REMORA_AUTH_TOKEN)",
       [&o](auto&, auto& v) { o.auth_token(v); });
  with("--auth-token-file", "the token, read from FILE",
       [&o](auto&, auto& v) { o.auth_token_file(v); });
  // TLS takes all three files; the last one's callback (they run in the
  // order they are added) sets them.
  auto tls = std::make_shared<std::array<std::string, 3>>();
  auto ca = with("--tls-ca-file", "TLS (mutual) to the memory nodes: the CA's PEM file",
                 [tls](auto&, auto& v) { (*tls)[0] = v; });
  auto cert = with("--tls-certificate", "this client's PEM certificate",
                   [tls](auto&, auto& v) { (*tls)[1] = v; });
  auto key = with("--tls-key", "this client's PEM key", [tls, &o](auto&, auto& v) {
    (*tls)[2] = v;
    o.tls((*tls)[0], (*tls)[1], (*tls)[2]);
  });
  ca->needs(cert)->needs(key);
  cert->needs(ca)->needs(key);
  key->needs(ca)->needs(cert);
  with("--timeout-ms", "bound on every wait on a memory node, in ms (default 5000)",
       [&o](auto& f, auto& v) { o.timeout(std::chrono::milliseconds(count_of(f, v))); });
  with("--replicas", "keep every object on R memory nodes (default 1)",
       [&o](auto& f, auto& v) { o.replicas(count_of(f, v)); });
  with("--erasure", "or code it into K data + M parity pieces on K+M nodes: K,M",
       [&o](auto& f, auto& v) {
         const auto comma = v.find(',');
         if (comma == std::string::npos)
           throw ConfigError(f + ": '" + v + "' is not K,M (e.g. 4,2)");
         o.erasure(count_of(f, v.substr(0, comma)), count_of(f, v.substr(comma + 1)));
       });
  with("--dead-after-ms", "a node silent this long (ms) is dead; its copies are rebuilt (10000)",
       [&o](auto& f, auto& v) { o.dead_after(std::chrono::milliseconds(count_of(f, v))); });
  with("--net-devices", "UCX devices for data, e.g. eth0 or all",
       [&o](auto&, auto& v) { o.net_devices(v); });
  app.add_flag_callback(
      "--prefetch-on-reader", [&o] { o.prefetch_on_reader(true); },
      "prefetch on the reading threads, not threads of their own (default below 3 cores)");
  app.add_flag_callback(
      "--prefetch-on-threads", [&o] { o.prefetch_on_reader(false); },
      "prefetch on threads of their own (default from 3 cores)");
  app.add_flag_callback(
      "--check-access", [&o] { o.check_access(true); },
      "check that threads meet on Array chunks as the contract allows (default in debug builds)");
  with("--compress-links",
       "pack objects of 8 KiB or more sent over the network with zstd: off, slow (links under "
       "0.3 GB/s) or always (default off)",
       [&o](auto& f, auto& v) {
         using c = Options::compression;
         if (v == "off")
           o.compress_links(c::off);
         else if (v == "slow")
           o.compress_links(c::slow_links);
         else if (v == "always")
           o.compress_links(c::always);
         else
           throw ConfigError(f + ": '" + v + "' is not off, slow or always");
       });
}

}  // namespace remora::client

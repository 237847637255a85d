#include "remora/options.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "remora/errors.hpp"
#include "transport/byte_size.hpp"

namespace remora {

namespace {

std::uint64_t bytes_of(std::string_view flag, std::string_view text) {
  auto n = transport::parse_byte_size(text);
  if (!n || *n == 0)
    throw ConfigError(std::string(flag) + ": '" + std::string(text) +
                      "' is not a byte size (try 64MiB)");
  return *n;
}

Options::tier_request tier_of(std::string_view flag, std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos)
    throw ConfigError(std::string(flag) + " wants DEVICE:BYTES, e.g. 0:1GiB");
  int device = 0;
  try {
    device = std::stoi(std::string(text.substr(0, colon)));
  } catch (const std::exception&) {
    throw ConfigError(std::string(flag) + ": '" + std::string(text.substr(0, colon)) +
                      "' is not a device number");
  }
  return {device, bytes_of(flag, text.substr(colon + 1))};
}

}  // namespace

Options& Options::dram_cache(std::uint64_t bytes) {
  dram_cache_ = bytes;
  return *this;
}
Options& Options::cxl_cache(int numa_node, std::uint64_t bytes) {
  cxl_ = tier_request{numa_node, bytes};
  return *this;
}
Options& Options::hbm_cache(int cuda_device, std::uint64_t bytes) {
  hbm_ = tier_request{cuda_device, bytes};
  return *this;
}
Options& Options::memory_node(std::string host_port) {
  memory_nodes_.push_back(std::move(host_port));
  return *this;
}
Options& Options::embedded_capacity(std::uint64_t bytes) {
  embedded_capacity_ = bytes;
  return *this;
}
Options& Options::spill_dir(std::string dir) {
  spill_dir_ = std::move(dir);
  return *this;
}
Options& Options::auth_token(std::string token) {
  auth_token_ = std::move(token);
  return *this;
}
Options& Options::auth_token_file(std::string path) {
  auth_token_file_ = std::move(path);
  return *this;
}
Options& Options::tls(std::string ca_file, std::string certificate, std::string key) {
  tls_ = tls_files{std::move(ca_file), std::move(certificate), std::move(key)};
  return *this;
}
Options& Options::replicas(std::uint32_t r) {
  if (r < 1 || r > 4)
    throw ConfigError("replicas(" + std::to_string(r) + "): between 1 and 4 copies, please");
  replicas_ = r;
  return *this;
}
Options& Options::cluster(std::string url) {
  if (url.rfind("etcd://", 0) != 0)
    throw ConfigError("cluster: '" + url + "' is not etcd://HOST:PORT/PREFIX");
  cluster_ = std::move(url);
  return *this;
}
Options& Options::erasure(std::uint32_t k, std::uint32_t m) {
  if (k < 1 || m < 1 || k + m > 8)
    throw ConfigError("erasure(" + std::to_string(k) + ", " + std::to_string(m) +
                      "): k and m at least 1, and k + m at most 8, please");
  erasure_ = erasure_code{k, m};
  return *this;
}
Options& Options::net_devices(std::string devices) {
  net_devices_ = std::move(devices);
  return *this;
}
Options& Options::prefetch_on_reader(bool on) {
  prefetch_on_reader_ = on;
  return *this;
}
Options& Options::timeout(std::chrono::milliseconds t) {
  timeout_ = t;
  return *this;
}
Options& Options::dead_after(std::chrono::milliseconds t) {
  if (t.count() <= 0) throw ConfigError("dead_after must be positive");
  dead_after_ = t;
  return *this;
}

const char* Options::help() {
  return "Remora options:\n"
         "  --dram-cache=BYTES         local DRAM cache (default 64MiB)\n"
         "  --cxl-cache=NODE:BYTES     a cache tier on a NUMA node (CXL memory)\n"
         "  --hbm-cache=DEVICE:BYTES   a cache tier in GPU memory\n"
         "  --memory-node=HOST:PORT    a memory node; repeat for several (default: embedded)\n"
         "  --cluster=etcd://H:P/PFX   the memory nodes registered in etcd\n"
         "  --embedded-capacity=BYTES  DRAM of the embedded node before it spills (1GiB)\n"
         "  --spill-dir=DIR            where the embedded node spills (a temporary dir)\n"
         "  --auth-token=TOKEN         presented to memory nodes (or REMORA_AUTH_TOKEN)\n"
         "  --auth-token-file=FILE     the token, read from FILE\n"
         "  --tls-ca-file=PEM --tls-certificate=PEM --tls-key=PEM\n"
         "                             TLS (mutual) to the memory nodes\n"
         "  --timeout-ms=N             bound on every wait on a memory node (5000)\n"
         "  --replicas=R               keep every object on R memory nodes (1)\n"
         "  --erasure=K,M              or code it into K data + M parity pieces on K+M nodes\n"
         "  --dead-after-ms=N          a node silent this long is dead; its copies are rebuilt "
         "(10000)\n"
         "  --net-devices=LIST         UCX devices for data, e.g. eth0 or all (see the README)\n"
         "  --prefetch-on-reader       prefetch on the reading threads, not threads of its own\n";
}

Options Options::from_args(int argc, char** argv) {
  Options o;
  std::string tls_ca, tls_certificate, tls_key;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view name) -> std::optional<std::string_view> {
      if (arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=')
        return arg.substr(name.size() + 1);
      return std::nullopt;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(help(), stdout);
      std::exit(0);
    } else if (auto v = value("--dram-cache")) {
      o.dram_cache(bytes_of("--dram-cache", *v));
    } else if (auto v = value("--cxl-cache")) {
      auto t = tier_of("--cxl-cache", *v);
      o.cxl_cache(t.device, t.bytes);
    } else if (auto v = value("--hbm-cache")) {
      auto t = tier_of("--hbm-cache", *v);
      o.hbm_cache(t.device, t.bytes);
    } else if (auto v = value("--memory-node")) {
      o.memory_node(std::string(*v));
    } else if (auto v = value("--cluster")) {
      o.cluster(std::string(*v));
    } else if (auto v = value("--embedded-capacity")) {
      o.embedded_capacity(bytes_of("--embedded-capacity", *v));
    } else if (auto v = value("--spill-dir")) {
      o.spill_dir(std::string(*v));
    } else if (auto v = value("--auth-token")) {
      o.auth_token(std::string(*v));
    } else if (auto v = value("--auth-token-file")) {
      o.auth_token_file(std::string(*v));
    } else if (auto v = value("--tls-ca-file")) {
      tls_ca = std::string(*v);
    } else if (auto v = value("--tls-certificate")) {
      tls_certificate = std::string(*v);
    } else if (auto v = value("--tls-key")) {
      tls_key = std::string(*v);
    } else if (arg == "--prefetch-on-reader") {
      o.prefetch_on_reader(true);
    } else if (auto v = value("--net-devices")) {
      o.net_devices(std::string(*v));
    } else if (auto v = value("--replicas")) {
      try {
        o.replicas(static_cast<std::uint32_t>(std::stoul(std::string(*v))));
      } catch (const ConfigError&) {
        throw;
      } catch (const std::exception&) {
        throw ConfigError("--replicas: '" + std::string(*v) + "' is not a number");
      }
    } else if (auto v = value("--erasure")) {
      const std::string text(*v);
      const auto comma = text.find(',');
      try {
        if (comma == std::string::npos) throw std::invalid_argument("");
        std::size_t used_k = 0, used_m = 0;
        const auto k = std::stoul(text.substr(0, comma), &used_k);
        const auto m = std::stoul(text.substr(comma + 1), &used_m);
        if (used_k != comma || used_m != text.size() - comma - 1) throw std::invalid_argument("");
        o.erasure(static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(m));
      } catch (const ConfigError&) {
        throw;
      } catch (const std::exception&) {
        throw ConfigError("--erasure: '" + text + "' is not K,M (e.g. 4,2)");
      }
    } else if (auto v = value("--dead-after-ms")) {
      try {
        o.dead_after(std::chrono::milliseconds(std::stoul(std::string(*v))));
      } catch (const ConfigError&) {
        throw;
      } catch (const std::exception&) {
        throw ConfigError("--dead-after-ms: '" + std::string(*v) + "' is not a number");
      }
    } else if (auto v = value("--timeout-ms")) {
      try {
        o.timeout(std::chrono::milliseconds(std::stoul(std::string(*v))));
      } catch (const std::exception&) {
        throw ConfigError("--timeout-ms: '" + std::string(*v) + "' is not a number");
      }
    }
  }
  if (!tls_ca.empty() || !tls_certificate.empty() || !tls_key.empty())
    o.tls(tls_ca, tls_certificate, tls_key);
  return o;
}

}  // namespace remora

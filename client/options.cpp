#include "remora/options.hpp"

#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "client/options_flags.hpp"
#include "remora/errors.hpp"
#include "transport/byte_size.hpp"

namespace remora {

namespace {

// The cores this process may run on (its affinity mask); 0 when unknown.
unsigned usable_cores() {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  return static_cast<unsigned>(CPU_COUNT(&set));
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
Options& Options::compress_links(compression c) {
  compress_links_ = c;
  return *this;
}

Options& Options::prefetch_on_reader(bool on) {
  prefetch_on_reader_ = on;
  return *this;
}
bool Options::prefetch_on_reader() const {
  if (prefetch_on_reader_) return *prefetch_on_reader_;
  const unsigned cores = usable_cores();
  return cores != 0 && cores < 3;
}
Options& Options::check_access(bool on) {
  check_access_ = on;
  return *this;
}
bool Options::check_access() const {
#ifdef NDEBUG
  return check_access_.value_or(false);
#else
  return check_access_.value_or(true);
#endif
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

Options Options::from_args(int argc, char** argv) {
  Options o;
  CLI::App app("Remora options");
  app.set_help_flag();
  bool help = false, version = false;
  app.add_flag("-h,--help", help, "print the options and their meaning");
  app.add_flag("--version", version, "print Remora's version");
  client::add_options_flags(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ExtrasError& e) {
    std::string unknown;
    for (const auto& arg : app.remaining()) unknown += (unknown.empty() ? "" : " ") + arg;
    throw ConfigError("not a Remora option: " + unknown);
  } catch (const CLI::ParseError& e) {
    throw ConfigError(e.what());
  }
  o.help_requested_ = help;
  o.version_requested_ = version;
  return o;
}

const char* Options::help() {
  static const std::string text = [] {
    Options o;
    CLI::App app("Remora options");
    app.set_help_flag();
    client::add_options_flags(app, o);
    // CLI11's usage line names no program: the list alone.
    const std::string full = app.help();
    const auto list = full.find("Options:\n");
    return "Remora options:\n" + (list == std::string::npos ? full : full.substr(list + 9));
  }();
  return text.c_str();
}

}  // namespace remora

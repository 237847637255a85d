// remora-memnode: serves a slice of the far-memory pool until SIGINT or
// SIGTERM, or until it is drained and told to leave (remora-ctl drain).
// Options come from flags or a CAF config file (--config-file=F, INI with
// the same keys in a [global] section); flags win.
//
//   remora-memnode --port=4242 --bind=0.0.0.0 --capacity=8GiB
//                  --spill-dir=/var/lib/remora [--auth-token-file=F]
//                  --tls-certificate=P --tls-key=P --tls-ca-file=P  (or --insecure)
//
// No configuration file is read unless --config-file names one (CAF would
// read caf-application.ini from the working directory). The token comes
// from --auth-token-file, --auth-token (seen by `ps`) or REMORA_AUTH_TOKEN.
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <caf/all.hpp>
#include <caf/config_option_adder.hpp>

#include "actors/membership.hpp"
#include "actors/memory_node_host.hpp"
#include "actors/node_events.hpp"
#include "actors/node_metrics.hpp"
#include "remora/version.hpp"
#include "transport/byte_size.hpp"
#include "transport/context.hpp"
#include "transport/token_file.hpp"

namespace {

using remora::transport::format_byte_size;
using remora::transport::parse_byte_size;

// Parses options only; the node's actor system is built afterwards, once the
// TLS choice is known.
class memnode_options : public caf::actor_system_config {
 public:
  std::uint16_t port = 4242;
  std::string bind = "127.0.0.1";
  std::string capacity = "1GiB";
  std::string spill_dir;
  std::string auth_token, auth_token_file, tenants;
  std::string tls_certificate, tls_key, tls_ca_file;
  std::string net_devices;
  double high_watermark = 0.90, low_watermark = 0.80;
  bool test_hooks = false, insecure = false, require_client_cert = false, populate = false;
  std::string cluster, advertise;
  std::string lease_grace = "30s";
  std::string reuse_delay = "5ms";
  std::string handshake_timeout = "10s";
  std::size_t max_connections = 1024;
  std::string metrics;  // a port for /metrics ("0": a free one); empty: none

  memnode_options() {
    caf::config_option_adder{custom_options_, "global"}
        .add(port, "port", "TCP port for clients; 0 picks a free one (default 4242)")
        .add(bind, "bind", "address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
        .add(capacity, "capacity", "arena DRAM before spilling, e.g. 8GiB (default 1GiB)")
        .add(spill_dir, "spill-dir",
             "RocksDB directory for spilled objects; wiped at start (default: a temporary one)")
        .add(auth_token, "auth-token",
             "token clients must present (default: none; visible to ps: prefer the file or "
             "REMORA_AUTH_TOKEN)")
        .add(auth_token_file, "auth-token-file", "file holding the token clients must present")
        .add(tenants, "tenants",
             "file of tenants, a line each: NAME TOKEN QUOTA (e.g. a s3cret 24MiB); a client "
             "is the tenant whose token it gives, and its objects hold at most QUOTA; each tenant "
             "has a region of the capacity of its own, in proportion to its quota")
        .add(high_watermark, "high-watermark", "fraction of capacity that starts spilling (0.9)")
        .add(low_watermark, "low-watermark", "fraction of capacity spilling stops at (0.8)")
        .add(populate, "populate",
             "fault all of --capacity in at start, in the background: the memory is in use at "
             "once, and objects then land on pages already there instead of each new page "
             "being zeroed while a client waits")
        .add(reuse_delay, "reuse-delay",
             "how long a freed or spilled slot waits before another object takes it: longer "
             "than any client's one-sided read of it takes (default 5ms)")
        .add(tls_certificate, "tls-certificate", "PEM certificate: enables TLS")
        .add(tls_certificate, "tls-cert", "the same as --tls-certificate")
        .add(tls_key, "tls-key", "PEM private key of the certificate")
        .add(tls_ca_file, "tls-ca-file", "PEM CA file to verify peers with")
        .add(tls_ca_file, "tls-ca", "the same as --tls-ca-file")
        .add(require_client_cert, "require-client-cert",
             "clients must show a certificate the CA signed: always so with TLS (CAF's TLS "
             "is mutual); given without TLS, an error")
        .add(net_devices, "net-devices",
             "UCX devices for data, e.g. eth0 or all (default: UCX_NET_DEVICES, else lo when "
             "bound to loopback, all otherwise)")
        .add(cluster, "cluster",
             "etcd://HOST:PORT/PREFIX: register there (under a lease kept alive) for clients "
             "to find")
        .add(advertise, "advertise",
             "host clients reach this node at, in the cluster (default: --bind; the host name "
             "when bound to 0.0.0.0)")
        .add(lease_grace, "lease-grace",
             "how long a client may be gone (every connection closed) before its objects are "
             "freed, e.g. 30s or 2m (default 30s)")
        .add(handshake_timeout, "handshake-timeout",
             "close a connection whose client has not said hello with a good token within this "
             "long (a TLS handshake included), e.g. 10s (default 10s); until then it may send "
             "64 KiB")
        .add(max_connections, "max-connections",
             "connections open at once; more are closed as they arrive (default 1024)")
        .add(metrics, "metrics",
             "serve Prometheus text at http://BIND:PORT/metrics on this port (0: a free one; "
             "default: none)")
        .add(insecure, "insecure",
             "serve plain TCP on an address beyond loopback (tokens and requests in clear); "
             "without it such a bind needs TLS. With --tenants, also let data move over UCX "
             "tcp, whose emulated one-sided reads and writes do not check addresses (a tenant "
             "could reach another's memory); without it tenants' data moves over shared memory "
             "(or RDMA) alone")
        .add(test_hooks, "test-hooks",
             "for tests only: serve fault injection (damaging stored bytes)");
  }
};

// Set when a drained node was told to leave; the SIGTERM it sends itself
// then ends main's wait.
std::atomic<bool> drained{false};

// A start that cannot go on: main prints it and cleans up, after whatever
// was started has been torn down on the way out.
struct startup_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& what) {
  throw startup_failure(what);
}

// A command line that cannot work (a bad flag or value, flags that do not
// go together): exit code 2, where a start that fails otherwise gives 1.
struct usage_failure : startup_failure {
  using startup_failure::startup_failure;
};

[[noreturn]] void usage_error(const std::string& what) {
  throw usage_failure(what);
}

// What CAF's option parser refused, in a sentence: the argument and why
// (CAF's own text names the error code and a dictionary around it).
std::string option_error(const caf::error& err) {
  if (err.category() != caf::atom("parser")) return caf::to_string(err);
  std::string argument;
  const caf::message& context = err.context();
  if (context.match_element<caf::config_value::dictionary>(0)) {
    const auto& fields = context.get_as<caf::config_value::dictionary>(0);
    if (auto it = fields.find("argument"); it != fields.end())
      if (const auto* text = caf::get_if<std::string>(&it->second)) argument = *text;
  }
  const auto why = [&]() -> std::string {
    switch (static_cast<caf::pec>(err.code())) {
      case caf::pec::not_an_option:
        return "no such option";
      case caf::pec::integer_overflow:
      case caf::pec::integer_underflow:
        return "the number is out of range";
      case caf::pec::type_mismatch:
      case caf::pec::unexpected_character:
      case caf::pec::trailing_character:
      case caf::pec::unexpected_eof:
        return "not a value this option takes";
      case caf::pec::missing_argument:
        return "the option needs a value (--name=value)";
      default:
        return caf::to_string(static_cast<caf::pec>(err.code()));
    }
  }();
  return argument.empty() ? why : argument + ": " + why;
}

// The token: from --auth-token-file (surrounding whitespace dropped), else
// --auth-token, else REMORA_AUTH_TOKEN, as for clients.
std::string auth_token(const memnode_options& opts) {
  if (!opts.auth_token_file.empty()) {
    auto token = remora::transport::read_token_file(opts.auth_token_file);
    if (!token) fail("--auth-token-file: " + token.err().message);
    return *token;
  }
  if (!opts.auth_token.empty()) return opts.auth_token;
  const char* env = std::getenv("REMORA_AUTH_TOKEN");
  return env != nullptr ? env : "";
}

// The tenants of --tenants=FILE: lines "NAME TOKEN QUOTA"; blank lines and
// lines starting with # are skipped.
std::vector<remora::actors::tenant_config> read_tenants(const std::string& file) {
  std::ifstream in(file);
  if (!in) fail("--tenants: cannot read " + file);
  std::vector<remora::actors::tenant_config> out;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    std::istringstream fields(line);
    std::string name, token, quota, extra;
    if (!(fields >> name) || name[0] == '#') continue;
    const std::string where = file + ":" + std::to_string(number) + ": ";
    if (!(fields >> token >> quota) || (fields >> extra))
      fail("--tenants: " + where + "expected NAME TOKEN QUOTA");
    auto bytes = parse_byte_size(quota);
    if (!bytes || *bytes == 0) fail("--tenants: " + where + "not a byte size: '" + quota + "'");
    for (const auto& t : out)
      if (t.name == name || t.token == token)
        fail("--tenants: " + where + "tenant " + name + " repeats a name or a token");
    out.push_back({name, token, *bytes});
  }
  if (out.empty()) fail("--tenants: " + file + " names no tenant");
  return out;
}

// A temporary spill directory (no --spill-dir) is /tmp/remora-memnode-PID-*,
// removed when its node stops. One whose node was killed stays: the next
// node to start removes those whose PID no longer runs. They held nothing
// anyone can read again (a node wipes its spill when it opens it).
void reclaim_dead_spills() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp", ec)) {
    const std::string name = entry.path().filename().string();
    const std::string prefix = "remora-memnode-";
    if (name.rfind(prefix, 0) != 0 || !entry.is_directory(ec)) continue;
    const std::string rest = name.substr(prefix.size());
    const auto dash = rest.find('-');
    if (dash == std::string::npos || dash == 0 || rest.find_first_not_of("0123456789") != dash)
      continue;
    const pid_t pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    if (::kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove_all(entry.path(), ec);
  }
}

// "30s", "2m", "500ms", "1h" -> milliseconds.
std::chrono::milliseconds parse_duration(const char* flag, const std::string& text) {
  std::size_t end = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(text, &end);
  } catch (const std::exception&) {
    usage_error(std::string(flag) + ": not a duration: '" + text + "' (e.g. 30s, 2m, 500ms)");
  }
  const std::string unit = text.substr(end);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s" || unit.empty()) return std::chrono::seconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  if (unit == "h") return std::chrono::hours(n);
  usage_error(std::string(flag) + ": not a duration: '" + text + "' (e.g. 30s, 2m, 500ms)");
}

int run(int argc, char** argv, std::string& temporary_dir) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--version") {
      std::printf("remora-memnode %s\n", REMORA_VERSION);
      return 0;
    }
  memnode_options opts;
  bool named_config = false;
  for (int i = 1; i < argc; ++i)
    named_config |= std::string_view(argv[i]).rfind("--config-file", 0) == 0;
  std::istringstream no_file;
  if (auto err = named_config ? opts.parse(argc, argv) : opts.parse(argc, argv, no_file))
    usage_error(option_error(err));
  if (opts.cli_helptext_printed) return 0;
  opts.auth_token = auth_token(opts);
  auto capacity = parse_byte_size(opts.capacity);
  if (!capacity) usage_error("--capacity: not a byte size: '" + opts.capacity + "'");
  if (*capacity == 0) usage_error("--capacity: a node needs some memory (e.g. 1GiB)");

  // Signals are taken by sigwait below, in this thread only.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  bool temporary_spill = opts.spill_dir.empty();
  if (temporary_spill) {
    reclaim_dead_spills();
    std::string name = "/tmp/remora-memnode-" + std::to_string(::getpid()) + "-XXXXXX";
    std::vector<char> pattern(name.begin(), name.end());
    pattern.push_back('\0');
    if (::mkdtemp(pattern.data()) == nullptr) fail("cannot create a temporary spill directory");
    opts.spill_dir = pattern.data();
    temporary_dir = pattern.data();
  }

  remora::actors::tls_options tls{opts.tls_certificate, opts.tls_key, opts.tls_ca_file};
  if (opts.require_client_cert && !tls.enabled())
    usage_error("--require-client-cert needs TLS: give --tls-cert, --tls-key and --tls-ca");
  if (!tls.enabled() && !opts.insecure && !remora::transport::is_loopback(opts.bind))
    usage_error("--bind=" + opts.bind +
                " without TLS would carry tokens and requests in clear: give --tls-certificate, "
                "--tls-key and --tls-ca-file, or --insecure on a network you trust");
  {
    remora::actors::control_plane cp(tls);
    remora::actors::memory_node_host::options o;
    o.arena.capacity = *capacity;
    o.arena.spill_dir = opts.spill_dir;
    o.arena.high_watermark = opts.high_watermark;
    o.arena.low_watermark = opts.low_watermark;
    o.arena.reuse_delay = parse_duration("--reuse-delay", opts.reuse_delay);
    o.arena.populate = opts.populate;
    if (o.arena.reuse_delay.count() <= 0) usage_error("--reuse-delay must be at least 1ms");
    o.auth_token = opts.auth_token;
    o.test_hooks = opts.test_hooks;
    o.lease_grace = parse_duration("--lease-grace", opts.lease_grace);
    o.door.handshake_timeout = parse_duration("--handshake-timeout", opts.handshake_timeout);
    if (o.door.handshake_timeout.count() <= 0) usage_error("--handshake-timeout must be positive");
    if (opts.max_connections == 0) usage_error("--max-connections must be at least 1");
    o.door.max_connections = opts.max_connections;
    if (!opts.tenants.empty()) {
      if (!opts.auth_token.empty())
        usage_error(
            "--tenants and a node token (--auth-token, --auth-token-file, REMORA_AUTH_TOKEN): "
            "each tenant has its token; give one or the other");
      o.tenants = read_tenants(opts.tenants);
      o.tenants_over_tcp = opts.insecure;
    }
    o.leave = [] {
      drained.store(true);
      ::kill(::getpid(), SIGTERM);
    };
    // Bound beyond loopback, clients on other hosts must reach the data too:
    // no silent loopback default then.
    o.net_devices = opts.net_devices;
    if (o.net_devices.empty() && std::getenv("UCX_NET_DEVICES") == nullptr &&
        !remora::transport::is_loopback(opts.bind))
      o.net_devices = "all";
    auto host = remora::actors::memory_node_host::start(cp, o);
    if (!host) fail("cannot start: " + host.err().message);
    const auto transports = (*host)->transports();
    const bool networked = std::any_of(transports.begin(), transports.end(), [](const auto& t) {
      return t.find("/memory") == std::string::npos;
    });
    if (!networked && !opts.net_devices.empty()) {
      fail("--net-devices=" + opts.net_devices +
           ": UCX found no network device of that name (ip link lists them)");
    }
    auto port = (*host)->publish(opts.bind, opts.port);
    if (!port) fail(port.err().message);
    std::string data;
    for (const auto& t : transports) data += (data.empty() ? "" : " ") + t;
    // The arena's pages: whether UCX took the reserved huge pages (README).
    const auto page = (*host)->arena_page_bytes();
    std::string pages;
    if (page)
      pages = " in " +
              (*page % (1u << 20) == 0 ? std::to_string(*page >> 20) + " MiB"
                                       : std::to_string(*page >> 10) + " KiB") +
              " pages";
    std::printf("remora-memnode listening on %s:%u (capacity %s%s, spill %s%s%s; data over %s)\n",
                opts.bind.c_str(), *port, format_byte_size(*capacity).c_str(), pages.c_str(),
                opts.spill_dir.c_str(),
                !opts.tenants.empty()     ? ", tenants' tokens required"
                : opts.auth_token.empty() ? ""
                                          : ", auth token required",
                tls.enabled() ? ", TLS" : "", data.c_str());
    std::fflush(stdout);

    std::unique_ptr<remora::actors::node_metrics> metrics;  // before the host goes
    if (!opts.metrics.empty()) {
      unsigned long metrics_port = 0;
      try {
        std::size_t used = 0;
        metrics_port = std::stoul(opts.metrics, &used);
        if (used != opts.metrics.size() || metrics_port > 65535) throw std::invalid_argument("");
      } catch (const std::exception&) {
        usage_error("--metrics: not a port: '" + opts.metrics + "'");
      }
      auto served =
          remora::actors::node_metrics::start(opts.bind, static_cast<std::uint16_t>(metrics_port),
                                              [node = host->get()] { return node->stats(); });
      if (!served) fail(served.err().message);
      metrics = std::move(served).value();
      std::printf("remora-memnode metrics on http://%s:%u/metrics\n", opts.bind.c_str(),
                  metrics->port());
      std::fflush(stdout);
    }

    std::unique_ptr<remora::actors::registration> member;
    if (!opts.cluster.empty()) {
      auto etcd = remora::actors::etcd_client::parse(opts.cluster, std::chrono::seconds(5));
      if (!etcd) fail("--cluster: " + etcd.err().message);
      std::string host = opts.advertise;
      if (host.empty()) host = opts.bind;
      if (host == "0.0.0.0") {
        char name[256] = {};
        ::gethostname(name, sizeof name - 1);
        host = name;
      }
      const std::string self = host + ":" + std::to_string(*port);
      auto registered = remora::actors::registration::start(*etcd, self);
      if (!registered) fail("--cluster: cannot register: " + registered.err().message);
      member = std::move(registered).value();
      std::printf("remora-memnode: registered as %s in %s\n", self.c_str(), opts.cluster.c_str());
      std::fflush(stdout);
    }

    // Under systemd (Type=notify): ready now. Elsewhere NOTIFY_SOCKET is
    // unset and this does nothing.
    sd_notifyf(0, "READY=1\nSTATUS=serving on %s:%u", opts.bind.c_str(), *port);
    // Until told to stop: a line about what changed, once a second at most.
    int signal = 0;
    remora::actors::node_events events{remora::actors::node_stats{}};  // as the node started
    for (const timespec second{1, 0}; signal <= 0;) {
      signal = sigtimedwait(&stop_signals, nullptr, &second);
      if (signal > 0) break;
      const auto now = (*host)->stats();
      if (!now) continue;
      if (auto line = events.next(*now)) {
        std::printf("remora-memnode: %s\n", line->c_str());
        std::fflush(stdout);
      }
    }
    sd_notify(0, "STOPPING=1");
    std::printf("remora-memnode: %s, shutting down\n", drained.load() ? "drained, leaving the pool"
                                                       : signal == SIGINT ? "SIGINT"
                                                                          : "SIGTERM");
    std::fflush(stdout);
    member.reset();  // leaves the cluster's list first
    metrics.reset();
    (*host)->unpublish();
    // Clients get a moment to say goodbye, unless the node was drained: then
    // it holds nothing of theirs, and goes at once.
    if (auto left = drained.load() ? 0 : (*host)->drain(std::chrono::seconds(3)); left > 0) {
      std::printf("remora-memnode: %llu client(s) did not say goodbye in 3 s; closing anyway\n",
                  static_cast<unsigned long long>(left));
    }
    host->reset();
  }
  if (temporary_spill) std::filesystem::remove_all(opts.spill_dir);
  std::printf("remora-memnode: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string temporary_dir;
  try {
    return run(argc, argv, temporary_dir);
  } catch (const startup_failure& e) {
    const bool usage = dynamic_cast<const usage_failure*>(&e) != nullptr;
    std::fprintf(stderr, "remora-memnode: %s%s\n", e.what(), usage ? " (see --help)" : "");
    if (!temporary_dir.empty()) std::filesystem::remove_all(temporary_dir);
    return usage ? 2 : 1;
  }
}

// Options: how a Runtime is set up. Every setter returns the Options, so they
// chain. The defaults give an embedded memory node in-process with a 64 MiB
// local DRAM cache: a program works with zero set-up.
//
// Byte sizes given as strings (from_args) take a suffix in any case: B; K,
// KiB, M, MiB, G, GiB, T, TiB (powers of two); KB, MB, GB, TB (powers of
// ten).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace remora {

class Options {
 public:
  Options& dram_cache(std::uint64_t bytes);
  Options& cxl_cache(int numa_node, std::uint64_t bytes);
  Options& hbm_cache(int cuda_device, std::uint64_t bytes);
  /// A remote memory node ("host:port"); repeat for several. None: embedded.
  Options& memory_node(std::string host_port);
  /// The memory nodes registered in etcd ("etcd://HOST:PORT/PREFIX"; nodes
  /// register with remora-memnode --cluster=URL), instead of naming them.
  /// Watched while the Runtime runs: nodes that register later are used
  /// too, and objects move to them.
  Options& cluster(std::string url);
  Options& embedded_capacity(std::uint64_t bytes);
  Options& spill_dir(std::string dir);
  /// The token memory nodes require (remora-memnode --auth-token-file).
  /// Without one, the REMORA_AUTH_TOKEN environment variable's, if set.
  Options& auth_token(std::string token);
  /// The token, read from `path` when the Runtime starts (surrounding
  /// whitespace dropped); ConfigError then when it cannot be read or is
  /// empty. Wins over auth_token.
  Options& auth_token_file(std::string path);
  /// TLS (mutual) to every memory node, as remora-memnode's --tls-ca-file,
  /// --tls-certificate and --tls-key: PEM files of the CA that signed the
  /// nodes' certificates, and this client's certificate and key. The
  /// control connection (tokens, requests) is encrypted; object data moves
  /// over UCX as before. The files are read when the Runtime starts
  /// (ConfigError when one cannot be).
  Options& tls(std::string ca_file, std::string certificate, std::string key);
  /// Bounds every wait on a memory node (connects, requests, transfers).
  Options& timeout(std::chrono::milliseconds t);
  /// How long a memory node may stay unreachable (its connection lost and
  /// not made again, or heartbeats unanswered) before it counts as dead:
  /// then copies there are rebuilt on the others, and objects with no other
  /// copy are lost. Until then reads fail over or wait, and nothing is
  /// rebuilt. Default 10 s.
  Options& dead_after(std::chrono::milliseconds t);
  /// Keeps every object on `r` distinct memory nodes (1 to 4; default 1):
  /// any r - 1 of them may die without losing an object written home. Needs
  /// at least r memory nodes.
  Options& replicas(std::uint32_t r);
  /// Instead of replicas: codes every object (Reed-Solomon, ISA-L) into k
  /// data and m parity pieces on k + m distinct memory nodes (k + m <= 8):
  /// any m of them may die without losing an object written home, at
  /// (k + m) / k times the memory. Needs at least k + m memory nodes.
  Options& erasure(std::uint32_t k, std::uint32_t m);
  /// The network devices UCX moves data over ("eth0", "mlx5_0:1,eth0", or
  /// "all"). Default: UCX_NET_DEVICES when set; else the loopback device when
  /// every memory node is on this machine (127.x, localhost, embedded), and
  /// all devices when one is not.
  Options& net_devices(std::string devices);
  /// Where prefetching for declared orders runs. false: a prefetcher thread
  /// per reader and order, on a core the readers leave free. true: on the
  /// reading thread itself, a batch at a time when it nears the end of what
  /// was fetched, with no thread of its own: for programs whose readers keep
  /// every core busy, where a prefetcher thread would only take a core from
  /// them (remora-graph --threads=N with N cores). Default: true when this
  /// process may run on fewer than 3 cores (one reader, the evacuator and a
  /// prefetcher thread would not each have one), false otherwise. On 2
  /// cores a declared-order scan runs 1.4-1.6x faster on the reader.
  Options& prefetch_on_reader(bool on);
  /// Whether Arrays check that threads meet on their chunks as the contract
  /// allows (a write needs one writer and no readers of its chunk): each
  /// thread's first access to a chunk in a DerefScope is checked against
  /// the chunk's last reader and writer, and a write meeting another
  /// thread's open scope on the chunk (or a read meeting another thread's
  /// write) throws AccessConflict. It costs a lock on that first access, and
  /// random reads lose their quickest path. Default: on in debug builds of
  /// Remora (NDEBUG not defined), off otherwise.
  Options& check_access(bool on);
  /// Which objects written to a memory node reached over the network (not
  /// shared memory) are packed: objects of 8 KiB or more whose bytes zstd
  /// shrinks by an eighth then go home packed, and their reads move the
  /// packed bytes alone and unpack them here. It pays on links slower than
  /// unpacking (about 1 GB/s a core), for data that packs (graph CSRs:
  /// 1.6-1.8x; float embeddings hardly); on faster links it costs.
  /// off: never (the default). slow_links: on each link whose measured
  /// pace (batches of 256 KiB or more) is under 0.3 GB/s. always: on every
  /// network link. Objects found packed are unpacked whatever this says.
  enum class compression { off, slow_links, always };
  Options& compress_links(compression c);

  /// Parses --dram-cache=64MiB --memory-node=h:p (repeatable)
  /// --embedded-capacity=... --spill-dir=... --auth-token=... --timeout-ms=N
  /// --replicas=R --erasure=K,M --dead-after-ms=N --net-devices=LIST --cluster=URL
  /// --auth-token-file=FILE --tls-ca-file=PEM --tls-certificate=PEM --tls-key=PEM
  /// --cxl-cache=NODE:BYTES --hbm-cache=DEVICE:BYTES --prefetch-on-reader
  /// --prefetch-on-threads --check-access --compress-links=off|slow|always,
  /// -h/--help (then help_requested(): print help() and stop) and --version
  /// (version_requested(): print remora::version and stop). Throws
  /// ConfigError for a bad value and for any other argument (a program with
  /// flags of its own adds these to its command line instead). Never exits.
  static Options from_args(int argc, char** argv);
  /// Whether from_args saw -h or --help.
  bool help_requested() const { return help_requested_; }
  /// Whether from_args saw --version.
  bool version_requested() const { return version_requested_; }
  /// The options from_args reads, and their meaning.
  static const char* help();

  std::uint64_t dram_cache() const { return dram_cache_; }
  const std::vector<std::string>& memory_nodes() const { return memory_nodes_; }
  const std::string& cluster() const { return cluster_; }
  std::uint64_t embedded_capacity() const { return embedded_capacity_; }
  const std::string& spill_dir() const { return spill_dir_; }
  const std::string& auth_token() const { return auth_token_; }
  const std::string& auth_token_file() const { return auth_token_file_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  std::chrono::milliseconds dead_after() const { return dead_after_; }
  std::uint32_t replicas() const { return replicas_; }
  struct erasure_code {
    std::uint32_t k, m;
  };
  const std::optional<erasure_code>& erasure() const { return erasure_; }
  const std::string& net_devices() const { return net_devices_; }
  /// What prefetch_on_reader(bool) set, else the default for this machine.
  bool prefetch_on_reader() const;
  /// What check_access(bool) set, else the build's default.
  bool check_access() const;
  compression compress_links() const { return compress_links_; }
  struct tls_files {
    std::string ca_file, certificate, key;
  };
  const std::optional<tls_files>& tls() const { return tls_; }

  struct tier_request {
    int device;
    std::uint64_t bytes;
  };
  const std::optional<tier_request>& cxl_cache() const { return cxl_; }
  const std::optional<tier_request>& hbm_cache() const { return hbm_; }

 private:
  std::uint64_t dram_cache_ = 64ull << 20;
  std::vector<std::string> memory_nodes_;
  std::string cluster_;
  std::uint64_t embedded_capacity_ = 1ull << 30;
  std::string spill_dir_;  // empty: a temporary directory
  std::string auth_token_;
  std::string auth_token_file_;
  std::chrono::milliseconds timeout_{5000};
  std::chrono::milliseconds dead_after_{10000};
  std::uint32_t replicas_ = 1;
  std::optional<erasure_code> erasure_;
  std::string net_devices_;
  std::optional<bool> prefetch_on_reader_;
  std::optional<bool> check_access_;
  compression compress_links_ = compression::off;
  std::optional<tls_files> tls_;
  std::optional<tier_request> cxl_, hbm_;
  bool help_requested_ = false, version_requested_ = false;
};

}  // namespace remora

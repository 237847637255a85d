// context: one UCP context per process (or per runtime), with the features
// Remora uses: one-sided RMA, active messages, and wakeup (so progress
// threads can sleep on an event fd when idle), plus 64-bit remote atomics.
//
// UCX picks the transports. Unless the caller names network devices or the
// environment sets UCX_NET_DEVICES, traffic is kept on the loopback device
// ("lo"): the machines Remora is developed on have another interface that is
// no place to send traffic. Multi-host deployments name their devices
// (`context_options::net_devices`, "all" for UCX's own choice); the memory
// node and the client runtime do when their addresses are not loopback.
//
// Thread-safety: a context may be shared by threads; each thread uses its
// own worker. REQUIRES: the context outlives its workers and regions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <ucp/api/ucp.h>

#include "transport/result.hpp"

namespace remora::transport {

struct context_options {
  /// UCX_NET_DEVICES for this context ("eth0,ib0", "all"); empty: the
  /// environment's, else "lo".
  std::string net_devices;
  /// Only transports whose one-sided operations reach nothing but the
  /// registered memory a remote key names (shared memory maps the key's own
  /// segment; RDMA NICs check keys). Leaves out UCX's tcp, whose emulated
  /// get and put read and write any address the peer names (UCX 1.13's
  /// ucp_rma_sw), and cma, which reads the target process anywhere. For
  /// nodes whose clients must not reach each other's memory (tenants).
  bool checked_rma_only = false;
};

/// Whether `host` (a name or address to bind or connect to) is this machine's
/// loopback: 127.0.0.0/8, ::1 or "localhost".
bool is_loopback(const std::string& host);

/// Whether `host` (a name or address) is this machine: loopback, or an
/// address of one of its interfaces. False when it does not resolve.
bool is_this_host(const std::string& host);

class context {
 public:
  static result<std::unique_ptr<context>> create(const context_options& options = {});
  ~context();
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  ucp_context_h native() const { return handle_; }
  /// The transports and devices UCX found, as "transport/device" (tcp/eth0,
  /// posix/memory, ...), without UCX's loopback-to-self transport.
  std::vector<std::string> resources() const;
  /// Whether UCX found a shared-memory transport (posix, sysv, cma).
  bool has_shared_memory() const { return shared_memory_; }

 private:
  explicit context(ucp_context_h handle);
  ucp_context_h handle_;
  bool shared_memory_ = false;
};

}  // namespace remora::transport

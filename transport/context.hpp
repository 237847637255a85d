// context: one UCP context per process (or per runtime), with the features
// Remora uses: one-sided RMA, active messages, and wakeup (so progress
// threads can sleep on an event fd when idle), plus 64-bit remote atomics.
//
// UCX picks the transports. Unless the caller names network devices or the
// environment sets UCX_NET_DEVICES, traffic is kept on the loopback device
// ("lo"): the machines Remora is developed on have another interface that is
// no place to send traffic. Multi-host deployments set UCX_NET_DEVICES or
// `context_options::net_devices`.
//
// Thread-safety: a context may be shared by threads; each thread uses its
// own worker. REQUIRES: the context outlives its workers and regions.
#pragma once

#include <memory>
#include <string>

#include <ucp/api/ucp.h>

#include "transport/result.hpp"

namespace remora::transport {

struct context_options {
  /// UCX_NET_DEVICES for this context; empty: the environment's, else "lo".
  std::string net_devices;
};

class context {
 public:
  static result<std::unique_ptr<context>> create(const context_options& options = {});
  ~context();
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  ucp_context_h native() const { return handle_; }

 private:
  explicit context(ucp_context_h handle) : handle_(handle) {}
  ucp_context_h handle_;
};

}  // namespace remora::transport

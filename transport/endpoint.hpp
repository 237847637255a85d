// endpoint: a connection from a worker to one remote worker. Cheap to move;
// closing flushes what was issued on it and tells the peer goodbye (peers
// that vanish without a goodbye look like a reset to the other side).
//
// Thread-safety: used only by the thread that owns its worker.
#pragma once

#include <cstdint>
#include <span>

#include <ucp/api/ucp.h>

#include "transport/deadline.hpp"
#include "transport/result.hpp"

namespace remora::transport {

class worker;

class endpoint {
 public:
  endpoint(worker& owner, ucp_ep_h ep) : worker_(&owner), ep_(ep) {}
  endpoint(endpoint&& other) noexcept;
  endpoint& operator=(endpoint&& other) noexcept;
  ~endpoint();

  /// Sends active message `id` and waits until UCX is done with `payload`.
  /// REQUIRES: payload.size() <= max_am_payload.
  result<void> send_am(std::uint16_t id, std::span<const std::byte> payload, deadline until);

  /// Waits until every operation issued on this endpoint completed remotely.
  /// On timeout the endpoint is aborted (the peer is taken to be dead).
  result<void> flush(deadline until);

  /// Flushes, tells the peer goodbye and releases the endpoint; forcibly if
  /// `until` passes first. Idempotent.
  void close(deadline until);

  /// Releases the endpoint at once: operations still in flight on it complete
  /// with errors, and every later operation fails with peer_unreachable.
  void abort();

  bool closed() const { return ep_ == nullptr; }
  ucp_ep_h native() const { return ep_; }
  worker& owner() const { return *worker_; }

 private:
  worker* worker_;
  ucp_ep_h ep_;
};

/// Waits for a request returned by a UCX *_nbx call that was given no
/// callback, then frees it. On timeout aborts `ep` so UCX lets go of the
/// request's buffers before this returns.
result<void> wait_request(endpoint& ep, ucs_status_ptr_t request, deadline until, const char* what);

}  // namespace remora::transport

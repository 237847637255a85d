// worker: a UCP worker, the unit of progress. All communication on a worker
// happens when some thread calls progress(); nothing runs in the background.
//
// A worker is meant to be used by one thread (UCS_THREAD_MODE_SINGLE): the
// thread that calls progress() is the one that may issue operations on it and
// its endpoints. Active-message handlers and completion callbacks run inside
// progress(), on that thread; they must not call progress() themselves.
//
// REQUIRES: a worker outlives its endpoints and in-flight operations.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>

#include <ucp/api/ucp.h>

#include "transport/blob.hpp"
#include "transport/context.hpp"
#include "transport/deadline.hpp"
#include "transport/result.hpp"

namespace remora::transport {

class endpoint;

/// Where an active message came from: lets a handler answer it. Valid only
/// during the handler call.
class am_reply {
 public:
  explicit am_reply(ucp_ep_h ep) : ep_(ep) {}
  bool can_reply() const { return ep_ != nullptr; }
  /// Sends `payload` as active message `id` back to the sender, without
  /// blocking (the payload is copied and kept until UCX is done with it).
  result<void> send(std::uint16_t id, std::span<const std::byte> payload) const;

 private:
  ucp_ep_h ep_;
};

/// Handles one active message. `payload` is valid only during the call.
using am_handler = std::function<void(std::span<const std::byte> payload, const am_reply& reply)>;

class worker {
 public:
  static result<std::unique_ptr<worker>> create(context& ctx);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  /// This worker's address, sealed (see blob.hpp), for a peer to connect to.
  result<bytes> address() const;

  /// Creates an endpoint to the worker whose sealed address is `blob`;
  /// `another_host`: the peer is known to run on another machine (so no
  /// shared memory reaches it). Errors: bad_address for a corrupt or
  /// truncated blob.
  result<endpoint> connect(std::span<const std::byte> blob, bool another_host = false);

  /// Registers `handler` for active messages with this id (replacing any).
  /// Messages are small and two-sided: up to `max_am_payload` bytes.
  result<void> on_am(std::uint16_t id, am_handler handler);

  /// One round of progress; returns how many events it handled.
  unsigned progress() { return ucp_worker_progress(handle_); }

  /// Progresses until `done()` holds or `until` passes (then errc::timeout,
  /// naming `what`), or, when `may_give_up`, until the give_up_when
  /// condition holds (then errc::timeout too: an early one). It polls for
  /// `spin_before_sleep`, then sleeps on the worker's events between rounds
  /// (idle_rounds).
  result<void> progress_until(const std::function<bool()>& done, deadline until,
                              std::string_view what, bool may_give_up = true);

  /// Waits on operations end early, as failed, once `stop()` holds: the
  /// peer is known not to answer (for a worker that talks to one peer).
  /// Waits that clean up after a failure (aborts, closes) are not cut short.
  void give_up_when(std::function<bool()> stop) { give_up_ = std::move(stop); }

  /// How long a loop waiting on the worker polls before it sleeps between
  /// rounds (idle_rounds).
  static constexpr std::chrono::microseconds spin_before_sleep{50};

  /// How long a wait for aborted requests looks: after an abort UCX
  /// completes purged requests within a few progress rounds (endpoints over
  /// tcp alone have peer error handling for this: worker.cpp).
  static constexpr std::chrono::milliseconds abort_grace{200};

  /// Sleeps until the worker has events or `timeout_ms` passes. Returns at
  /// once when there may be pending work. For idle loops (idle_rounds).
  void wait_for_events(int timeout_ms);

  ucp_worker_h native() const { return handle_; }

 private:
  worker(ucp_worker_h handle, bool shared_memory)
      : handle_(handle), shared_memory_(shared_memory) {}
  static ucs_status_t dispatch_am(void* arg, const void* header, std::size_t header_length,
                                  void* data, std::size_t length, const ucp_am_recv_param_t* param);

  ucp_worker_h handle_;
  bool shared_memory_;  // the context has a shared-memory transport
  int event_fd_ = -1;
  std::function<bool()> give_up_;
  std::unordered_map<std::uint16_t, std::unique_ptr<std::pair<worker*, am_handler>>> handlers_;
};

/// The idle side of a loop that polls a worker: it polls for `spin`, then
/// sleeps on the worker's events between rounds, so that a wait leaves its
/// core to the threads that compute (over tcp a peer answers in tens of
/// microseconds). Call note_events() after a round that handled events and
/// idle_round() after one that handled none; idle_round() returns true every
/// few idle rounds, once it has looked at the clock (and slept, when idle
/// for `spin`): the rounds at which to look at deadlines.
class idle_rounds {
 public:
  explicit idle_rounds(std::chrono::microseconds spin) : spin_(spin) {}
  void note_events() { rounds_ = 0; }
  bool idle_round(worker& w, int sleep_ms);

 private:
  std::chrono::microseconds spin_;
  unsigned rounds_ = 0;
  std::chrono::steady_clock::time_point since_;
};

/// A context with one worker: what a process needs to speak UCX. The worker
/// is declared last, so it goes before its context.
struct local_ucx {
  std::unique_ptr<context> ctx;
  std::unique_ptr<transport::worker> worker;
  static result<local_ucx> open(const context_options& options = {});
};

/// Active messages carry small requests; larger data moves one-sided.
inline constexpr std::size_t max_am_payload = 8 * 1024;

}  // namespace remora::transport

#include "transport/worker.hpp"

#include <poll.h>

#include <chrono>
#include <cstring>
#include <string>

#include "transport/endpoint.hpp"
#include "transport/ucs_status.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace remora::transport {

result<std::unique_ptr<worker>> worker::create(context& ctx) {
  ucp_worker_params_t params{};
  params.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
  params.thread_mode = UCS_THREAD_MODE_SINGLE;
  ucp_worker_h handle = nullptr;
  if (auto r =
          check_ucs(ucp_worker_create(ctx.native(), &params, &handle), "creating a UCX worker");
      !r)
    return r.err();
  std::unique_ptr<worker> w(new worker(handle, ctx.has_shared_memory()));
  if (auto r =
          check_ucs(ucp_worker_get_efd(handle, &w->event_fd_), "getting the worker's event fd");
      !r)
    return r.err();
  return w;
}

worker::~worker() {
  ucp_worker_destroy(handle_);
}

result<local_ucx> local_ucx::open(const context_options& options) {
  auto ctx = context::create(options);
  if (!ctx) return ctx.err();
  auto w = worker::create(**ctx);
  if (!w) return w.err();
  return local_ucx{std::move(ctx).value(), std::move(w).value()};
}

result<bytes> worker::address() const {
  ucp_address_t* raw = nullptr;
  std::size_t length = 0;
  if (auto r =
          check_ucs(ucp_worker_get_address(handle_, &raw, &length), "getting the worker address");
      !r)
    return r.err();
  bytes sealed =
      seal(blob_kind::worker_address, std::span(reinterpret_cast<const std::byte*>(raw), length));
  ucp_worker_release_address(handle_, raw);
  return sealed;
}

namespace {

// Peer failures are noticed by the control plane and by deadlines; UCX's
// report adds nothing, but a handler keeps it from logging one.
void ignore_peer_failure(void*, ucp_ep_h, ucs_status_t) {}

// ucp_ep_create, with LeakSanitizer told to overlook what it allocates in
// sanitizer builds: UCX 1.13 leaks when attaching a dead peer's FIFO fails,
// on stacks a suppression cannot always name (tests/lsan.supp says why).
// What an endpoint allocates is freed with it, or with its worker.
ucs_status_t create_endpoint(ucp_worker_h worker, const ucp_ep_params_t& params, ucp_ep_h& ep) {
#if defined(__SANITIZE_ADDRESS__)
  const __lsan::ScopedDisabler ucx_own_leak;
#endif
  return ucp_ep_create(worker, &params, &ep);
}

}  // namespace

result<endpoint> worker::connect(std::span<const std::byte> blob, bool another_host) {
  auto payload = unseal(blob_kind::worker_address, blob);
  if (!payload) return payload.err();
  ucp_ep_params_t params{};
  params.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE;
  params.address = reinterpret_cast<const ucp_address_t*>(payload->data());
  // Peer error handling drops the shared-memory transports (DEPS.md), so an
  // endpoint that could use them goes without: dead peers are detected by
  // deadlines and by the control plane. One that cannot (the peer is on
  // another host, or UCX has no shared memory here) has nothing to lose by
  // it, and gains what an abort needs: UCX then completes (cancels) what a
  // dead peer left unanswered, instead of keeping it for good.
  if (another_host || !shared_memory_) {
    params.field_mask |= UCP_EP_PARAM_FIELD_ERR_HANDLER;
    params.err_mode = UCP_ERR_HANDLING_MODE_PEER;
    params.err_handler.cb = &ignore_peer_failure;
    params.err_handler.arg = nullptr;
  } else {
    params.err_mode = UCP_ERR_HANDLING_MODE_NONE;
  }
  ucp_ep_h ep = nullptr;
  if (const ucs_status_t status = create_endpoint(handle_, params, ep); status != UCS_OK) {
    error e = from_ucs(status, "connecting to a peer worker");
    // Over shared memory, a peer that has exited left no FIFO to attach.
    if (status == UCS_ERR_SHMEM_SEGMENT) e.code = errc::peer_unreachable;
    return e;
  }
  return endpoint(*this, ep);
}

result<void> worker::on_am(std::uint16_t id, am_handler handler) {
  auto entry = std::make_unique<std::pair<worker*, am_handler>>(this, std::move(handler));
  ucp_am_handler_param_t param{};
  param.field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID | UCP_AM_HANDLER_PARAM_FIELD_CB |
                     UCP_AM_HANDLER_PARAM_FIELD_ARG | UCP_AM_HANDLER_PARAM_FIELD_FLAGS;
  param.id = id;
  param.cb = &worker::dispatch_am;
  param.arg = entry.get();
  param.flags = UCP_AM_FLAG_WHOLE_MSG;
  if (auto r = check_ucs(ucp_worker_set_am_recv_handler(handle_, &param),
                         "registering active-message handler " + std::to_string(id));
      !r)
    return r.err();
  handlers_[id] = std::move(entry);
  return {};
}

ucs_status_t worker::dispatch_am(void* arg, const void*, std::size_t, void* data,
                                 std::size_t length, const ucp_am_recv_param_t* param) {
  auto* entry = static_cast<std::pair<worker*, am_handler>*>(arg);
  // Requests are small and sent eagerly; a rendezvous message is not ours.
  if (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV) return UCS_OK;
  ucp_ep_h reply_ep =
      (param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP) ? param->reply_ep : nullptr;
  entry->second(std::span(static_cast<const std::byte*>(data), length), am_reply(reply_ep));
  return UCS_OK;
}

result<void> worker::progress_until(const std::function<bool()>& done, deadline until,
                                    std::string_view what, bool may_give_up) {
  idle_rounds idle(spin_before_sleep);
  while (!done()) {
    if (progress() != 0) {
      idle.note_events();
      continue;
    }
    if (!idle.idle_round(*this, 1)) continue;
    if (expired(until)) {
      if (done()) break;
      return error{errc::timeout, std::string(what) + ": no completion before the deadline"};
    }
    if (may_give_up && give_up_ && give_up_()) {
      if (done()) break;
      // A timeout come early: the peer may answer again later.
      return error{errc::timeout, std::string(what) + ": given up, the peer stopped answering"};
    }
  }
  return {};
}

bool idle_rounds::idle_round(worker& w, int sleep_ms) {
  // The clock is read every few idle rounds, not every round.
  if (++rounds_ % 16 != 0) return false;
  const auto now = std::chrono::steady_clock::now();
  if (rounds_ == 16)
    since_ = now;
  else if (now - since_ >= spin_)
    w.wait_for_events(sleep_ms);
  return true;
}

void worker::wait_for_events(int timeout_ms) {
  if (ucp_worker_arm(handle_) != UCS_OK) return;  // busy: events are pending
  pollfd fd{event_fd_, POLLIN, 0};
  ::poll(&fd, 1, timeout_ms);
}

namespace {

void free_reply_buffer(void* request, ucs_status_t, void* user_data) {
  delete static_cast<bytes*>(user_data);
  ucp_request_free(request);
}

}  // namespace

result<void> am_reply::send(std::uint16_t id, std::span<const std::byte> payload) const {
  if (ep_ == nullptr) return error{errc::protocol, "active message has no reply endpoint"};
  if (payload.size() > max_am_payload)
    return error{errc::protocol, "reply of " + std::to_string(payload.size()) +
                                     " bytes exceeds the active-message limit"};
  auto* copy = new bytes(payload.begin(), payload.end());
  ucp_request_param_t param{};
  param.op_attr_mask =
      UCP_OP_ATTR_FIELD_FLAGS | UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
  param.flags = UCP_AM_SEND_FLAG_EAGER;
  param.cb.send = &free_reply_buffer;
  param.user_data = copy;
  auto request = ucp_am_send_nbx(ep_, id, nullptr, 0, copy->data(), copy->size(), &param);
  if (UCS_PTR_IS_PTR(request)) return {};  // the callback frees the copy
  delete copy;
  return check_ucs(UCS_PTR_STATUS(request), "replying to an active message");
}

}  // namespace remora::transport

#include "transport/endpoint.hpp"

#include <chrono>
#include <utility>

#include "transport/ucs_status.hpp"
#include "transport/worker.hpp"

namespace remora::transport {

namespace {

bool request_done(ucs_status_ptr_t request) {
  return ucp_request_check_status(request) != UCS_INPROGRESS;
}

}  // namespace

endpoint::endpoint(endpoint&& other) noexcept
    : worker_(other.worker_), ep_(std::exchange(other.ep_, nullptr)) {}

endpoint& endpoint::operator=(endpoint&& other) noexcept {
  if (this != &other) {
    close(after(std::chrono::seconds(2)));
    worker_ = other.worker_;
    ep_ = std::exchange(other.ep_, nullptr);
  }
  return *this;
}

endpoint::~endpoint() {
  close(after(std::chrono::seconds(2)));
}

result<void> endpoint::send_am(std::uint16_t id, std::span<const std::byte> payload,
                               deadline until) {
  if (ep_ == nullptr) return error{errc::peer_unreachable, "active message on a closed endpoint"};
  if (payload.size() > max_am_payload)
    return error{errc::protocol, "active message of " + std::to_string(payload.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(max_am_payload)};
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
  param.flags = UCP_AM_SEND_FLAG_REPLY | UCP_AM_SEND_FLAG_EAGER;
  auto request = ucp_am_send_nbx(ep_, id, nullptr, 0, payload.data(), payload.size(), &param);
  return wait_request(*this, request, until, "sending an active message");
}

result<void> endpoint::flush(deadline until) {
  if (ep_ == nullptr) return error{errc::peer_unreachable, "flush of a closed endpoint"};
  ucp_request_param_t param{};
  return wait_request(*this, ucp_ep_flush_nbx(ep_, &param), until, "flushing an endpoint");
}

void endpoint::close(deadline until) {
  if (ep_ == nullptr) return;
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
  param.flags = 0;  // graceful: flush, then tell the peer
  auto request = ucp_ep_close_nbx(std::exchange(ep_, nullptr), &param);
  if (request == nullptr || UCS_PTR_IS_ERR(request)) return;
  auto graceful =
      worker_->progress_until([&] { return request_done(request); }, until, "close", false);
  if (!graceful) {
    // The peer does not answer: let go of it without confirmation.
    ucp_request_cancel(worker_->native(), request);
    (void)worker_->progress_until([&] { return request_done(request); }, after(worker::abort_grace),
                                  "forced close", false);
  }
  ucp_request_free(request);  // now, or by UCX once it completes
}

void endpoint::abort() {
  if (ep_ == nullptr) return;
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
  param.flags = UCP_EP_CLOSE_FLAG_FORCE;
  auto request = ucp_ep_close_nbx(std::exchange(ep_, nullptr), &param);
  if (request == nullptr || UCS_PTR_IS_ERR(request)) return;
  (void)worker_->progress_until([&] { return request_done(request); }, after(worker::abort_grace),
                                "aborting an endpoint", false);
  ucp_request_free(request);  // now, or by UCX once it completes
}

result<void> wait_request(endpoint& ep, ucs_status_ptr_t request, deadline until,
                          const char* what) {
  if (request == nullptr) return {};
  if (UCS_PTR_IS_ERR(request)) return from_ucs(UCS_PTR_STATUS(request), what);
  auto waited = ep.owner().progress_until([&] { return request_done(request); }, until, what);
  if (!waited) {
    ep.abort();
    if (!request_done(request)) {
      ucp_request_free(request);  // UCX lets go of it once it completes
      return waited.err();
    }
  }
  ucs_status_t status = ucp_request_check_status(request);
  ucp_request_free(request);
  if (!waited) return waited.err();
  return check_ucs(status, what);
}

}  // namespace remora::transport

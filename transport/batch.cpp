#include "transport/batch.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "transport/ucs_status.hpp"

namespace remora::transport {

struct batch::state {
  std::size_t pending = 0;
  std::optional<error> failure;
  std::function<void(result<void>)> done;  // set once submitted; then UCX owns the state
};

namespace {

result<void> outcome(const batch::state& s) {
  if (s.failure) return *s.failure;
  return {};
}

void finish_if_submitted(batch::state* s) {
  if (s->pending != 0 || !s->done) return;
  auto done = std::move(s->done);
  auto r = outcome(*s);
  delete s;
  done(std::move(r));
}

void on_complete(void* request, ucs_status_t status, void* user_data) {
  auto* s = static_cast<batch::state*>(user_data);
  if (status != UCS_OK && !s->failure) s->failure = from_ucs(status, "one-sided transfer");
  if (request != nullptr) ucp_request_free(request);
  --s->pending;
  finish_if_submitted(s);
}

void remember(std::vector<endpoint*>& list, endpoint* ep) {
  if (std::find(list.begin(), list.end(), ep) == list.end()) list.push_back(ep);
}

ucp_request_param_t completion_param(batch::state* s) {
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
  param.cb.send = &on_complete;
  param.user_data = s;
  return param;
}

// A state whose batch no longer waits for it: freed by the completion of
// its last request (an aborted endpoint completes them all, cancelled).
void orphan(batch::state* s) {
  s->done = [](result<void>) {};
  finish_if_submitted(s);
}

}  // namespace

batch::batch(worker& w) : worker_(w), state_(new state) {}

batch::~batch() {
  if (state_->pending > 0) (void)wait(after(std::chrono::seconds(5)));
  orphan(state_);
}

std::size_t batch::pending() const {
  return state_->pending;
}

result<void> batch::get(const remote_region& from, std::uint64_t offset, void* into,
                        std::size_t length) {
  return issue(true, from, offset, into, length);
}

result<void> batch::put(const remote_region& into, std::uint64_t offset, const void* from,
                        std::size_t length) {
  return issue(false, into, offset, const_cast<void*>(from), length);
}

result<void> batch::issue(bool is_get, const remote_region& remote, std::uint64_t offset,
                          void* local, std::size_t length) {
  if (auto r = remote.check(offset, length); !r) return r;
  endpoint& ep = remote.link();
  if (ep.closed()) return error{errc::peer_unreachable, "one-sided transfer on a closed endpoint"};
  auto param = completion_param(state_);
  const std::uint64_t address = remote.base() + offset;
  ucs_status_ptr_t request =
      is_get ? ucp_get_nbx(ep.native(), local, length, address, remote.rkey(), &param)
             : ucp_put_nbx(ep.native(), local, length, address, remote.rkey(), &param);
  if (UCS_PTR_IS_ERR(request))
    return from_ucs(UCS_PTR_STATUS(request), is_get ? "issuing a get" : "issuing a put");
  if (request != nullptr) {
    ++state_->pending;
    remember(endpoints_, &ep);
  }
  if (!is_get) remember(put_endpoints_, &ep);
  return {};
}

result<void> batch::compare_swap(const remote_region& at, std::uint64_t offset,
                                 const std::uint64_t* compare, std::uint64_t* swap) {
  return issue_atomic(UCP_ATOMIC_OP_CSWAP, at, offset, compare, swap);
}

result<void> batch::atomic_add(const remote_region& at, std::uint64_t offset,
                               const std::uint64_t* value) {
  return issue_atomic(UCP_ATOMIC_OP_ADD, at, offset, value, nullptr);
}

result<void> batch::issue_atomic(ucp_atomic_op_t op, const remote_region& at, std::uint64_t offset,
                                 const std::uint64_t* operand, std::uint64_t* reply) {
  if (offset % 8 != 0)
    return error{errc::invalid_argument,
                 "remote atomic at offset " + std::to_string(offset) + " is not 8-byte aligned"};
  if (auto r = at.check(offset, 8); !r) return r;
  endpoint& ep = at.link();
  if (ep.closed()) return error{errc::peer_unreachable, "remote atomic on a closed endpoint"};
  auto param = completion_param(state_);
  param.op_attr_mask |= UCP_OP_ATTR_FIELD_DATATYPE;
  param.datatype = ucp_dt_make_contig(8);
  if (reply != nullptr) {
    // UCX compares with the operand and swaps in what the reply buffer
    // holds, which then receives the word's previous value.
    param.op_attr_mask |= UCP_OP_ATTR_FIELD_REPLY_BUFFER;
    param.reply_buffer = reply;
  }
  ucs_status_ptr_t request =
      ucp_atomic_op_nbx(ep.native(), op, operand, 1, at.base() + offset, at.rkey(), &param);
  if (UCS_PTR_IS_ERR(request)) return from_ucs(UCS_PTR_STATUS(request), "issuing a remote atomic");
  if (request != nullptr) {
    ++state_->pending;
    remember(endpoints_, &ep);
  }
  if (reply == nullptr) remember(put_endpoints_, &ep);  // done at the peer once flushed
  return {};
}

void batch::flush_puts() {
  for (endpoint* ep : put_endpoints_) {
    if (ep->closed()) continue;
    auto param = completion_param(state_);
    ucs_status_ptr_t request = ucp_ep_flush_nbx(ep->native(), &param);
    if (UCS_PTR_IS_ERR(request)) {
      if (!state_->failure) state_->failure = from_ucs(UCS_PTR_STATUS(request), "flushing puts");
    } else if (request != nullptr) {
      ++state_->pending;
      remember(endpoints_, ep);
    }
  }
  put_endpoints_.clear();
}

result<void> batch::wait(deadline until) {
  flush_puts();
  const std::size_t issued = state_->pending;
  auto waited =
      worker_.progress_until([&] { return state_->pending == 0; }, until, "batched transfer");
  if (!waited) {
    const std::size_t stuck = state_->pending;
    for (endpoint* ep : endpoints_) ep->abort();
    (void)worker_.progress_until([&] { return state_->pending == 0; }, after(worker::abort_grace),
                                 "aborting a batch", false);
    if (state_->pending != 0) {  // UCX completes the rest as it lets go of them
      orphan(state_);
      state_ = new state;
    }
    endpoints_.clear();
    state_->failure.reset();
    return error{waited.err().code, "batched transfer: " + std::to_string(stuck) + " of " +
                                        std::to_string(issued) + " operations unfinished (" +
                                        waited.err().message +
                                        "); the peer was given up and its endpoint aborted"};
  }
  endpoints_.clear();
  auto r = outcome(*state_);
  state_->failure.reset();
  return r;
}

void batch::submit(std::function<void(result<void>)> done) {
  flush_puts();
  state* s = std::exchange(state_, new state);
  endpoints_.clear();
  s->done = std::move(done);
  if (s->pending == 0) finish_if_submitted(s);
}

}  // namespace remora::transport

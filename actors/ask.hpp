// ask: one request from a plain (blocking) thread to a remote actor, bounded
// by a timeout, that ends as soon as the connection to that actor is lost.
// CAF does not fail a request whose reply was lost with its connection: a
// blocking receive waits out the whole timeout. So the caller names a flag
// that whoever watches the connection sets when it goes (node_client's
// agent, watch_loss), and the wait reads it between slices.
// Include only from actors/.
#pragma once

#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/thread_logger.hpp"
#include "transport/mutex.hpp"
#include "transport/result.hpp"

namespace remora::actors {

/// A result handed from an actor to a waiting thread; the first one counts.
template <class R>
class outcome {
 public:
  void settle(transport::result<R> r) {
    {
      transport::lock_guard held(mutex_);
      if (value_) return;
      value_.emplace(std::move(r));
    }
    ready_.notify_all();
  }
  /// The result; errc::timeout after `limit`, or once `give_up` (if any,
  /// read every 10 ms at most) says so.
  transport::result<R> wait(std::chrono::milliseconds limit, const std::string& what,
                            const std::function<bool()>& give_up = {}) {
    const auto until = std::chrono::steady_clock::now() + limit;
    transport::unique_lock held(mutex_);
    for (;;) {
      const auto slice =
          std::min(until, std::chrono::steady_clock::now() + std::chrono::milliseconds(10));
      if (ready_.wait_until(held, slice,
                            [&]() REMORA_REQUIRES(mutex_) { return value_.has_value(); }))
        return std::move(*value_);
      if (std::chrono::steady_clock::now() >= until)
        return transport::error{transport::errc::timeout, what + ": no reply before the deadline"};
      if (give_up && give_up())
        return transport::error{transport::errc::timeout, what + ": given up before a reply"};
    }
  }

 private:
  transport::mutex mutex_;
  transport::condition_variable ready_;
  std::optional<transport::result<R>> value_ REMORA_GUARDED_BY(mutex_);
};

/// What a lost connection answers.
inline transport::error connection_lost_error(const std::string& what) {
  return {transport::errc::peer_unreachable, what + ": the control connection was lost"};
}

/// A watcher of `whom`: an actor that sets `lost` when whom, or the
/// connection to it, goes (for ask()). Stop it with an exit message.
template <class Handle>
caf::actor watch_loss(caf::actor_system& system, const Handle& whom,
                      std::shared_ptr<std::atomic<bool>> lost) {
  auto watcher = system.spawn([whom, lost](caf::event_based_actor* a) -> caf::behavior {
    a->monitor(whom);
    a->set_down_handler([a, lost](const caf::down_msg&) {
      lost->store(true, std::memory_order_release);
      a->quit();
    });
    return {[](caf::ok_atom) {}};  // nothing to do but watch
  });
  drop_thread_logger();
  return watcher;
}

/// Blocking requesters for ask(), kept between requests: a scoped actor's
/// end wakes CAF's clock thread (to cancel its timeouts), once a request if
/// each made its own. Any thread takes one, asks with it and gives it back;
/// one whose wait ended without a reply is not given back (the late reply
/// would sit in its mailbox). Destroy before the actor system.
class requesters {
 public:
  explicit requesters(caf::actor_system& system) : system_(system) {}

  std::unique_ptr<caf::scoped_actor> take() {
    {
      transport::lock_guard held(mutex_);
      if (!idle_.empty()) {
        auto r = std::move(idle_.back());
        idle_.pop_back();
        return r;
      }
    }
    auto r = std::make_unique<caf::scoped_actor>(system_, true);
    drop_thread_logger();
    return r;
  }
  void give_back(std::unique_ptr<caf::scoped_actor> r) {
    transport::lock_guard held(mutex_);
    idle_.push_back(std::move(r));
  }

 private:
  caf::actor_system& system_;
  transport::mutex mutex_;
  std::vector<std::unique_ptr<caf::scoped_actor>> idle_ REMORA_GUARDED_BY(mutex_);
};

/// A request sent (start_ask) whose reply of type R wait() takes, on the
/// thread that sent it. Bounded as ask() is, from the moment it was sent.
template <class R>
class pending_reply {
 public:
  /// The reply; at once once the connection is lost, timeout past the
  /// deadline, and no longer once give_up (if any) says so. Call once.
  transport::result<R> wait() {
    using clock = std::chrono::steady_clock;
    using std::chrono::microseconds;
    if (!self_) return connection_lost_error(what_);  // never sent
    for (;;) {
      std::optional<transport::result<R>> out;
      const auto left = std::chrono::duration_cast<microseconds>(until_ - clock::now());
      caf::blocking_actor::accept_one_cond once;
      (*self_)->varargs_receive(
          once, id_,
          // A copy, made inside CAF's handler: the payload's bytes are read
          // where TSan can see CAF's hand-over.
          [&](R& r) { out.emplace(r); }, [&](caf::error& e) { out.emplace(to_error(e, what_)); },
          caf::after(std::clamp(left, microseconds(0), microseconds(10'000))) >> [] {});
      if (out) {
        pool_->give_back(std::move(self_));
        return std::move(*out);
      }
      if (lost_->load(std::memory_order_acquire)) return connection_lost_error(what_);
      if (clock::now() >= until_)
        return transport::error{transport::errc::timeout, what_ + ": no reply before the deadline"};
      if (give_up_ && give_up_())
        return transport::error{transport::errc::timeout, what_ + ": the node stopped answering"};
    }
  }

 private:
  template <class T, class Handle, class... Ts>
  friend pending_reply<T> start_ask(requesters&, const Handle&, std::chrono::milliseconds,
                                    std::string, std::shared_ptr<const std::atomic<bool>>,
                                    std::function<bool()>, const Ts&...);

  requesters* pool_ = nullptr;
  std::unique_ptr<caf::scoped_actor> self_;  // none: not sent (the connection was lost)
  caf::message_id id_;
  std::chrono::steady_clock::time_point until_;
  std::string what_;
  std::shared_ptr<const std::atomic<bool>> lost_;
  std::function<bool()> give_up_;
};

/// Sends `to` (xs...) from this thread now; the returned reply's wait()
/// takes the answer, so that the thread can work meanwhile. Bounds as ask().
template <class R, class Handle, class... Ts>
pending_reply<R> start_ask(requesters& pool, const Handle& to, std::chrono::milliseconds timeout,
                           std::string what, std::shared_ptr<const std::atomic<bool>> lost,
                           std::function<bool()> give_up, const Ts&... xs) {
  pending_reply<R> p;
  p.pool_ = &pool;
  p.what_ = std::move(what);
  p.lost_ = std::move(lost);
  p.give_up_ = std::move(give_up);
  if (p.lost_->load(std::memory_order_acquire)) return p;
  p.self_ = pool.take();
  p.id_ = (*p.self_)->request(to, caf::infinite, xs...).id();
  p.until_ = std::chrono::steady_clock::now() + timeout;
  return p;
}

/// Asks `to` (xs...) from this thread and waits for its reply of type R, at
/// most `timeout`; at once once `lost` is set (the connection's watcher sets
/// it), and no longer once `give_up` (if any) says so. `what` names the
/// request in errors.
///
/// The caller's thread is the requester (a scoped actor from `pool`), so a
/// reply goes from CAF's network thread straight to it: no actor is spawned
/// and no worker thread wakes to hand the reply on. The request sets no
/// timer on CAF's clock either: the wait is bounded here, in slices of at
/// most 10 ms between which `lost` and `give_up` are read.
template <class R, class Handle, class... Ts>
transport::result<R> ask(requesters& pool, const Handle& to, std::chrono::milliseconds timeout,
                         std::string what, std::shared_ptr<const std::atomic<bool>> lost,
                         std::function<bool()> give_up, const Ts&... xs) {
  return start_ask<R>(pool, to, timeout, std::move(what), std::move(lost), std::move(give_up),
                      xs...)
      .wait();
}

}  // namespace remora::actors

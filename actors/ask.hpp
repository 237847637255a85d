// ask: one request from a plain (blocking) thread to a remote actor, bounded
// by a timeout, that ends as soon as the connection to that actor is lost.
// CAF neither fails a request whose reply was lost with its connection nor
// one sent to a proxy after its connection went: a blocking receive waits
// out the whole timeout. So the request is made by a short-lived actor that
// also monitors the receiver, and a loss (its down message) answers at once.
// Include only from actors/.
#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "actors/messages.hpp"
#include "actors/thread_logger.hpp"
#include "transport/result.hpp"

namespace remora::actors {

/// A result handed from an actor to a waiting thread; the first one counts.
template <class R>
class outcome {
 public:
  void settle(transport::result<R> r) {
    {
      std::lock_guard held(mutex_);
      if (value_) return;
      value_.emplace(std::move(r));
    }
    ready_.notify_all();
  }
  /// The result; errc::timeout after `limit`, or as soon as `give_up` (if
  /// any) says to (the peer may answer again later).
  transport::result<R> wait(std::chrono::milliseconds limit, const std::string& what,
                            const std::function<bool()>& give_up = {}) {
    const auto until = std::chrono::steady_clock::now() + limit;
    std::unique_lock held(mutex_);
    for (;;) {
      const auto slice =
          give_up
              ? std::min(until, std::chrono::steady_clock::now() + std::chrono::milliseconds(10))
              : until;
      if (ready_.wait_until(held, slice, [&] { return value_.has_value(); }))
        return std::move(*value_);
      if (std::chrono::steady_clock::now() >= until)
        return transport::error{transport::errc::timeout, what + ": no reply before the deadline"};
      if (give_up())
        return transport::error{transport::errc::timeout, what + ": the node stopped answering"};
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::optional<transport::result<R>> value_;  // GUARDED_BY(mutex_)
};

/// What a lost connection answers.
inline transport::error connection_lost_error(const std::string& what) {
  return {transport::errc::peer_unreachable, what + ": the control connection was lost"};
}

/// Asks `to` (xs...) and waits for its reply of type R, at most `timeout`,
/// and no longer once `give_up` (if any) says so. `what` names the request
/// in errors.
template <class R, class Handle, class... Ts>
transport::result<R> ask(caf::actor_system& system, const Handle& to,
                         std::chrono::milliseconds timeout, const std::string& what,
                         const std::function<bool()>& give_up, const Ts&... xs) {
  auto out = std::make_shared<outcome<R>>();
  system.spawn([out, to, timeout, what, args = std::make_tuple(xs...)](caf::event_based_actor* a) {
    a->monitor(to);
    a->set_down_handler([a, out, what](const caf::down_msg&) {
      out->settle(connection_lost_error(what));
      a->quit();
    });
    std::apply(
        [&](const auto&... message) {
          a->request(to, caf::duration{timeout}, message...)
              .then(
                  // A copy, made inside CAF's handler: the payload's bytes
                  // are read where TSan can see CAF's hand-over.
                  [a, out](R& r) {
                    out->settle(r);
                    a->quit();
                  },
                  [a, out, what](caf::error& e) {
                    out->settle(to_error(e, what));
                    a->quit();
                  });
        },
        args);
  });
  drop_thread_logger();
  // The request's own timeout answers first; this bound is a backstop.
  return out->wait(timeout + std::chrono::seconds(1), what, give_up);
}

}  // namespace remora::actors

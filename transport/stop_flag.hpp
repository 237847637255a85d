// stop_flag: whether the calling thread's owner wants it to stop. A thread
// that may be stopped while it waits on a peer (a prefetcher, whose reader
// replaces it) names the flag its owner sets; a wait that may be abandoned
// without harm, such as a new connection's hello, ends when it is set.
#pragma once

#include <atomic>

namespace remora::transport {

namespace detail {
inline thread_local const std::atomic<bool>* this_thread_stop = nullptr;
}  // namespace detail

/// Whether the calling thread was asked to stop.
inline bool stop_asked() {
  const std::atomic<bool>* flag = detail::this_thread_stop;
  return flag != nullptr && flag->load(std::memory_order_acquire);
}

/// `flag` is the calling thread's stop flag while this object lives.
class stop_flag_scope {
 public:
  explicit stop_flag_scope(const std::atomic<bool>* flag) : before_(detail::this_thread_stop) {
    detail::this_thread_stop = flag;
  }
  ~stop_flag_scope() { detail::this_thread_stop = before_; }
  stop_flag_scope(const stop_flag_scope&) = delete;
  stop_flag_scope& operator=(const stop_flag_scope&) = delete;

 private:
  const std::atomic<bool>* before_;
};

}  // namespace remora::transport

// repair_thread: the background half of a store that keeps several copies or
// pieces of each object (replicated_far_store, erasure_far_store): a plain
// thread, remora.repair, that runs one bounded repair pass every
// `interval` until it is stopped.
//
// Thread-safety: constructed and destroyed by the store's owner.
#pragma once

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>

namespace remora::objects {

struct repair_options {
  bool background = true;  // false: only the store's repair_now() repairs (tests)
  std::chrono::milliseconds interval{100};
  std::size_t batch = 1024;  // objects a pass: the rate limit
};

class repair_thread {
 public:
  /// Runs `pass(o.batch)` every `o.interval` (when o.background).
  repair_thread(repair_options o, std::function<void(std::size_t batch)> pass)
      : pass_(std::move(pass)), options_(o) {
    if (o.background) thread_ = std::thread([this] { loop(); });
  }
  ~repair_thread() {
    {
      std::lock_guard held(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  repair_thread(const repair_thread&) = delete;
  repair_thread& operator=(const repair_thread&) = delete;

 private:
  void loop() {
    pthread_setname_np(pthread_self(), "remora.repair");
    std::unique_lock held(mutex_);
    while (!stop_) {
      held.unlock();
      pass_(options_.batch);
      held.lock();
      wake_.wait_for(held, options_.interval, [&] { return stop_; });
    }
  }

  const std::function<void(std::size_t)> pass_;
  const repair_options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace remora::objects

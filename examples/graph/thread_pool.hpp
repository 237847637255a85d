// thread_pool: worker threads that stay from one parallel step to the next,
// as an OpenMP team does. A thread that reads a Remora Array has its own
// reader there (its walk, its declared order, the prefetcher that follows
// it); threads made anew for each step would start every step with new
// readers and cold prefetch windows, and leave the old ones behind.
//
// Thread-safety: run() is called by one thread at a time.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace graph {

class thread_pool {
 public:
  /// A pool for steps of `threads` parts: part 0 runs on the caller of
  /// run(), the others on threads - 1 workers made here.
  explicit thread_pool(unsigned threads) {
    for (unsigned t = 1; t < threads; ++t) workers_.emplace_back([this, t] { serve(t); });
  }
  ~thread_pool() {
    {
      std::lock_guard held(mutex_);
      stopping_ = true;
    }
    start_.notify_all();
    for (auto& w : workers_) w.join();
  }
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }

  /// Runs work(t) for every part t and waits for them all; rethrows what
  /// one of them threw.
  void run(const std::function<void(unsigned)>& work) {
    {
      std::lock_guard held(mutex_);
      work_ = &work;
      failed_ = nullptr;
      running_ = static_cast<unsigned>(workers_.size());
      ++step_;
    }
    start_.notify_all();
    try {
      work(0);
    } catch (...) {
      std::lock_guard held(mutex_);
      if (!failed_) failed_ = std::current_exception();
    }
    std::unique_lock held(mutex_);
    finished_.wait(held, [&] { return running_ == 0; });
    work_ = nullptr;
    if (failed_) std::rethrow_exception(failed_);
  }

 private:
  void serve(unsigned t) {
    std::uint64_t seen = 0;
    std::unique_lock held(mutex_);
    for (;;) {
      start_.wait(held, [&] { return stopping_ || step_ != seen; });
      if (stopping_) return;
      seen = step_;
      const auto* work = work_;
      held.unlock();
      std::exception_ptr failed;
      try {
        (*work)(t);
      } catch (...) {
        failed = std::current_exception();
      }
      held.lock();
      if (failed && !failed_) failed_ = failed;
      if (--running_ == 0) finished_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable start_, finished_;
  const std::function<void(unsigned)>* work_ = nullptr;  // GUARDED_BY(mutex_)
  std::uint64_t step_ = 0;                               // GUARDED_BY(mutex_)
  unsigned running_ = 0;                                 // GUARDED_BY(mutex_)
  bool stopping_ = false;                                // GUARDED_BY(mutex_)
  std::exception_ptr failed_;                            // GUARDED_BY(mutex_)
  std::vector<std::thread> workers_;
};

}  // namespace graph

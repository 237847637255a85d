// tiering_thread: the thread that runs the local tiers' evacuation and
// promotion rounds (the policy is the object store's: evacuation.cpp). It
// sleeps until a thread that saw pressure nudges it, or until its tick (every
// few milliseconds) finds pressure or housekeeping due. Rounds block on open
// scopes and on write-backs, which is why they run on a thread of their own.
//
// Thread-safety: nudge() may be called from any thread; construct and
// destroy from one.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>

#include "transport/mutex.hpp"

namespace remora::objects {

class tiering_thread {
 public:
  struct hooks {
    std::function<bool()> under_pressure;   // free room below the low watermark
    std::function<std::size_t()> evacuate;  // one round; how many objects moved
    std::function<void()> housekeeping;     // e.g. flush queued frees, promote
  };

  explicit tiering_thread(hooks h);
  ~tiering_thread();  // finishes the round under way, then joins
  tiering_thread(const tiering_thread&) = delete;
  tiering_thread& operator=(const tiering_thread&) = delete;

  /// Asks for a round soon. Cheap; calls before that round coalesce.
  void nudge();

 private:
  void run();

  const hooks hooks_;
  std::atomic<bool> nudged_{false};  // a nudge is pending: later ones need not notify
  transport::mutex mutex_;
  transport::condition_variable wake_;
  bool stop_ REMORA_GUARDED_BY(mutex_) = false;
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace remora::objects

#include "objects/tiering_thread.hpp"

#include <pthread.h>

#include <chrono>

namespace remora::objects {

namespace {

constexpr auto tick_interval = std::chrono::milliseconds(5);
// Housekeeping runs every this many ticks when nothing else wakes the thread.
constexpr int ticks_per_housekeeping = 10;
// A round that frees nothing (everything pinned, nodes slow) ends the burst.
constexpr int max_rounds_per_wake = 64;

}  // namespace

tiering_thread::tiering_thread(hooks h) : hooks_(std::move(h)), thread_([this] { run(); }) {
  ::pthread_setname_np(thread_.native_handle(), "remora.tiering");
}

tiering_thread::~tiering_thread() {
  {
    transport::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void tiering_thread::nudge() {
  // Read first: a reader under pressure nudges at every miss, and a
  // pending nudge needs no locked instruction.
  if (nudged_.load(std::memory_order_relaxed) || nudged_.exchange(true, std::memory_order_acq_rel))
    return;
  transport::lock_guard lock(mutex_);  // pairs with the wait: the wake-up is not lost
  wake_.notify_one();
}

void tiering_thread::run() {
  int ticks = 0;
  transport::unique_lock lock(mutex_);
  while (!stop_) {
    const bool woken = wake_.wait_for(lock, tick_interval, [this]() REMORA_REQUIRES(mutex_) {
      return stop_ || nudged_.load(std::memory_order_acquire);
    });
    if (stop_) return;
    nudged_.store(false, std::memory_order_release);
    const bool housekeeping_due = ++ticks % ticks_per_housekeeping == 0;
    lock.unlock();
    if (woken || hooks_.under_pressure() || housekeeping_due) {
      for (int round = 0; round < max_rounds_per_wake && hooks_.under_pressure(); ++round)
        if (hooks_.evacuate() == 0) break;
      hooks_.housekeeping();
    }
    lock.lock();
  }
}

}  // namespace remora::objects

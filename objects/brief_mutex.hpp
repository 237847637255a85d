// brief_mutex: a mutex for critical sections of a few microseconds at most
// (a slot taken or a batch given back, a list swapped). A thread that finds
// it held spins for about as long as such a section lasts before it sleeps:
// on a virtual machine a sleep and its wake-up cost tens of microseconds,
// far more than the wait they replace, and a miss that met the cache's
// locks held by the evacuator slept so (2026-12-06: about 380 times a
// second, a tenth of the reader's time in reads of over 10 us).
//
// Thread-safety: a mutex (Lockable, and a capability for clang's analysis:
// transport/mutex.hpp); use with transport::lock_guard and unique_lock, and
// std::condition_variable_any.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "transport/mutex.hpp"

namespace remora::objects {

class REMORA_CAPABILITY("mutex") brief_mutex {
 public:
  // (The analysis takes the attributes on trust; the bodies are the lock's
  // own, which it cannot follow.)
  void lock() REMORA_ACQUIRE() REMORA_NO_THREAD_SAFETY_ANALYSIS {
    if (!try_lock()) [[unlikely]]
      lock_slow();
  }
  bool try_lock() REMORA_TRY_ACQUIRE(true) {
    std::uint32_t expected = unlocked;
    return state_.compare_exchange_strong(expected, locked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  void unlock() REMORA_RELEASE() {
    if (state_.exchange(unlocked, std::memory_order_release) == contended) wake_one();
  }
  /// For a thread that takes the lock again and again (a batch at a time):
  /// call it between its holds, lock not held. While a thread waits for the
  /// lock and none has taken it, waits (about as long as lock() spins):
  /// otherwise the lock's last holder, whose core has its cache line, takes
  /// it back before a waiter on another core sees it free (2026-12-06: a
  /// miss waited for an evacuation's every batch, about 460 times a second).
  void yield_to_waiters() const {
    for (int i = 0; i < spins && waiting_.load(std::memory_order_relaxed) != 0 &&
                    state_.load(std::memory_order_relaxed) == unlocked;
         ++i)
      pause();
  }

 private:
  // About 20 us of `pause` here (2,000 took 36-41 us on 2026-12-06):
  // longer than a batch of slots given back.
  static constexpr int spins = 1000;
  static constexpr std::uint32_t unlocked = 0, locked = 1, contended = 2;

  void lock_slow() {
    waiting_.fetch_add(1, std::memory_order_relaxed);
    acquire();
    waiting_.fetch_sub(1, std::memory_order_relaxed);
  }
  void acquire() REMORA_NO_THREAD_SAFETY_ANALYSIS {
    for (int i = 0; i < spins; ++i) {
      if (state_.load(std::memory_order_relaxed) == unlocked && try_lock()) return;
      pause();
    }
    // Still held: sleep until an unlock that sees a sleeper wakes one (the
    // state stays `contended` while any may sleep).
    while (state_.exchange(contended, std::memory_order_acquire) != unlocked) sleep();
  }
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  // The futex calls themselves, so that an unlock makes a system call only
  // when a thread may sleep: sleep while the state is `contended`; wake one.
  void sleep() {
    ::syscall(SYS_futex, &state_, FUTEX_WAIT_PRIVATE, contended, nullptr, nullptr, 0);
  }
  void wake_one() {
    ::syscall(SYS_futex, &state_, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }

  std::atomic<std::uint32_t> state_{unlocked};
  std::atomic<std::uint32_t> waiting_{0};  // threads in lock_slow
};

}  // namespace remora::objects

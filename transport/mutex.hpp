// Mutexes, locks and a condition variable that clang's thread-safety
// analysis (-Wthread-safety) follows: state marked REMORA_GUARDED_BY(m) is
// touched only with m held, a function marked REMORA_REQUIRES(m) is called
// only with it held. The suite's "thread safety" test compiles every
// library source with clang under that analysis, warnings as errors; GCC
// ignores the attributes. The types are std::mutex and std::lock_guard's
// behaviour with the attributes added (libstdc++'s own carry none).
//
// A lambda is analysed apart from the function around it: a predicate that
// reads guarded state says that it runs with the lock held,
// `wake_.wait(lock, [&]() REMORA_REQUIRES(mutex_) { return stop_; })`.
//
// Thread-safety: a mutex is shared by the threads it serialises; a lock
// belongs to the thread that took it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>

#if defined(__clang__)
#define REMORA_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define REMORA_THREAD_ANNOTATION(x)
#endif

#define REMORA_CAPABILITY(x) REMORA_THREAD_ANNOTATION(capability(x))
#define REMORA_SCOPED_CAPABILITY REMORA_THREAD_ANNOTATION(scoped_lockable)
#define REMORA_GUARDED_BY(x) REMORA_THREAD_ANNOTATION(guarded_by(x))
#define REMORA_PT_GUARDED_BY(x) REMORA_THREAD_ANNOTATION(pt_guarded_by(x))
#define REMORA_REQUIRES(...) REMORA_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REMORA_ACQUIRE(...) REMORA_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define REMORA_RELEASE(...) REMORA_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define REMORA_TRY_ACQUIRE(...) REMORA_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define REMORA_EXCLUDES(...) REMORA_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define REMORA_NO_THREAD_SAFETY_ANALYSIS REMORA_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace remora::transport {

/// std::mutex, as a capability.
class REMORA_CAPABILITY("mutex") mutex {
 public:
  void lock() REMORA_ACQUIRE() { m_.lock(); }
  void unlock() REMORA_RELEASE() { m_.unlock(); }
  bool try_lock() REMORA_TRY_ACQUIRE(true) { return m_.try_lock(); }
  /// For condition_variable, which waits on the std::mutex itself.
  std::mutex& native() { return m_; }

 private:
  std::mutex m_;
};

/// Holds `m` from construction to destruction.
template <class Mutex>
class REMORA_SCOPED_CAPABILITY lock_guard {
 public:
  explicit lock_guard(Mutex& m) REMORA_ACQUIRE(m) : m_(m) { m_.lock(); }
  /// `m` already held by this thread (a try_lock that succeeded).
  lock_guard(Mutex& m, std::adopt_lock_t) REMORA_REQUIRES(m) : m_(m) {}
  ~lock_guard() REMORA_RELEASE() { m_.unlock(); }
  lock_guard(const lock_guard&) = delete;
  lock_guard& operator=(const lock_guard&) = delete;

 private:
  Mutex& m_;
};

/// Holds two mutexes of a kind from construction to destruction, taken
/// together without deadlock (std::lock).
template <class Mutex>
class REMORA_SCOPED_CAPABILITY lock_both {
 public:
  lock_both(Mutex& a, Mutex& b) REMORA_ACQUIRE(a, b) : a_(a), b_(b) { std::lock(a_, b_); }
  ~lock_both() REMORA_RELEASE() {
    b_.unlock();
    a_.unlock();
  }
  lock_both(const lock_both&) = delete;
  lock_both& operator=(const lock_both&) = delete;

 private:
  Mutex& a_;
  Mutex& b_;
};

/// Holds `m` from construction, with unlock() and lock() between; releases
/// it at destruction if held. Lockable, for std::condition_variable_any.
template <class Mutex>
class REMORA_SCOPED_CAPABILITY unique_lock {
 public:
  explicit unique_lock(Mutex& m) REMORA_ACQUIRE(m) : m_(m) { m_.lock(); }
  ~unique_lock() REMORA_RELEASE() {
    if (held_) m_.unlock();
  }
  unique_lock(const unique_lock&) = delete;
  unique_lock& operator=(const unique_lock&) = delete;

  void lock() REMORA_ACQUIRE() {
    m_.lock();
    held_ = true;
  }
  void unlock() REMORA_RELEASE() {
    m_.unlock();
    held_ = false;
  }
  Mutex& mutex() const { return m_; }

 private:
  Mutex& m_;
  bool held_ = true;
};

/// std::condition_variable over a transport::mutex held by a unique_lock.
/// Each wait returns with the lock held again.
class condition_variable {
 public:
  void notify_one() noexcept { cv_.notify_one(); }
  void notify_all() noexcept { cv_.notify_all(); }

  void wait(unique_lock<mutex>& lock) {
    native_lock held(lock);
    cv_.wait(held.lock);
  }
  template <class Clock, class Duration>
  std::cv_status wait_until(unique_lock<mutex>& lock,
                            const std::chrono::time_point<Clock, Duration>& deadline) {
    native_lock held(lock);
    return cv_.wait_until(held.lock, deadline);
  }
  // With a predicate, called with the lock held (as the analysis cannot see
  // here): until it holds, or the deadline passes; returns its last value.
  template <class Predicate>
  void wait(unique_lock<mutex>& lock, Predicate ready) REMORA_NO_THREAD_SAFETY_ANALYSIS {
    native_lock held(lock);
    cv_.wait(held.lock, std::move(ready));
  }
  template <class Clock, class Duration, class Predicate>
  bool wait_until(unique_lock<mutex>& lock,
                  const std::chrono::time_point<Clock, Duration>& deadline,
                  Predicate ready) REMORA_NO_THREAD_SAFETY_ANALYSIS {
    native_lock held(lock);
    return cv_.wait_until(held.lock, deadline, std::move(ready));
  }
  template <class Rep, class Period, class Predicate>
  bool wait_for(unique_lock<mutex>& lock, const std::chrono::duration<Rep, Period>& timeout,
                Predicate ready) REMORA_NO_THREAD_SAFETY_ANALYSIS {
    native_lock held(lock);
    return cv_.wait_for(held.lock, timeout, std::move(ready));
  }

 private:
  // The held std::mutex lent to std::condition_variable for one wait, and
  // left held (not unlocked) when the wait returns.
  struct native_lock {
    explicit native_lock(unique_lock<mutex>& l) : lock(l.mutex().native(), std::adopt_lock) {}
    ~native_lock() { lock.release(); }
    std::unique_lock<std::mutex> lock;
  };

  std::condition_variable cv_;
};

}  // namespace remora::transport

// DerefScope: while a scope is open on a thread, every object that thread
// dereferenced stays where it is: the evacuator waits until each thread that
// was inside a scope when it picked its victims has left that scope (the
// epoch scheme of AIFM). Scopes are cheap to open and close; keep them short
// (a loop body, not a whole loop over more data than the local cache holds):
// a thread that needs room while its own scope pins the cache full gets
// OutOfMemory rather than waiting forever.
//
// Rules:
//   - A scope belongs to the thread that opened it; nested scopes on one
//     thread are allowed and act as the outermost.
//   - Pointers returned by deref stay valid until the scope they were
//     obtained in ends, and not after.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace remora {

namespace detail {

/// Per-thread state the fast path touches: the epoch (odd while inside a
/// scope) and the thread's counters. Written only by its thread; read by the
/// evacuator and by Runtime::stats() (relaxed loads of whole words).
struct thread_state {
  std::atomic<std::uint64_t> epoch{0};
  std::atomic<std::uint64_t> hits{0};    // derefs that found the object present
  std::atomic<std::uint64_t> misses{0};  // derefs that fetched it
  std::atomic<std::uint64_t> derefs_at_scope_start{0};
  std::atomic<bool> parked{false};       // waiting for cache room in the slow path
  std::uint32_t depth = 0;               // nested scopes
  bool registered = false;
};

extern constinit thread_local thread_state this_thread
    [[gnu::tls_model("initial-exec")]];

/// Registers the calling thread with the epoch registry (once).
void register_thread();

/// Counts one event on this thread without a locked instruction.
inline void count(std::atomic<std::uint64_t>& counter) {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

/// Waits until every thread that is inside a scope now has left it, or is
/// parked in a scope in which it dereferenced nothing yet (it holds no
/// pointers), or `timeout` passes. Returns false on timeout. The calling
/// thread's own scope does not count.
bool wait_for_scopes(std::chrono::milliseconds timeout);

/// While alive, the calling thread is parked: waiting for cache room.
class park_guard {
 public:
  park_guard() {
    this_thread.parked.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  ~park_guard() { this_thread.parked.store(false, std::memory_order_release); }
  park_guard(const park_guard&) = delete;
  park_guard& operator=(const park_guard&) = delete;
};

/// Counters summed over all threads that ever opened a scope.
struct counter_totals {
  std::uint64_t hits = 0, misses = 0;
};
counter_totals sum_counters();

}  // namespace detail

class DerefScope {
 public:
  DerefScope() {
    auto& t = detail::this_thread;
    if (t.depth++ != 0) return;
    if (!t.registered) [[unlikely]] detail::register_thread();
    t.derefs_at_scope_start.store(
        t.hits.load(std::memory_order_relaxed) + t.misses.load(std::memory_order_relaxed),
        std::memory_order_relaxed);
    t.epoch.store(t.epoch.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    // Pairs with the evacuator's fence: either it sees this thread inside
    // the scope, or this thread sees its evacuating marks.
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  ~DerefScope() {
    auto& t = detail::this_thread;
    if (--t.depth != 0) return;
    t.epoch.store(t.epoch.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  DerefScope(const DerefScope&) = delete;
  DerefScope& operator=(const DerefScope&) = delete;
};

}  // namespace remora

#include "remora/deref_scope.hpp"

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

namespace remora::detail {

constinit thread_local thread_state this_thread;

namespace {

struct registry {
  std::mutex mutex;
  std::vector<thread_state*> threads;  // GUARDED_BY(mutex)
  counter_totals retired;              // GUARDED_BY(mutex): of threads that ended
};

registry& the_registry() {
  static registry* r = new registry;  // never destroyed: threads may end after main
  return *r;
}

// Unregisters the thread when it ends, keeping its counts.
struct thread_exit {
  ~thread_exit() {
    auto& r = the_registry();
    std::lock_guard lock(r.mutex);
    r.retired.hits += this_thread.hits.load(std::memory_order_relaxed);
    r.retired.misses += this_thread.misses.load(std::memory_order_relaxed);
    std::erase(r.threads, &this_thread);
  }
};

// A thread parked for cache room before its first deref in the scope holds
// no pointer an evacuation could invalidate.
bool holds_nothing(const thread_state& t) {
  if (!t.parked.load(std::memory_order_acquire)) return false;
  return t.hits.load(std::memory_order_relaxed) + t.misses.load(std::memory_order_relaxed) ==
         t.derefs_at_scope_start.load(std::memory_order_relaxed);
}

}  // namespace

void register_thread() {
  thread_local thread_exit on_exit;
  (void)on_exit;
  auto& r = the_registry();
  std::lock_guard lock(r.mutex);
  r.threads.push_back(&this_thread);
  this_thread.registered = true;
}

bool wait_for_scopes(std::chrono::milliseconds timeout) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  auto& r = the_registry();
  std::vector<std::pair<thread_state*, std::uint64_t>> inside;
  {
    std::lock_guard lock(r.mutex);
    for (thread_state* t : r.threads) {
      if (t == &this_thread) continue;
      std::uint64_t e = t->epoch.load(std::memory_order_acquire);
      if (e & 1) inside.emplace_back(t, e);
    }
  }
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (auto& [t, e] : inside) {
    // A thread that ends unregisters under the mutex; look it up again
    // rather than touch a dead thread's state.
    for (unsigned spins = 0;; ++spins) {
      {
        std::lock_guard lock(r.mutex);
        if (std::find(r.threads.begin(), r.threads.end(), t) == r.threads.end()) break;
        if (t->epoch.load(std::memory_order_acquire) != e) break;
        if (holds_nothing(*t)) break;
      }
      if (std::chrono::steady_clock::now() >= until) return false;
      if (spins < 64)
        std::this_thread::yield();
      else
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  return true;
}

counter_totals sum_counters() {
  auto& r = the_registry();
  std::lock_guard lock(r.mutex);
  counter_totals sum = r.retired;
  for (thread_state* t : r.threads) {
    sum.hits += t->hits.load(std::memory_order_relaxed);
    sum.misses += t->misses.load(std::memory_order_relaxed);
  }
  return sum;
}

}  // namespace remora::detail

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <new>
#include <thread>
#include <vector>

#include "objects/epochs.hpp"
#include "remora/detail/object_record.hpp"
#include "transport/mutex.hpp"

namespace remora::detail {

std::atomic<const object_record*> spare_pin_log[inline_pins];
constinit thread_local thread_state this_thread;

namespace {

// The log starts at inline_pins entries and doubles up to a limit (8 MiB a
// thread); a scope that derefs more than that many times is waited for, not
// looked into.
constexpr std::uint32_t max_pin_capacity = 1u << 20;

long membarrier(int command) {
  return ::syscall(__NR_membarrier, command, 0, 0);
}

bool register_membarrier() {
  return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
}

struct registry {
  transport::mutex mutex;
  std::vector<thread_state*> threads REMORA_GUARDED_BY(mutex);
  std::uint64_t registrations REMORA_GUARDED_BY(mutex) = 0;  // the last serial given
  counter_totals retired REMORA_GUARDED_BY(mutex);           // of threads that ended
};

registry& the_registry() {
  static registry* r = new registry;  // never destroyed: threads may end after main
  return *r;
}

// Unregisters the thread when it ends, keeping its counts.
struct thread_exit {
  ~thread_exit() {
    auto& r = the_registry();
    transport::lock_guard lock(r.mutex);
    r.retired.derefs += this_thread.derefs.load(std::memory_order_relaxed);
    r.retired.deref_misses += this_thread.deref_misses.load(std::memory_order_relaxed);
    r.retired.misses += this_thread.misses.load(std::memory_order_relaxed);
    std::erase(r.threads, &this_thread);
    delete[] this_thread.pin_log;
    this_thread.pin_log = spare_pin_log;
    this_thread.pin_capacity = 0;
  }
};

enum class scope_view { left, parked_known, inside };

// Where thread `t`, seen inside the scope of epoch `e`, is now; when parked
// with a complete log, its pins go into `pinned`. REQUIRES: registry mutex
// held (a thread's log is reallocated only under it).
scope_view look_at(const thread_state& t, std::uint64_t e, pinned_set* pinned) {
  if (t.epoch.load(std::memory_order_acquire) != e) return scope_view::left;
  const std::uint64_t parks = t.parks.load(std::memory_order_acquire);
  const std::uint32_t n = t.pins.load(std::memory_order_acquire);
  if (!t.parked.load(std::memory_order_acquire) || n == pins_unknown) return scope_view::inside;
  if (pinned == nullptr && n != 0) return scope_view::inside;
  std::vector<const object_record*> seen(n);
  for (std::uint32_t i = 0; i < n; ++i) seen[i] = t.pin_log[i].load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  // Still parked, and not parked again since: the log did not change.
  if (!t.parked.load(std::memory_order_relaxed) ||
      t.parks.load(std::memory_order_relaxed) != parks ||
      t.epoch.load(std::memory_order_relaxed) != e)
    return scope_view::inside;
  if (pinned != nullptr)
    for (const object_record* r : seen) pinned->add(r);
  return scope_view::parked_known;
}

}  // namespace

bool light_scopes = register_membarrier();

void heavy_barrier() {
  if (light_scopes)
    (void)membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
  else
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

bool register_thread() noexcept {
  try {
    thread_local thread_exit on_exit;
    (void)on_exit;
    auto& r = the_registry();
    transport::lock_guard lock(r.mutex);
    auto log = std::make_unique<std::atomic<const object_record*>[]>(inline_pins);
    r.threads.push_back(&this_thread);
    this_thread.pin_log = log.release();
    this_thread.pin_capacity = inline_pins;
    this_thread.serial = ++r.registrations;
    this_thread.registered = true;
    // Outside any scope (the epoch even); from here it opens inline when
    // light scopes are on. The epoch only grows: a chunk remembered at an
    // earlier one must never look current.
    const std::uint64_t e = this_thread.epoch.load(std::memory_order_relaxed);
    this_thread.epoch.store((e | 3) + 1 + (light_scopes ? 0 : epoch_heavy),
                            std::memory_order_relaxed);
    return true;
  } catch (...) {
    keep_error();
    return false;
  }
}

std::uint64_t open_scope_slow() noexcept {
  auto& t = this_thread;
  if (!t.registered && !register_thread()) return 0;
  const std::uint64_t opened = t.epoch.load(std::memory_order_relaxed) + 1;
  t.pins.store(0, std::memory_order_relaxed);
  t.epoch.store(opened, std::memory_order_relaxed);
  // Without membarrier the evacuator's barrier is a plain fence, and this
  // side needs one too (DerefScope's opening says what it pairs with).
  if (light_scopes)
    std::atomic_signal_fence(std::memory_order_seq_cst);
  else
    std::atomic_thread_fence(std::memory_order_seq_cst);
  return opened;
}

scope_ref this_scope() {
  if (!this_thread.registered && !register_thread()) raise_kept();
  return {&this_thread, this_thread.serial, this_thread.epoch.load(std::memory_order_relaxed)};
}

bool still_open(const scope_ref& s) {
  if (s.thread == nullptr || (s.epoch & 1) == 0) return false;
  auto& r = the_registry();
  // Under the mutex a registered thread cannot end (it unregisters under
  // it first), and a thread_state at the same address is told apart by
  // its serial.
  transport::lock_guard lock(r.mutex);
  if (std::find(r.threads.begin(), r.threads.end(), s.thread) == r.threads.end()) return false;
  return s.thread->serial == s.serial && s.thread->epoch.load(std::memory_order_acquire) == s.epoch;
}

void pin_slow(const object_record* r) noexcept {
  auto& t = this_thread;
  const std::uint32_t n = t.pins.load(std::memory_order_relaxed);
  // Outside any scope nothing is pinned; an overflowed log stays unknown
  // (and counts its derefs itself: the scope's close cannot).
  if (!(t.epoch.load(std::memory_order_relaxed) & 1)) return;
  // A thread that is ending and has left the registry (a thread_local's
  // destructor that runs after thread_exit's) has only the spare log, and
  // nobody looks at it: there is nothing to record. (Its log must not grow
  // from nothing: twice no capacity is none.)
  if (t.pin_capacity == 0) return;
  if (n == pins_unknown) {
    count(t.derefs);
    return;
  }
  // At its limit, or with no memory to grow, the log becomes unknown.
  auto* bigger = t.pin_capacity >= max_pin_capacity
                     ? nullptr
                     : new (std::nothrow) std::atomic<const object_record*>[t.pin_capacity * 2];
  if (bigger == nullptr) {
    t.derefs.store(t.derefs.load(std::memory_order_relaxed) + n + 1, std::memory_order_relaxed);
    t.pins.store(pins_unknown, std::memory_order_relaxed);
    return;
  }
  for (std::uint32_t i = 0; i < n; ++i)
    bigger[i].store(t.pin_log[i].load(std::memory_order_relaxed), std::memory_order_relaxed);
  {
    transport::lock_guard lock(the_registry().mutex);
    delete[] t.pin_log;
    t.pin_log = bigger;
    t.pin_capacity *= 2;
  }
  pin(r);
}

void pinned_set::seal() {
  std::sort(pins_.begin(), pins_.end());
  pins_.erase(std::unique(pins_.begin(), pins_.end()), pins_.end());
}

bool pinned_set::contains(const object_record* r) const {
  return std::binary_search(pins_.begin(), pins_.end(), r);
}

pinned_set my_pins(bool& known) {
  const auto& t = this_thread;
  const bool inside = t.epoch.load(std::memory_order_relaxed) & 1;
  const std::uint32_t n = inside ? t.pins.load(std::memory_order_relaxed) : 0;
  known = n != pins_unknown;
  pinned_set out;
  for (std::uint32_t i = 0; known && i < n; ++i)
    out.add(t.pin_log[i].load(std::memory_order_relaxed));
  out.seal();
  return out;
}

park_guard::park_guard() {
  auto& t = this_thread;
  t.parks.store(t.parks.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  t.parked.store(true, std::memory_order_release);  // after the log's entries
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

park_guard::~park_guard() {
  this_thread.parked.store(false, std::memory_order_release);
}

bool wait_for_scopes(std::chrono::milliseconds timeout, pinned_set* pinned) {
  heavy_barrier();
  auto& r = the_registry();
  std::vector<std::pair<thread_state*, std::uint64_t>> inside;
  {
    transport::lock_guard lock(r.mutex);
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
        transport::lock_guard lock(r.mutex);
        if (std::find(r.threads.begin(), r.threads.end(), t) == r.threads.end()) break;
        if (look_at(*t, e, pinned) != scope_view::inside) break;
      }
      if (std::chrono::steady_clock::now() >= until) return false;
      if (spins < 64)
        std::this_thread::yield();
      else
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  if (pinned != nullptr) pinned->seal();
  return true;
}

counter_totals sum_counters() {
  auto& r = the_registry();
  transport::lock_guard lock(r.mutex);
  counter_totals sum = r.retired;
  for (thread_state* t : r.threads) {
    sum.derefs += t->derefs.load(std::memory_order_relaxed);
    sum.deref_misses += t->deref_misses.load(std::memory_order_relaxed);
    sum.misses += t->misses.load(std::memory_order_relaxed);
  }
  return sum;
}

}  // namespace remora::detail

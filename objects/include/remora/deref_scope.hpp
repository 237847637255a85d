// DerefScope: while a scope is open on a thread, every object that thread
// dereferenced stays where it is: the evacuator waits until each thread that
// was inside a scope when it picked its victims has left that scope (the
// epoch scheme of AIFM). Scopes are cheap to open and close; keep them short
// (a loop body, not a whole loop over more data than the local cache holds).
// A scope that pins up to half the local cache always gets the room it asks
// for; a deref that would need more room than the cache has beside what its
// own scope pins throws OutOfMemory at once.
//
// Rules:
//   - A scope belongs to the thread that opened it; nested scopes on one
//     thread are allowed and act as the outermost.
//   - Pointers returned by deref stay valid until the scope they were
//     obtained in ends, and not after.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace remora {

class DerefScope;

namespace detail {

struct array_state;
struct object_record;

/// Every pin log holds at least this many entries, so the inline pin tests
/// its count against a constant and loads the log's capacity only past it:
/// one load fewer beside each element's (random reads keep as many misses
/// in flight as the core's load queue holds their iterations' loads).
inline constexpr std::uint32_t inline_pins = 1024;
/// The log of a thread with none of its own (not yet registered, or
/// ended): what is pinned there is looked at by nobody.
extern std::atomic<const object_record*> spare_pin_log[inline_pins];

/// thread_state::epoch's bit for "open scopes out of line".
inline constexpr std::uint64_t epoch_heavy = 2;

/// Per-thread state the fast path touches: the epoch (odd while inside a
/// scope), the thread's counters, and the log of what its open scope pins.
/// Written only by its thread; read by the evacuator and by Runtime::stats()
/// (objects/epochs.hpp says how).
struct thread_state {
  // Odd while inside a scope; bit 1 set while scopes must open out of line
  // (open_scope_slow: the thread is not registered yet, or light_scopes is
  // off), so that the inline opening tests one word. It moves by 1 at an
  // opening and by 3 at a closing, which keeps bit 1, and never repeats.
  std::atomic<std::uint64_t> epoch{epoch_heavy};
  // Derefs, counted when the outermost scope closes (its pin count), so
  // that the fast path stores nothing but its pin.
  std::atomic<std::uint64_t> derefs{0};
  std::atomic<std::uint64_t> deref_misses{0};  // derefs that fetched the object
  std::atomic<std::uint64_t> misses{0};        // every fetch from far memory
  // The objects dereferenced in the open scope, in order (repeats allowed).
  // A parked thread's log tells the evacuator what it must not move. Past
  // `pin_capacity` entries the log grows (pin_slow); past its limit `pins`
  // becomes `pins_unknown` and the scope is waited for like a running one.
  // Registered, a thread's capacity is at least inline_pins.
  std::atomic<const object_record*>* pin_log = spare_pin_log;
  std::atomic<std::uint32_t> pins{0};
  std::uint32_t pin_capacity = 0;
  std::atomic<bool> parked{false};      // waiting for cache room in the slow path
  std::atomic<std::uint64_t> parks{0};  // times parked: the evacuator's seqlock
  bool registered = false;
  std::uint64_t serial = 0;  // this thread's registration, never reused
  // The one scope object of this thread whose chunk slot may be filled
  // (array_state.hpp), valid while `epoch` is still `slot_epoch`.
  DerefScope* slot_scope = nullptr;
  std::uint64_t slot_epoch = 0;
};

inline constexpr std::uint32_t pins_unknown = ~std::uint32_t{0};

// The thread state's TLS model: initial-exec, one %fs-relative access.
// Under AddressSanitizer GCC 12 checks the state's address for null
// (-fsanitize=null) with the flags of an `add this_thread@gottpoff(%rip)`
// that GNU ld then relaxes into a `lea`, which sets none: the check reads
// stale flags and reports a null thread_state that is not (the disassembly
// of objects_test shows it). The general model's address comes from a call
// and is tested as it should be, so sanitizer builds take that one.
#if defined(__SANITIZE_ADDRESS__)
#define REMORA_THREAD_STATE_TLS_MODEL "global-dynamic"
#else
#define REMORA_THREAD_STATE_TLS_MODEL "initial-exec"
#endif
extern constinit thread_local thread_state this_thread
    [[gnu::tls_model(REMORA_THREAD_STATE_TLS_MODEL)]];

/// Whether scopes may open with a compiler barrier alone: the evacuator then
/// issues a process-wide barrier (membarrier) before it reads the epochs.
extern bool light_scopes;

// The out-of-line steps that the inline access paths (a scope's opening,
// a deref, Array::at) call and come back from do not throw: a failed one
// keeps its error (keep_error) and says so, and the inline path throws it
// (raise_kept), a call that does not come back. A call that may throw, in
// a loop inside a DerefScope (whose destructor is then a cleanup on the
// way out), keeps GCC from holding the loop's floating-point values in
// registers across it: `sum += a.at(scope, i)` would add through the stack
// at every element.

/// Keeps the exception being handled (call it inside a catch) as the
/// calling thread's error, for raise_kept.
void keep_error() noexcept;
/// Throws the calling thread's kept error.
[[noreturn]] void raise_kept();

/// Registers the calling thread with the epoch registry (once): false, its
/// error kept, when that failed.
bool register_thread() noexcept;
/// Opens the outermost scope where the inline opening does not (epoch_heavy
/// set): registers the thread first, and fences fully without light scopes.
/// The epoch opened (odd); 0, its error kept, when registering failed.
std::uint64_t open_scope_slow() noexcept;
/// Appends to a full pin log (a log that cannot grow becomes pins_unknown).
void pin_slow(const object_record* r) noexcept;

/// Counts one event on this thread without a locked instruction.
inline void count(std::atomic<std::uint64_t>& counter) {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

/// pin() while the log has room: false, and nothing recorded, when it is
/// full. REQUIRES: inside a scope.
[[gnu::always_inline]] inline bool try_pin(const object_record* r) {
  auto& t = this_thread;
  const std::uint32_t n = t.pins.load(std::memory_order_relaxed);
  if (n >= inline_pins) [[unlikely]]
    if (n >= t.pin_capacity) return false;  // past the constant, the log's own room
  t.pin_log[n].store(r, std::memory_order_relaxed);
  t.pins.store(n + 1, std::memory_order_relaxed);
  return true;
}

/// Records that the open scope holds `r`. REQUIRES: inside a scope.
[[gnu::always_inline]] inline void pin(const object_record* r) {
  if (!try_pin(r)) [[unlikely]]
    pin_slow(r);
}

}  // namespace detail

class DerefScope {
 public:
  // An odd epoch means inside a scope; a scope opened inside another acts
  // as the outermost and leaves the epoch alone. Opening and closing the
  // outermost scope is two stores, and nothing that serialises the core:
  // random reads with a scope each still overlap their cache misses. The
  // scope keeps the epoch it opened (0 when nested), so that its close loads
  // neither the epoch nor a nesting count.
  [[gnu::always_inline]] DerefScope() {
    open();
    // Emptied after the opening's compiler barrier: an access right after
    // the opening then knows the slot empty without loading it.
    chunk_.first = chunk_.count = 0;
  }
  // GCC cannot tell that a scope held in a std::optional was constructed
  // before it is destroyed (emplace, then reset), and warns that opened_
  // may be read uninitialized: every opening sets it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  [[gnu::always_inline]] ~DerefScope() {
    auto& t = detail::this_thread;
    const std::uint64_t opened = opened_;  // read once: the stores below may alias it
    if (opened == 0) [[unlikely]] {
      if (t.slot_scope == this) t.slot_scope = nullptr;
      return;
    }
    const std::uint32_t pinned = t.pins.load(std::memory_order_relaxed);
    if (pinned != detail::pins_unknown) [[likely]]  // an overflowed log counted its own
      t.derefs.store(t.derefs.load(std::memory_order_relaxed) + pinned, std::memory_order_relaxed);
    t.epoch.store(opened + 3, std::memory_order_release);  // even, bit 1 kept
  }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  DerefScope(const DerefScope&) = delete;
  DerefScope& operator=(const DerefScope&) = delete;

 private:
  [[gnu::always_inline]] void open() {
    auto& t = detail::this_thread;
    const std::uint64_t e = t.epoch.load(std::memory_order_relaxed);
    if ((e & (1 | detail::epoch_heavy)) != 0) [[unlikely]] {
      if (e & 1) {  // inside another scope
        opened_ = 0;
        return;
      }
      opened_ = detail::open_scope_slow();
      if (opened_ == 0) detail::raise_kept();
      return;
    }
    opened_ = e + 1;
    t.pins.store(0, std::memory_order_relaxed);
    t.epoch.store(e + 1, std::memory_order_relaxed);
    // Pairs with the evacuator's barrier (membarrier): either it sees this
    // thread inside the scope, or this thread sees its marks on the
    // metadata words.
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }

  friend struct detail::array_state;
  template <class T>
  friend class Array;

  // The chunk of an Array this scope last walked in: its elements
  // [first, first + count) are at `base` while the scope is open (the
  // chunk is pinned in it), for reads through the Array object at
  // `reader`, and for writes through the one at `writer` (null when it was
  // dereferenced for reading): the objects' own addresses, which Array::at
  // has in a register, where their states' would be a load. Array::at
  // checks it before anything else: a walk within a chunk costs a
  // subtraction, two compares and the element's load. Only `first` and
  // `count` are set when the scope opens; the rest is read only once
  // `count` says the slot is filled (array_state::fill_slot). At most one
  // scope object per thread has a filled slot (thread_state::slot_scope),
  // so that what must forget it (a chunk moved to the GPU, an order
  // declared, a Vector grown, an Array destroyed or moved) finds it.
  struct chunk_slot {
    std::size_t first, count;
    const void* reader;  // array_state::owner
    const void* writer;
    std::byte* base;
  };
  chunk_slot chunk_;
  std::uint64_t opened_;  // the epoch this scope opened; 0 inside another
};

}  // namespace remora

// array_state: what an Array (and a Vector) holds: its chunks (remote
// objects of a power-of-two number of elements) and, for each thread that
// reads it, an array_reader: that thread's remembered chunk, its walk
// detector, its declared order and the prefetcher that follows it. The
// element fast path is inline here; everything else is in
// objects/array_state.cpp.
//
// The fast path of at(): first the scope's chunk slot (DerefScope), which a
// walk fills with the chunk it is in: a subtraction, two compares and the
// element's load, all on the reader's stack. Past it, on the thread of an
// array's first reader once that reader reads at random (random_element),
// the chunk's metadata word is tested and the chunk pinned inline, with no
// call. Otherwise the calling thread's reader is found in a small
// thread-local table (one load and a compare; no lock); within the chunk
// that reader last dereferenced in its open scope, an index and a compare
// (two arrays walked in turns: one has the slot, the other this); in
// another chunk, out of line (chunk_other), the chunk's metadata word is
// tested, and the walk detector sees one more step.
// Nothing on it serialises the core, so random reads overlap their cache
// misses as a plain vector's do.
//
// Thread-safety: any number of threads may read at once (each through its
// own reader); a write needs one writer and no readers. A thread's first
// access to an array takes a mutex to make its reader.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "remora/detail/object_record.hpp"
#include "remora/order.hpp"

namespace remora::detail {

struct array_state;
struct access_log;   // array_state.cpp
struct reader_list;  // array_state.cpp

/// One thread's view of an array: what it last dereferenced, how it walks,
/// what it declared, and the prefetcher that follows it. Used only by its
/// thread (and read by that prefetcher through `cursor`). It fills whole
/// cache lines of its own: its thread writes it at every chunk it enters,
/// and other threads reading the array must not share those lines.
struct alignas(64) array_reader {
  // The declared order, and the prefetcher that follows it (or a detected
  // pattern). The reader publishes its progress in `cursor` (an element
  // index, or the number of elements read for index and generator orders).
  std::shared_ptr<std::atomic<std::uint64_t>> cursor =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  order::declared declared;
  std::unique_ptr<prefetch_session> session;
  bool detected = false;          // the session follows a detected pattern
  bool counts_positions = false;  // cursor = elements read, not an index
  // No session, nothing declared, no pattern forming: the inline path may
  // do the detector's bookkeeping itself.
  bool plain = true;
  std::uint64_t read_count = 0;

  // The walk detector: the last chunk entered and the step that led there.
  // After `quiet_after` steps with no pattern the reader goes quiet: the
  // detector then only looks at misses (a walk into absent chunks shows
  // there), and hits on present chunks skip its bookkeeping.
  static constexpr std::uint32_t quiet_after = 64;
  std::size_t last_chunk = static_cast<std::size_t>(-1);
  long long last_delta = 0;
  int same_delta = 0;
  std::uint32_t unpatterned = 0;
  bool quiet = false;  // only while plain (update_plain clears it)

  // The last chunk dereferenced and where, valid while the thread's epoch is
  // still `base_epoch` (the same open scope): its elements are
  // [base_first, base_first + base_count), so one subtraction and one compare
  // say whether an index is in it; bit 0 of `base` says whether it was
  // dereferenced for writing (payloads are 8-byte aligned).
  std::size_t base_first = 0, base_count = 0;
  std::uint64_t base_epoch = 0;
  std::uintptr_t base = 0;

  // Reads by value (Array::read): over each window of `read_window` of them,
  // when most missed, a miss at random reads just the element from home
  // instead of fetching its whole chunk (one miss in `admit_every` still
  // fetches the chunk, so that chunks read often come back into the cache).
  // Admissions only churn a cache that reads at random do not fit: one in
  // 64 rather than 16 kept the hit rate of random 8-byte reads over an
  // array 4x the cache (0.19) and moved a quarter of the bytes.
  static constexpr std::uint32_t read_window = 256, admit_every = 64;
  std::uint32_t window_reads = 0, window_misses = 0, apart_reads = 0;
  bool reads_apart = false;

  /// Whether the remembered chunk holds element base_first + k and serves
  /// this access (a read, or a write to a chunk dereferenced for writing) in
  /// the scope of `epoch`.
  bool remembers(std::size_t k, std::uint64_t epoch, bool for_write) const {
    return k < base_count && epoch == base_epoch && (base & 1) >= for_write;
  }
  void* base_payload() const { return reinterpret_cast<void*>(base & ~std::uintptr_t{1}); }
  /// Forgets the remembered chunk (its host view may be gone).
  void forget_base() { base_count = 0; }
  /// Recomputes `plain` (and clears `quiet` unless plain); the array's
  /// code calls it through array_state::update_plain.
  void update_plain() {
    plain = !session && !detected && !counts_positions && same_delta == 0 &&
            declared.what == order::declared::kind::none;
    if (!plain) {  // a pattern, or a declaration: watch every step again
      quiet = false;
      unpatterned = 0;
    }
  }
};

/// Where a thread finds its readers: a small table keyed by the arrays'
/// keys (never reused, so an entry of an array that is gone matches
/// nothing).
struct reader_table {
  static constexpr std::size_t slots = 16;
  struct slot {
    std::uint64_t key = 0;
    array_reader* reader = nullptr;
  };
  slot entries[slots];
};
extern constinit thread_local reader_table this_thread_readers
    [[gnu::tls_model(REMORA_THREAD_STATE_TLS_MODEL)]];

struct array_state {
  // Constant after construction (Vector appends chunks).
  std::vector<object_record*> chunks;
  std::size_t size = 0, per_chunk = 1;  // per_chunk is a power of two
  unsigned per_shift = 0;
  object_runtime* rt = nullptr;
  const std::uint64_t key;  // this array's, for reader_table
  // The Array object that holds this state: a scope's chunk slot names it,
  // so that Array::at tests the slot against its own address, not a load.
  const void* owner = nullptr;
  std::atomic<const thread_state*> primary_thread{nullptr};
  // The primary reader's thread while that reader is quiet (random_element
  // serves it), else null: one load says both.
  std::atomic<const thread_state*> quiet_thread{nullptr};
  // Options::check_access: each thread's first access to a chunk in a scope
  // takes the out-of-line path (its readers never go quiet), which checks it
  // against the chunk's last reader and writer (check_access).
  bool checked = false;
  std::unique_ptr<access_log> access;  // when checked
  array_reader primary;

  array_state();
  array_state(const array_state&) = delete;
  array_state& operator=(const array_state&) = delete;
  ~array_state();

  /// The calling thread's reader, made on its first access. The first
  /// thread to read has its reader inline (`primary`, beside the chunks);
  /// the others find theirs through their reader_table.
  [[gnu::always_inline]] array_reader& reader() {
    if (primary_thread.load(std::memory_order_relaxed) == &this_thread) [[likely]]
      return primary;
    const auto& slot = this_thread_readers.entries[key % reader_table::slots];
    if (slot.key == key) [[likely]]
      return *slot.reader;
    array_reader* made = reader_slow();
    if (made == nullptr) [[unlikely]]
      raise_kept();
    return *made;
  }

  /// The payload of the chunk holding element i. REQUIRES: inside a scope.
  /// Throws InvalidObject past the end.
  [[gnu::always_inline]] void* chunk_for(std::size_t i, bool for_write, bool scanning = false) {
    array_reader& r = reader();
    const std::uint64_t epoch = this_thread.epoch.load(std::memory_order_relaxed);
    if (r.remembers(i - r.base_first, epoch, for_write)) [[likely]]
      return r.base_payload();
    const std::size_t c = i >> per_shift;
    if (scanning) return chunk_slow(r, i, c, epoch, for_write, true, nullptr);
    return for_write ? chunk_or_raise<true>(r, i, c, nullptr)
                     : chunk_or_raise<false>(r, i, c, nullptr);
  }

  /// Element i (of T) past `scope`'s chunk slot (Array::at checks that),
  /// as chunk_for finds its chunk: in the remembered chunk, its address is
  /// the chunk's plus the offset the check computed. A walk that stays in
  /// a chunk it entered in this scope fills the slot.
  template <class T, bool for_write>
  [[gnu::always_inline]] T* element(DerefScope& scope, std::size_t i) {
    T* e;
    if (random_element<T, for_write>(i, e)) [[likely]]
      return e;
    array_reader& r = reader();
    const std::uint64_t epoch = this_thread.epoch.load(std::memory_order_relaxed);
    const std::size_t k = i - r.base_first;
    if (r.remembers(k, epoch, for_write)) [[likely]]
      return static_cast<T*>(r.base_payload()) + k;
    void* chunk = chunk_or_raise<for_write>(r, i, i >> per_shift, &scope);
    return static_cast<T*>(chunk) + (i & (per_chunk - 1));
  }

  /// Element i read at random on the primary reader's thread, when its
  /// chunk is present: chunk_other's quiet case (a chunk other than the
  /// last, present for this access, pinned in the open scope), taken
  /// before the reader is looked up. True with its address in `e`; false,
  /// nothing done, when the reader is not quiet, i is past the end, or the
  /// case does not hold. Inline, with no call, epoch or table between one
  /// random element's load and the next: a loop of them keeps more of its
  /// cache misses in flight. (The address comes back beside the answer, not
  /// as a null or not: no test of it on the way.)
  template <class T, bool for_write>
  [[gnu::always_inline]] bool random_element(std::size_t i, T*& e) {
    if (quiet_thread.load(std::memory_order_relaxed) != &this_thread || i >= size) return false;
    const unsigned shift = per_shift;  // read once: the pin's stores may alias it
    const std::size_t c = i >> shift;
    if (c == primary.last_chunk) return false;
    object_record* rec = chunks[c];
    const meta_state m = rec->meta().load();
    if (!m.host_fast(for_write) || !try_pin(rec)) [[unlikely]]
      return false;
    primary.last_chunk = c;
    e = reinterpret_cast<T*>(m.address()) + (i - (c << shift));  // no load of a mask
    return true;
  }

  /// chunk_other, or its error thrown here (deref_scope.hpp says why the
  /// call does not throw).
  template <bool for_write>
  [[gnu::always_inline]] void* chunk_or_raise(array_reader& r, std::size_t i, std::size_t c,
                                              DerefScope* scope) {
    void* chunk = chunk_other<for_write>(r, i, c, scope);
    if (chunk == nullptr) [[unlikely]]
      raise_kept();
    return chunk;
  }

  /// chunk_for past the remembered chunk: kept out of line, so that loops
  /// over a chunk inline only the check above. Its common case, a present
  /// chunk read by a quiet reader (random reads), touches only caller-saved
  /// registers: no frame to build, where the full step (chunk_step) needs
  /// one; `for_write` is a template parameter so that its masks are
  /// constants.
  /// Null when the step failed, its error kept.
  template <bool for_write>
  [[gnu::noinline]] void* chunk_other(array_reader& r, std::size_t i, std::size_t c,
                                      DerefScope* scope) noexcept {
    if (i < size) [[likely]] {
      object_record* rec = chunks[c];
      if (c != r.last_chunk) {
        if (r.quiet) [[likely]] {  // quiet: plain too
          const meta_state m = rec->meta().load();
          if (m.host_fast(for_write) && try_pin(rec)) [[likely]] {
            r.last_chunk = c;
            return m.address();
          }
        }
      } else if (!r.counts_positions && !checked) {
        // Back in the last chunk in a new scope (a walk's next scope): as
        // chunk_step does, without its calls.
        const meta_state m = rec->meta().load();
        if (m.host_fast(for_write) && try_pin(rec)) [[likely]]
          return remember(r, c, this_thread.epoch.load(std::memory_order_relaxed), m.address(),
                          for_write, scope);
      }
    }
    return chunk_step(r, i, c, for_write, scope);
  }

  /// chunk_other's every case: past the end, a declared or detected order,
  /// back in the last chunk, a miss, and the walk detector's step. Null
  /// when it failed, its error kept.
  [[gnu::noinline]] void* chunk_step(array_reader& r, std::size_t i, std::size_t c, bool for_write,
                                     DerefScope* scope) noexcept try {
    const std::uint64_t epoch = this_thread.epoch.load(std::memory_order_relaxed);
    if (i >= size) [[unlikely]]
      return chunk_slow(r, i, c, epoch, for_write, false, scope);
    if (c == r.last_chunk && !r.counts_positions) {
      // Back in the chunk of the last access, in a new scope: remember it
      // for the accesses to come (a walk). Random reads skip these stores:
      // every store waits in the store buffer behind the reads' misses. A
      // followed walk has nothing to tell its prefetcher either (it has not
      // moved on), so a scope per element of a stream costs no more.
      if (checked) [[unlikely]]
        check_access(c, for_write);
      return remember(r, c, epoch, deref_address(chunks[c], rt, for_write), for_write, scope);
    }
    if (!r.plain) [[unlikely]]
      return chunk_slow(r, i, c, epoch, for_write, false, scope);
    if (r.quiet) {
      // No pattern for a while: present chunks pass without the detector's
      // bookkeeping (chunk_other); a miss goes by chunk_slow, where the
      // detector looks.
      return chunk_slow(r, i, c, epoch, for_write, false, scope);
    }
    // The detector's step: a repeated step may be a pattern forming.
    const long long delta = static_cast<long long>(c) - static_cast<long long>(r.last_chunk);
    if (delta == r.last_delta) [[unlikely]]
      return chunk_slow(r, i, c, epoch, for_write, false, scope);
    r.last_chunk = c;
    r.last_delta = delta;
    // (A checked array's readers never go quiet: the quiet path skips the
    // check, which chunk_slow and these two steps make.)
    if (++r.unpatterned == array_reader::quiet_after && !checked) [[unlikely]]
      go_quiet(r);
    if (checked) [[unlikely]]
      check_access(c, for_write);
    return deref_address(chunks[c], rt, for_write);
  } catch (...) {
    keep_error();
    return nullptr;
  }

  /// Copies element i (`bytes` long) of an absent chunk from home into
  /// `out` when reads at random go apart now: true. False: read it through
  /// its chunk (at()), then note_read().
  bool read_apart(std::size_t i, void* out, std::size_t bytes) {
    array_reader& r = reader();
    if (!r.reads_apart || !r.plain || i >= size) [[likely]]
      return false;
    return read_apart_slow(r, i, out, bytes);
  }
  /// A read by value went through the chunk; `missed`: the chunk was fetched.
  void note_read(bool missed) {
    array_reader& r = reader();
    r.window_misses += missed;
    if (++r.window_reads == array_reader::read_window) [[unlikely]]
      end_window(r);
  }

  /// The calling thread follows `o` (a declared order, or a detected one)
  /// from now on.
  void follow(order::declared o, bool is_detected) { follow(reader(), std::move(o), is_detected); }
  /// Empties the chunk slot of the calling thread's scopes: what it
  /// remembers may be gone, or its walk must be seen again.
  static void forget_slot();
  /// forget_slot() where the calling thread's filled slot names the Array
  /// object at `owner` (it moved, or its array is going).
  static void forget_slot_of(const void* owner);

  /// Stops every reader's prefetcher (they read the chunk list, which the
  /// caller is about to change); returns whether the calling thread's
  /// followed a declared order. REQUIRES: one writer, no readers.
  bool stop_prefetchers();

 private:
  /// Throws AccessConflict when chunk c's last writer (or, for a write, its
  /// last reader) is another thread whose scope is still open; then notes
  /// the calling thread's scope as the chunk's reader or writer.
  void check_access(std::size_t c, bool for_write);
  void follow(array_reader& r, order::declared o, bool is_detected);
  // r's `plain` recomputed, and quiet_thread kept in step with the primary
  // reader's `quiet`.
  void update_plain(array_reader& r);
  void go_quiet(array_reader& r);
  // The calling thread's reader, made; null when that failed, its error
  // kept.
  array_reader* reader_slow() noexcept;
  void* chunk_slow(array_reader& r, std::size_t i, std::size_t c, std::uint64_t epoch,
                   bool for_write, bool scanning, DerefScope* scope);
  void moved_to(array_reader& r, std::size_t chunk, std::size_t index);
  bool read_apart_slow(array_reader& r, std::size_t i, void* out, std::size_t bytes);
  void end_window(array_reader& r);
  // Chunk c's payload p stays valid for the rest of the scope of `epoch`:
  // the reader remembers it, and so does `scope`'s slot.
  [[gnu::always_inline]] void* remember(array_reader& r, std::size_t c, std::uint64_t epoch,
                                        void* p, bool for_write, DerefScope* scope) {
    const std::size_t first = c << per_shift, count = std::min(per_chunk, size - first);
    r.base_first = first;
    r.base_count = count;
    r.base_epoch = epoch;
    r.base = reinterpret_cast<std::uintptr_t>(p) | for_write;
    // A walk (followed by a prefetcher) takes the slot; another access
    // only an empty one, so that reads at random do not take it from a walk.
    if (scope != nullptr && (r.session != nullptr || scope->chunk_.count == 0))
      fill_slot(*scope, epoch, first, count, p, for_write);
    return p;
  }
  [[gnu::always_inline]] void fill_slot(DerefScope& scope, std::uint64_t epoch, std::size_t first,
                                        std::size_t count, void* p, bool for_write) {
    if (DerefScope* old = filled_slot_scope(); old != nullptr && old != &scope)
      old->chunk_.count = 0;  // one filled slot per thread
    thread_state& t = this_thread;
    t.slot_scope = &scope;
    t.slot_epoch = epoch;
    scope.chunk_ = {first, count, owner, for_write ? owner : nullptr, static_cast<std::byte*>(p)};
  }
  // The scope object whose chunk slot this thread filled in its open scope,
  // or null (thread_state::slot_scope is stale once the epoch moved on).
  static DerefScope* filled_slot_scope() {
    const thread_state& t = this_thread;
    return t.slot_epoch == t.epoch.load(std::memory_order_relaxed) ? t.slot_scope : nullptr;
  }

  // The readers of threads other than the primary, under their lock.
  std::unique_ptr<reader_list> others_;
};

/// An array of T's state in `rt`, with no chunks yet: chunks of a
/// power-of-two number of elements, so that finding an element's chunk is a
/// shift.
std::unique_ptr<array_state> new_array_state(object_runtime* rt, std::size_t element_bytes,
                                             std::size_t chunk_bytes);

}  // namespace remora::detail

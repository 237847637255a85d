// Array<T>: a fixed-size array in far memory, chunked into remote objects of
// about `chunk_bytes` each (one get moves a chunk; see array_chunk_bytes).
// Access is per element; what travels is whole chunks.
//
// Prefetching: prefetch(order) declares how the array will be walked, and a
// prefetch actor runs ahead of the reader along that order, fetching chunks
// in batches. The reader's position reaches it through a cursor the actor
// polls, never a message per element. Without a declaration, sequential and
// strided walks are detected from the chunks the reader moves between, and
// prefetched the same way; random access triggers nothing. scan() walks the
// whole array with touch-once derefs: the chunks it brings in are the first
// the cache evacuates, so a scan does not push hot objects out.
//
// Thread-safety: one thread at a time uses an Array (its detection state is
// not shared); it may move between threads. REQUIRES: the Runtime outlives it.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "remora/detail/handle.hpp"
#include "remora/order.hpp"

namespace remora {

class Runtime;

/// The chunk size arrays aim for by default (bytes; make_array takes another
/// for arrays read at random in small pieces, such as table rows, where a
/// 16 KiB chunk would move far more than is read). Measured here with
/// remora-transport-demo --measure over shared memory (one buffer, batched):
/// 4 KiB 47 GB/s, 16 KiB 73 GB/s, 64 KiB 44 GB/s, 256 KiB 2.8 GB/s (UCX
/// changes protocol past 64 KiB). 16 KiB moves fastest and keeps the cache's
/// granularity fine.
inline constexpr std::size_t array_chunk_bytes = 16 << 10;

namespace detail {

// What an Array shares with its prefetcher and iterators.
struct array_state {
  std::vector<object_record*> chunks;
  std::size_t size = 0, per_chunk = 1;  // per_chunk is a power of two
  unsigned per_shift = 0;
  object_runtime* rt = nullptr;
  std::shared_ptr<std::atomic<std::uint64_t>> cursor = std::make_shared<std::atomic<std::uint64_t>>(0);
  order::declared declared;                   // what the user declared
  std::unique_ptr<prefetch_session> session;  // following `declared`, or a detected pattern
  bool detected = false;                      // the session follows a detected pattern
  bool counts_positions = false;              // cursor = elements read, not an index
  std::uint64_t read_count = 0;
  std::size_t last_chunk = static_cast<std::size_t>(-1);
  // The last chunk dereferenced and where, valid while the thread's epoch is
  // still `base_epoch` (the same open scope): repeated accesses to one chunk
  // skip the deref.
  std::size_t base_chunk = static_cast<std::size_t>(-1);
  std::uint64_t base_epoch = 0;
  void* base = nullptr;
  bool base_writable = false;
  long long last_delta = 0;
  int same_delta = 0;

  ~array_state() {
    session.reset();  // stop the prefetcher before the chunks go
    for (object_record* r : chunks)
      if (r->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) rt->release(r);
  }

  void follow(order::declared o, bool is_detected) {
    session.reset();
    detected = is_detected;
    counts_positions = o.what == order::declared::kind::indices ||
                       o.what == order::declared::kind::generator;
    read_count = 0;
    cursor->store(0, std::memory_order_relaxed);
    if (o.what == order::declared::kind::none || o.what == order::declared::kind::off) return;
    prefetch_plan plan{&chunks, per_chunk, size, std::move(o), cursor};
    session = rt->follow(std::move(plan));
  }

  // Called when the reader moves to another chunk: publishes progress and
  // looks for a sequential or strided pattern when nothing is declared.
  void moved_to(std::size_t chunk, std::size_t index) {
    if (!counts_positions) cursor->store(index, std::memory_order_relaxed);
    if (declared.what != order::declared::kind::none) {
      last_chunk = chunk;
      return;
    }
    const long long delta = static_cast<long long>(chunk) - static_cast<long long>(last_chunk);
    last_chunk = chunk;
    if (delta == last_delta && delta != 0 && delta > -64 && delta < 64) {
      if (++same_delta == 2 && !session && delta > 0)
        follow(delta == 1 ? order::sequential(index)
                          : order::strided(index, static_cast<std::size_t>(delta) * per_chunk),
               true);
    } else {
      same_delta = 0;
      if (detected) {  // the pattern broke: stop guessing
        session.reset();
        detected = false;
      }
    }
    last_delta = delta;
  }

  void* chunk_for(std::size_t i, bool for_write, bool scanning = false) {
    const std::size_t c = i >> per_shift;
    const std::uint64_t epoch = this_thread.epoch.load(std::memory_order_relaxed);
    if (c == base_chunk && epoch == base_epoch && (base_writable || !for_write) && i < size &&
        !counts_positions) [[likely]]
      return base;
    return chunk_slow(i, c, epoch, for_write, scanning);
  }

  void* chunk_slow(std::size_t i, std::size_t c, std::uint64_t epoch, bool for_write,
                   bool scanning) {
    if (i >= size)
      throw InvalidObject("index " + std::to_string(i) + " is past the end of an Array of " +
                          std::to_string(size) + " elements");
    if (c != last_chunk) moved_to(c, i);
    if (counts_positions) cursor->store(++read_count, std::memory_order_relaxed);
    void* p = scanning ? deref_scanning(chunks[c], rt) : deref_address(chunks[c], rt, for_write);
    if (epoch & 1) {  // inside a scope: remember for the next access to this chunk
      base_chunk = c;
      base_epoch = epoch;
      base = p;
      base_writable = for_write;
    }
    return p;
  }
};

}  // namespace detail

template <class T>
class Array {
 public:
  Array() = default;
  Array(Array&&) noexcept = default;
  Array& operator=(Array&&) noexcept = default;

  std::size_t size() const { return state_ ? state_->size : 0; }
  /// Elements a remote object of the array holds (make_array's chunk_bytes
  /// over sizeof(T), a power of two): what one miss moves.
  std::size_t chunk_elements() const { return state_ ? state_->per_chunk : 0; }

  const T& at(DerefScope&, std::size_t i) const {
    auto* s = state();
    return static_cast<const T*>(s->chunk_for(i, false))[i & (s->per_chunk - 1)];
  }
  T& at_mut(DerefScope&, std::size_t i) {
    auto* s = state();
    return static_cast<T*>(s->chunk_for(i, true))[i & (s->per_chunk - 1)];
  }
  /// Elements i… to the end of i's chunk, in place: a loop over a span runs at
  /// memory speed, where at() checks the chunk per element. Valid while the
  /// scope is open.
  std::span<const T> span(DerefScope&, std::size_t i) const {
    auto* s = state();
    const auto* chunk = static_cast<const T*>(s->chunk_for(i, false));
    const std::size_t first = i & (s->per_chunk - 1);
    return {chunk + first, std::min(s->per_chunk - first, s->size - i)};
  }
  std::span<T> span_mut(DerefScope&, std::size_t i) {
    auto* s = state();
    auto* chunk = static_cast<T*>(s->chunk_for(i, true));
    const std::size_t first = i & (s->per_chunk - 1);
    return {chunk + first, std::min(s->per_chunk - first, s->size - i)};
  }
  /// Elements i… to the end of i's chunk in GPU memory (the HBM tier), for
  /// CUDA kernels: device addresses, valid while the scope is open. The chunk
  /// moves to HBM (see UniquePtr::deref_device for what that means); a later
  /// host access moves it back. Throws ConfigError without an HBM tier.
  std::span<const T> device_span(DerefScope&, std::size_t i) const {
    auto* s = state();
    if (i >= s->size)
      throw InvalidObject("index " + std::to_string(i) + " is past the end of an Array of " +
                          std::to_string(s->size) + " elements");
    s->base_chunk = static_cast<std::size_t>(-1);  // a host view of the chunk may be gone
    const auto* chunk =
        static_cast<const T*>(detail::deref_device_address(s->chunks[i >> s->per_shift], s->rt));
    const std::size_t first = i & (s->per_chunk - 1);
    return {chunk + first, std::min(s->per_chunk - first, s->size - i)};
  }
  T read(std::size_t i) const {
    DerefScope scope;
    return at(scope, i);
  }
  void write(std::size_t i, const T& value) {
    DerefScope scope;
    at_mut(scope, i) = value;
  }

  /// Brings in, in batches, the chunks holding elements `indices` ahead of
  /// the derefs that will read them: a random gather pays for one batched
  /// round of gets, not a miss per element. Best effort: what the cache has no
  /// room for now is left to the derefs. Indices past the end are ignored;
  /// a chunk named twice is fetched once. Under order::off() it does
  /// nothing: each chunk is then fetched by the deref that needs it.
  void fetch(std::span<const std::size_t> indices) const {
    auto* s = state();
    if (s->declared.what == order::declared::kind::off) return;
    std::vector<detail::object_record*> wanted;
    wanted.reserve(indices.size());
    for (std::size_t i : indices)
      if (i < s->size && (wanted.empty() || wanted.back() != s->chunks[i >> s->per_shift]))
        wanted.push_back(s->chunks[i >> s->per_shift]);
    s->rt->fetch_many(wanted);
  }

  /// Declares the order the array will be read in (order.hpp); replaces the
  /// previous declaration. order::none() goes back to detection.
  void prefetch(order::declared o) {
    auto* s = state();
    s->declared = o;
    s->follow(std::move(o), false);
  }

  class scan_range;
  /// Every element in order, with touch-once derefs and prefetch ahead.
  scan_range scan() const { return scan_range(state()); }

 protected:
  friend class Runtime;
  explicit Array(std::unique_ptr<detail::array_state> s) : state_(std::move(s)) {}
  detail::array_state* state() const {
    if (!state_) [[unlikely]]
      detail::throw_no_object("use");
    return state_.get();
  }

  std::unique_ptr<detail::array_state> state_;
};

/// The elements of an Array in order. Each chunk stays pinned (by a scope
/// the iterator holds) while the iterator is in it.
template <class T>
class Array<T>::scan_range {
 public:
  class iterator {
   public:
    const T& operator*() const { return *at_; }
    iterator& operator++() {
      ++index_;
      if (++at_ == chunk_end_) enter();
      return *this;
    }
    bool operator!=(const iterator& other) const { return index_ != other.index_; }

   private:
    friend class scan_range;
    iterator(detail::array_state* s, std::size_t i) : state_(s), index_(i) { enter(); }
    void enter() {
      scope_.reset();
      if (index_ >= state_->size) return;
      scope_.emplace();
      at_ = static_cast<const T*>(state_->chunk_for(index_, false, true));
      chunk_end_ = at_ + std::min(state_->per_chunk, state_->size - index_);
    }
    detail::array_state* state_;
    std::size_t index_;
    const T* at_ = nullptr;
    const T* chunk_end_ = nullptr;
    std::optional<DerefScope> scope_;
  };

  iterator begin() const {
    if (state_->declared.what == order::declared::kind::none && !state_->session)
      state_->follow(order::sequential(), true);  // a scan declares itself
    return iterator(state_, 0);
  }
  iterator end() const { return iterator(state_, state_->size); }

 private:
  friend class Array;
  explicit scan_range(detail::array_state* s) : state_(s) {}
  detail::array_state* state_;
};

namespace detail {

/// The state of an empty array of T in `rt`: chunks of a power-of-two number
/// of elements, so that finding an element's chunk is a shift.
template <class T>
std::unique_ptr<array_state> new_array_state(object_runtime* rt,
                                             std::size_t chunk_bytes = array_chunk_bytes) {
  check_object_type<T>();
  auto s = std::make_unique<array_state>();
  s->per_chunk = std::bit_floor(std::max<std::size_t>(1, chunk_bytes / sizeof(T)));
  s->per_shift = static_cast<unsigned>(std::countr_zero(s->per_chunk));
  s->rt = rt;
  return s;
}

}  // namespace detail

}  // namespace remora

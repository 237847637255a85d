// Array<T>: a fixed-size array in far memory, chunked into remote objects of
// about `chunk_bytes` each (one get moves a chunk; see array_chunk_bytes).
// Access is per element; what travels is whole chunks.
//
// Prefetching: prefetch(order) declares how the array will be walked, and a
// prefetcher (a thread of its own) runs ahead of the reader along that
// order, fetching chunks in batches. The reader's position reaches it
// through a cursor, and the reader wakes it only when it is idle and the
// reader enters another chunk: never a message per element. Without a
// declaration, sequential and strided walks are detected from the chunks the reader moves between,
// and prefetched the same way; random access triggers nothing. scan() walks the whole array with
// touch-once derefs: the chunks it brings in are the first the cache evacuates, so a scan does not
// push hot objects out.
//
// Thread-safety: any number of threads may read an Array at once (at, span,
// read, scan, fetch, device_span); each thread has its own detection, its
// own declared order (prefetch() declares the calling thread's) and its own
// prefetcher. A write (at_mut, span_mut, write) needs one writer and no
// readers. REQUIRES: the Runtime outlives it.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "remora/detail/array_state.hpp"
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

template <class T>
class Array {
 public:
  Array() = default;
  // A scope's chunk slot names the Array object it was filled through (its
  // address, a register where at() is called), so a move hands the state
  // its new owner and empties the thread's slot if it names the old one.
  Array(Array&& other) noexcept : state_(std::move(other.state_)) { adopt(other); }
  Array& operator=(Array&& other) noexcept {
    if (this != &other) {
      state_ = std::move(other.state_);
      adopt(other);
    }
    return *this;
  }

  std::size_t size() const { return state_ ? state_->size : 0; }
  /// Elements a remote object of the array holds (make_array's chunk_bytes
  /// over sizeof(T), a power of two): what one miss moves.
  std::size_t chunk_elements() const { return state_ ? state_->per_chunk : 0; }

  [[gnu::always_inline]] const T& at(DerefScope& scope, std::size_t i) const {
    const auto& slot = scope.chunk_;
    const std::size_t k = i - slot.first;
    if (k < slot.count && slot.reader == this) [[likely]]
      return reinterpret_cast<const T*>(slot.base)[k];
    return *state()->template element<T, false>(scope, i);
  }
  [[gnu::always_inline]] T& at_mut(DerefScope& scope, std::size_t i) {
    const auto& slot = scope.chunk_;
    const std::size_t k = i - slot.first;
    if (k < slot.count && slot.writer == this) [[likely]]
      return reinterpret_cast<T*>(slot.base)[k];
    return *state()->template element<T, true>(scope, i);
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
    s->reader().forget_base();  // a host view of the chunk may be gone
    detail::array_state::forget_slot();
    const auto* chunk =
        static_cast<const T*>(detail::deref_device_address(s->chunks[i >> s->per_shift], s->rt));
    const std::size_t first = i & (s->per_chunk - 1);
    return {chunk + first, std::min(s->per_chunk - first, s->size - i)};
  }
  /// Element i by value. Read at random from an array much larger than the
  /// cache (most reads missing), a miss fetches just the element's bytes
  /// from its home rather than its whole chunk.
  T read(std::size_t i) const {
    auto* s = state();
    std::array<std::byte, sizeof(T)> bytes;
    if (s->read_apart(i, bytes.data(), sizeof(T))) return std::bit_cast<T>(bytes);
    auto& misses = detail::this_thread.misses;
    const std::uint64_t before = misses.load(std::memory_order_relaxed);
    T value = [&] {
      DerefScope scope;
      return at(scope, i);
    }();
    s->note_read(misses.load(std::memory_order_relaxed) != before);
    return value;
  }
  void write(std::size_t i, const T& value) {
    DerefScope scope;
    at_mut(scope, i) = value;
  }

  /// Brings in, in batches, the chunks holding elements `indices` ahead of
  /// the derefs that will read them: a random gather pays for one batched
  /// round of gets, not a miss per element. A full cache is waited for, as a
  /// deref would, within the timeout; what still finds no room is left to the
  /// derefs. Indices past the end are ignored;
  /// a chunk named twice is fetched once. Under order::off() it does
  /// nothing: each chunk is then fetched by the deref that needs it.
  void fetch(std::span<const std::size_t> indices) const {
    auto* s = state();
    if (s->reader().declared.what == order::declared::kind::off) return;
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
    s->reader().declared = o;
    s->follow(std::move(o), false);
  }

  class scan_range;
  /// Every element in order, with touch-once derefs and prefetch ahead.
  scan_range scan() const { return scan_range(state()); }

 protected:
  friend struct detail::handle_factory;
  explicit Array(std::unique_ptr<detail::array_state> s) : state_(std::move(s)) {
    if (state_) state_->owner = this;
  }
  detail::array_state* state() const {
    if (!state_) [[unlikely]]
      detail::throw_no_object("use");
    return state_.get();
  }

  std::unique_ptr<detail::array_state> state_;

 private:
  void adopt(const Array& from) {
    detail::array_state::forget_slot_of(&from);
    if (state_) state_->owner = this;
  }
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
    detail::array_reader& r = state_->reader();
    if (r.declared.what == order::declared::kind::none && !r.session)
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

template <class T>
std::unique_ptr<array_state> new_array_state(object_runtime* rt,
                                             std::size_t chunk_bytes = array_chunk_bytes) {
  check_object_type<T>();
  return new_array_state(rt, sizeof(T), chunk_bytes);
}

}  // namespace detail

}  // namespace remora

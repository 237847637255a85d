// id_map: a hash table keyed by object id, as a memory node keeps its
// objects (and, with an empty value, sets of ids). Open addressing with
// linear probing in one array: a lookup costs a cache miss or two and an
// insert allocates nothing until the table grows. (std::unordered_map, its
// predecessor, allocated a node per object and chased a pointer per lookup:
// most of a node's time while a client filled it with small objects.)
//
// Id 0 is never an object's (the protocol reserves it): it marks an empty
// slot. Slots are chosen by a keyed hash whose key is random per table, so
// that clients cannot pick ids that all fall together. Erasing shifts the
// entries that follow back into the hole, so there are no tombstones and
// probes stay short however many objects come and go.
//
// The table lives in zeroed memory, in huge pages once it is 2 MiB or more
// (huge_pages.hpp): a lookup in a table of millions then costs one miss,
// without a page walk. So V must be trivially copyable, and V{} all zero
// bytes.
//
// References to values stay valid until the next insert (which may grow the
// table) or erase (which may move entries). Iteration order is unspecified.
//
// Thread-safety: none (one owner, as the arena).
#pragma once

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "storage/huge_pages.hpp"

namespace remora::storage {

template <class V>
class id_map {
  static_assert(std::is_trivially_copyable_v<V>, "id_map keeps its values in zeroed memory");

 public:
  id_map() : key_(std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32)) {}
  ~id_map() { free_table(slots_, capacity_ * sizeof(slot)); }
  id_map(const id_map&) = delete;
  id_map& operator=(const id_map&) = delete;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// The table's memory, in bytes.
  std::size_t bytes() const { return capacity_ * sizeof(slot); }

  /// The value of `id`, or nullptr.
  V* find(std::uint64_t id) {
    if (id == 0 || size_ == 0) return nullptr;
    for (std::size_t at = home(id);; at = next(at)) {
      if (slots_[at].id == id) return &slots_[at].value;
      if (slots_[at].id == 0) return nullptr;
    }
  }
  const V* find(std::uint64_t id) const { return const_cast<id_map*>(this)->find(id); }
  bool contains(std::uint64_t id) const { return find(id) != nullptr; }
  /// The value of `id`; throws std::out_of_range when it is absent.
  V& at(std::uint64_t id) {
    V* v = find(id);
    if (v == nullptr) throw std::out_of_range("id_map: no entry " + std::to_string(id));
    return *v;
  }

  /// The value of `id`, made (value-initialised) if absent; whether it was
  /// made. REQUIRES: id != 0.
  std::pair<V*, bool> try_emplace(std::uint64_t id) {
    assert(id != 0);
    if ((size_ + 1) * 4 > capacity_ * 3) grow(std::max<std::size_t>(16, capacity_ * 2));
    std::size_t at = home(id);
    for (; slots_[at].id != 0; at = next(at))
      if (slots_[at].id == id) return {&slots_[at].value, false};
    slots_[at].id = id;
    ++size_;
    return {&slots_[at].value, true};
  }
  /// Inserts `id`; false if it was there already (a set's insert).
  bool insert(std::uint64_t id) { return try_emplace(id).second; }

  /// Removes `id`; whether it was there.
  bool erase(std::uint64_t id) {
    if (id == 0 || size_ == 0) return false;
    std::size_t hole = home(id);
    for (; slots_[hole].id != id; hole = next(hole))
      if (slots_[hole].id == 0) return false;
    erase_at(hole);
    return true;
  }
  /// Removes every entry for which f(id, value) is true, in one pass over
  /// the table (no lookups); how many. f may change other entries' values,
  /// not insert or erase, and may be asked twice about an entry it keeps.
  template <class F>
  std::size_t erase_if(F&& f) {
    std::size_t erased = 0;
    // An erase moves later entries back into the hole, so the slot is
    // looked at again; entries that wrapped around from the start to the
    // end were looked at already, and kept.
    for (std::size_t at = 0; at < capacity_;) {
      if (slots_[at].id != 0 && f(slots_[at].id, slots_[at].value)) {
        erase_at(at);
        ++erased;
      } else {
        ++at;
      }
    }
    return erased;
  }

  /// Room for `n` entries without growing (references then survive the
  /// inserts up to there).
  void reserve(std::size_t n) {
    std::size_t want = 16;
    while (n * 4 > want * 3) want *= 2;
    if (want > capacity_) grow(want);
  }
  /// Empties the table. Its room stays unless it was mostly empty (so
  /// that clearing after a small batch costs what the batch did).
  void clear() {
    if (size_ == 0) return;
    if (size_ * 8 < capacity_) {
      free_table(slots_, capacity_ * sizeof(slot));
      slots_ = nullptr;
      capacity_ = 0;
    } else {
      std::memset(static_cast<void*>(slots_), 0, capacity_ * sizeof(slot));
    }
    size_ = 0;
  }

  /// f(id, value) for every entry. f must not insert or erase.
  template <class F>
  void for_each(F&& f) {
    for (std::size_t at = 0; at < capacity_; ++at)
      if (slots_[at].id != 0) f(slots_[at].id, slots_[at].value);
  }
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t at = 0; at < capacity_; ++at)
      if (slots_[at].id != 0) f(slots_[at].id, static_cast<const V&>(slots_[at].value));
  }

 private:
  struct slot {
    std::uint64_t id = 0;
    V value{};
  };

  // The finalizer of MurmurHash3 (a bijection) over the id and the key.
  std::size_t home(std::uint64_t id) const {
    std::uint64_t h = id ^ key_;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return static_cast<std::size_t>(h) & (capacity_ - 1);
  }
  std::size_t next(std::size_t at) const { return (at + 1) & (capacity_ - 1); }

  void erase_at(std::size_t hole) {
    // Backward shift: an entry after the hole moves into it unless its home
    // lies cyclically in (hole, its slot], where a lookup still finds it.
    for (std::size_t at = next(hole); slots_[at].id != 0; at = next(at)) {
      const std::size_t want = home(slots_[at].id);
      const bool stays = hole < at ? (hole < want && want <= at) : (hole < want || want <= at);
      if (stays) continue;
      slots_[hole] = std::move(slots_[at]);
      hole = at;
    }
    slots_[hole] = slot{};
    --size_;
  }

  void grow(std::size_t capacity) {
    assert(std::has_single_bit(capacity));
    slot* old = slots_;
    const std::size_t old_capacity = capacity_;
    slots_ = static_cast<slot*>(allocate_table(capacity * sizeof(slot)));  // zeroed: all empty
    capacity_ = capacity;
    for (std::size_t from = 0; from < old_capacity; ++from) {
      if (old[from].id == 0) continue;
      std::size_t at = home(old[from].id);
      while (slots_[at].id != 0) at = next(at);
      slots_[at] = old[from];
    }
    free_table(old, old_capacity * sizeof(slot));
  }

  slot* slots_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
  std::uint64_t key_;
};

/// A set of ids.
struct id_set_value {};
using id_set = id_map<id_set_value>;

}  // namespace remora::storage

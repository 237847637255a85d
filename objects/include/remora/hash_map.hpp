// HashMap<K, V>: a hash map whose entries (key and value) live in far memory
// while a compact index stays local, as AIFM's hashtable does. The index is
// open addressing with linear probing over 16-byte buckets {hash, entry
// record}; each entry also costs its record (32 B plus an 8-byte metadata
// word and a 4-byte cache index) — about 60 local bytes an entry at the
// index's 0.7 load factor, whatever K and V are. Only entries that are
// dereferenced take cache room; a get of a cold key costs one fetch.
//
// get_many fetches every absent entry it needs in one batch (per 512 keys)
// before reading them, so a batch of cold keys costs about one round trip,
// not one each.
//
// Thread-safety: one thread at a time. REQUIRES: the Runtime outlives it.
#pragma once

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "remora/detail/handle.hpp"

namespace remora {

class Runtime;

template <class K, class V>
class HashMap {
  struct entry {
    K key;
    V value;
  };

 public:
  HashMap() = default;
  HashMap(HashMap&&) noexcept = default;
  HashMap& operator=(HashMap&& other) noexcept {
    clear();
    buckets_ = std::move(other.buckets_);
    size_ = std::exchange(other.size_, 0);
    used_ = std::exchange(other.used_, 0);
    rt_ = other.rt_;
    return *this;
  }
  ~HashMap() { clear(); }

  std::size_t size() const { return size_; }

  void put(const K& key, const V& value) {
    const std::uint64_t h = hash_of(key);
    if (bucket* b = find(key, h)) {
      DerefScope scope;
      static_cast<entry*>(detail::deref_address(b->record, rt_, true))->value = value;
      return;
    }
    if ((used_ + 1) * 10 > buckets_.size() * 7) grow();
    entry e{key, value};
    detail::object_record* r = rt_->create(
        sizeof(entry), [](void* p, void* arg) { std::memcpy(p, arg, sizeof(entry)); }, &e);
    insert(h, r);
    ++size_;
  }

  std::optional<V> get(const K& key) const {
    const bucket* b = find(key, hash_of(key));
    if (b == nullptr) return std::nullopt;
    DerefScope scope;
    return static_cast<const entry*>(detail::deref_address(b->record, rt_, false))->value;
  }

  bool erase(const K& key) {
    bucket* b = find(key, hash_of(key));
    if (b == nullptr) return false;
    detail::object_record* r = std::exchange(b->record, tombstone());
    if (r->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) rt_->release(r);
    --size_;
    return true;
  }

  /// The values of `keys` (nullopt where absent), fetching what is needed in
  /// one batch first (one batch per group of `group` keys).
  std::vector<std::optional<V>> get_many(std::span<const K> keys) const {
    std::vector<std::optional<V>> out(keys.size());
    for (std::size_t first = 0; first < keys.size(); first += group) {
      const std::size_t n = std::min(group, keys.size() - first);
      get_group(keys.subspan(first, n), std::span(out).subspan(first, n));
    }
    return out;
  }

 private:
  // How many of get_many's keys go in one batch: a batch's entries are
  // pinned together, so a long list of keys goes in groups that fit any
  // cache.
  static constexpr std::size_t group = 512;
  friend struct detail::handle_factory;
  struct bucket {
    std::uint64_t hash = 0;
    detail::object_record* record = nullptr;  // nullptr: empty; tombstone(): erased
  };

  HashMap(detail::object_runtime* rt, std::size_t expected) : rt_(rt) {
    detail::check_object_type<entry>();
    std::size_t n = 16;
    while (n * 7 < expected * 10) n *= 2;
    buckets_.resize(n);
  }

  static detail::object_record* tombstone() {
    return reinterpret_cast<detail::object_record*>(alignof(detail::object_record));
  }
  static std::uint64_t hash_of(const K& key) {
    std::uint64_t h = std::hash<K>{}(key);
    h ^= h >> 33;  // std::hash of integers is the identity: mix it
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
  }

  // get_many for one group. The table and the entries are far larger than
  // the CPU's caches, so each step first asks for the lines the next one
  // reads (the keys' buckets, the candidates' records, their entries): their
  // misses overlap instead of coming one after another. Then the candidates
  // (entries whose hash matches) come in one batch, and one pass under one
  // scope compares keys and copies values.
  void get_group(std::span<const K> keys, std::span<std::optional<V>> out) const {
    if (buckets_.empty()) return;
    const std::size_t mask = buckets_.size() - 1;
    std::vector<std::uint64_t> hashes(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      hashes[i] = hash_of(keys[i]);
      __builtin_prefetch(&buckets_[hashes[i] & mask]);
    }
    std::vector<detail::object_record*> wanted;
    std::vector<std::uint32_t> from(keys.size() + 1);  // key i's candidates: [from[i], from[i + 1])
    for (std::size_t i = 0; i < keys.size(); ++i) {
      from[i] = static_cast<std::uint32_t>(wanted.size());
      collect_candidates(hashes[i], wanted);
    }
    from[keys.size()] = static_cast<std::uint32_t>(wanted.size());
    for (const detail::object_record* r : wanted) __builtin_prefetch(r);
    rt_->fetch_many(wanted);
    DerefScope scope;
    std::vector<const entry*> entries(wanted.size());
    for (std::size_t c = 0; c < wanted.size(); ++c) {
      entries[c] = static_cast<const entry*>(detail::deref_address(wanted[c], rt_, false));
      __builtin_prefetch(entries[c]);
    }
    for (std::size_t i = 0; i < keys.size(); ++i)
      for (std::uint32_t c = from[i]; c < from[i + 1]; ++c)
        if (std::memcmp(&entries[c]->key, &keys[i], sizeof(K)) == 0) {
          out[i] = entries[c]->value;
          break;
        }
  }

  void collect_candidates(std::uint64_t h, std::vector<detail::object_record*>& out) const {
    if (buckets_.empty()) return;
    const std::size_t mask = buckets_.size() - 1;
    for (std::size_t i = h & mask; buckets_[i].record != nullptr; i = (i + 1) & mask)
      if (buckets_[i].record != tombstone() && buckets_[i].hash == h)
        out.push_back(buckets_[i].record);
  }

  bucket* find(const K& key, std::uint64_t h) const {
    if (buckets_.empty()) return nullptr;
    const std::size_t mask = buckets_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      bucket& b = const_cast<bucket&>(buckets_[i]);
      if (b.record == nullptr) return nullptr;
      if (b.record != tombstone() && b.hash == h) {
        DerefScope scope;
        const auto* e = static_cast<const entry*>(detail::deref_address(b.record, rt_, false));
        if (std::memcmp(&e->key, &key, sizeof(K)) == 0) return &b;
      }
    }
  }

  void insert(std::uint64_t h, detail::object_record* r) {
    const std::size_t mask = buckets_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      if (buckets_[i].record == nullptr || buckets_[i].record == tombstone()) {
        if (buckets_[i].record == nullptr) ++used_;
        buckets_[i] = {h, r};
        return;
      }
    }
  }

  void grow() {
    std::vector<bucket> old = std::move(buckets_);
    buckets_.assign(std::max<std::size_t>(16, old.size() * 2), bucket{});
    used_ = 0;
    for (const bucket& b : old)
      if (b.record != nullptr && b.record != tombstone()) insert(b.hash, b.record);
  }

  void clear() {
    for (bucket& b : buckets_)
      if (b.record != nullptr && b.record != tombstone() &&
          b.record->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
        rt_->release(b.record);
    buckets_.clear();
    size_ = used_ = 0;
  }

  std::vector<bucket> buckets_;
  std::size_t size_ = 0;  // entries
  std::size_t used_ = 0;  // buckets not empty (entries and tombstones)
  detail::object_runtime* rt_ = nullptr;
};

}  // namespace remora

// HashMap<K, V>: a hash map whose entries (key and value) live in far memory
// while a compact index stays local, as AIFM's hashtable does. The index is
// open addressing with linear probing over 16-byte buckets {hash, entry
// record}; each entry also costs its record (32 B plus an 8-byte metadata
// word and a 4-byte cache index) — about 60 local bytes an entry at the
// index's 0.7 load factor, whatever K and V are. Only entries that are
// dereferenced take cache room; a get of a cold key costs one fetch.
//
// get_many fetches every absent entry it needs in one batch before reading
// them, so a batch of cold keys costs about one round trip, not one each.
//
// Thread-safety: one thread at a time. REQUIRES: the Runtime outlives it.
#pragma once

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
  /// one batch first.
  std::vector<std::optional<V>> get_many(std::span<const K> keys) const {
    // First the entries whose hashes match, fetched together; then the
    // lookups proper, which compare keys on what is now local.
    std::vector<detail::object_record*> wanted;
    for (const K& key : keys) collect_candidates(hash_of(key), wanted);
    rt_->fetch_many(wanted);
    std::vector<const bucket*> found(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) found[i] = find(keys[i], hash_of(keys[i]));
    std::vector<std::optional<V>> out(keys.size());
    DerefScope scope;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (found[i] != nullptr)
        out[i] = static_cast<const entry*>(detail::deref_address(found[i]->record, rt_, false))->value;
    return out;
  }

 private:
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

// blob_index: the blob stores (remora::BlobStore) whose keys live on one
// memory node, by name within each tenant. A key's value is a list of
// objects on this node (pieces of up to a megabyte), which a client wrote
// as its own and then handed to the store (arena::adopt) when it committed
// the put; a put replaces the key's previous value at once, so a reader
// sees the old list or the new one. Each store is an owner id of its own at
// the arena, readable by its tenant's clients.
//
// Eviction is LRU over the keys of a store: past the capacity a put names,
// and whenever the arena has no room for an allocation (evict_for), keys
// not pinned go, least recently read or written first. A pin lasts until
// its time is up (Mooncake's soft pins).
//
// Thread-safety: one owner (the memory_node actor).
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace remora::actors {

struct blob_store_stats {
  std::uint64_t keys = 0, bytes = 0;
  std::uint64_t hits = 0, misses = 0, evictions = 0, puts = 0;
};

class blob_index {
 public:
  using owner_id = std::uint64_t;
  using tenant_id = std::uint32_t;
  using clock = std::chrono::steady_clock;

  /// The owner id of store `name` of `tenant` at the arena, made on first
  /// use with `fresh` (an id nobody else owns).
  owner_id owner_of(tenant_id tenant, const std::string& name, owner_id fresh);
  /// The store's owner id, if it exists.
  std::optional<owner_id> find(tenant_id tenant, const std::string& name) const;

  struct value {
    std::vector<std::uint64_t> ids;  // the pieces, in order
    std::uint64_t bytes = 0;
  };
  struct replaced {
    std::vector<std::uint64_t> old;      // the key's previous value: readers may be in it
    std::vector<std::uint64_t> evicted;  // the objects of keys evicted
    std::uint64_t evicted_keys = 0;
  };
  /// Sets `key` to `v`, pinned until `pinned_until` (none: not pinned),
  /// evicting keys to bring the store within `capacity` bytes (0: none).
  /// Returns the objects to free.
  replaced put(tenant_id tenant, const std::string& store, const std::string& key, value v,
               std::uint64_t capacity, clock::time_point pinned_until);
  /// The value of `key` (a read: it becomes the most recent), counted as a
  /// hit or a miss when `count`.
  const value* get(tenant_id tenant, const std::string& store, const std::string& key, bool count);
  /// Removes `key`; its objects to free (none when it was absent).
  std::optional<std::vector<std::uint64_t>> erase(tenant_id tenant, const std::string& store,
                                                  const std::string& key);
  /// Evicts keys of `tenant`'s stores (least recent first, not pinned) until
  /// at least `bytes` are freed or none is left to evict. Returns the
  /// objects to free, with their store's owner.
  std::vector<std::pair<owner_id, std::uint64_t>> evict_for(tenant_id tenant, std::uint64_t bytes);

  blob_store_stats stats(tenant_id tenant, const std::string& store) const;

 private:
  struct entry {
    value v;
    std::list<std::string>::iterator recent;  // in its store's lru
    clock::time_point pinned_until{};
  };
  struct store {
    owner_id owner = 0;
    std::unordered_map<std::string, entry> keys;
    std::list<std::string> lru;  // most recent first
    blob_store_stats counts;
  };
  // Evicts the least recent key of `s` not pinned (nor `keep`); its
  // objects, or nothing when every key is pinned.
  std::optional<value> evict_one(store& s, const std::string* keep);

  std::map<std::pair<tenant_id, std::string>, store> stores_;
};

}  // namespace remora::actors

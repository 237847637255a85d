// BlobStore: a named store of byte values in the pool, shared by every
// Runtime of the same memory nodes (and tenant) that opens the name
// (Runtime::blob_store). Values go from nothing to many megabytes; each key
// lives on one memory node (chosen by hashing the key), its value in pieces
// of up to a megabyte read and written one-sided.
//
// A put replaces the key's value at once: a reader sees the old value or
// the new one, never a mix. The store is a cache: keys are evicted, least
// recently used first, past the capacity its options give, and whenever a
// node has no room for new objects; a key put with a pin is not evicted
// before its pin lapses (Mooncake's soft pins). A value has one copy, in
// pools of replicas or erasure too: a value lost with its node is a miss.
//
// Copies share one store. Thread-safety: any number of threads may use a
// store at once. REQUIRES: the Runtime outlives it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace remora {

class BlobStore {
 public:
  struct options {
    /// Bytes of values the store keeps on each node before it evicts (0:
    /// only as the node's memory runs out).
    std::uint64_t capacity = 0;
  };
  struct put_options {
    /// Not evicted for this long (0: may be evicted at once).
    std::chrono::milliseconds pin{0};
  };
  /// Per-store figures, summed over the memory nodes.
  struct figures {
    std::uint64_t keys = 0, bytes = 0;
    std::uint64_t hits = 0, misses = 0, evictions = 0, puts = 0;
  };

  BlobStore() = default;

  const std::string& name() const;

  /// Sets `key` to `value`, replacing what it held. Throws OutOfMemory when
  /// the node has no room even after evicting, NodeUnavailable.
  void put(std::string_view key, std::span<const std::byte> value, put_options o);
  void put(std::string_view key, std::span<const std::byte> value) { put(key, value, {}); }
  /// The value of `key`, or nothing when it is not there (never put, erased
  /// or evicted).
  std::optional<std::vector<std::byte>> get(std::string_view key);
  /// Reads the value of `key` into `into` (its first bytes) without an
  /// intermediate copy; the value's size, or nothing when it is not there.
  /// Throws InvalidObject, naming both sizes, when `into` is too small.
  std::optional<std::size_t> get_into(std::string_view key, std::span<std::byte> into);
  /// The values of `keys` (nothing for those not there), in one request and
  /// one batch of reads per node.
  std::vector<std::optional<std::vector<std::byte>>> get_many(const std::vector<std::string>& keys);
  /// As get_many, each value read into into[k] (its first bytes) without an
  /// intermediate copy or an allocation: each key's size, nothing for those
  /// not there. Buffers used again skip the page faults and zeroing that
  /// fresh vectors cost. Throws InvalidObject, naming the key and both
  /// sizes, when a buffer is too small (buffers of keys on other nodes may
  /// hold their values by then), or when into.size() != keys.size().
  std::vector<std::optional<std::size_t>> get_many_into(const std::vector<std::string>& keys,
                                                        std::span<const std::span<std::byte>> into);
  /// Whether `key` was there; it is not now.
  bool erase(std::string_view key);
  /// Whether `key` is there now (not counted as a read).
  bool contains(std::string_view key);
  figures stats() const;

  struct impl;

 private:
  friend class Runtime;
  explicit BlobStore(std::shared_ptr<impl> p) : impl_(std::move(p)) {}
  impl& self() const;
  std::shared_ptr<impl> impl_;
};

}  // namespace remora

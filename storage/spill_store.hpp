// spill_store: where a memory node keeps the objects it spilled out of its
// arena. A RocksDB database under one directory maps an object id (the key: 8
// bytes big-endian, so keys sort by id) to its version and payload (the
// value: u32 little-endian version, then the payload bytes).
//
// A memory node is a pool, not durable storage: open() wipes whatever the
// directory held, so a restarted node starts clean, and writes skip the
// write-ahead log. A crash loses spilled objects as it loses the arena.
//
// One store per directory: open() holds an exclusive flock on
// <dir>/remora-spill.lock (a file the wipe leaves alone) for the store's
// life, and fails with errc::io, naming the directory, while another process
// (or another store in this one) holds it.
//
// Thread-safety: calls from one thread at a time (the node's spill actor).
// RocksDB flushes and compacts in background threads of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/slot.hpp"
#include "transport/result.hpp"

namespace rocksdb {
class DB;
class PinnableSlice;
}  // namespace rocksdb

namespace remora::storage {

class spill_store {
 public:
  /// Creates `dir` if missing, wipes it, and opens an empty store there.
  /// Errors: io (the directory is in use, or cannot be created or opened),
  /// no_space.
  static transport::result<std::unique_ptr<spill_store>> open(const std::string& dir);

  ~spill_store();
  spill_store(const spill_store&) = delete;
  spill_store& operator=(const spill_store&) = delete;

  /// Stores `payload` as object `id` at `version`, replacing what was stored
  /// under `id`. Errors: no_space, io.
  transport::result<void> put(object_id id, std::uint32_t version,
                              std::span<const std::byte> payload);

  /// The version and payload stored under `id`. Errors: unknown_object, io.
  transport::result<std::pair<std::uint32_t, std::vector<std::byte>>> get(object_id id);

  /// Removes object `id`. Errors: unknown_object, no_space, io.
  transport::result<void> erase(object_id id);

  /// Objects held.
  std::uint64_t objects() const { return objects_; }
  /// Payload bytes held (versions and RocksDB's overhead not counted).
  std::uint64_t bytes() const { return bytes_; }
  /// What RocksDB holds on disk and in memtables now (its own figures:
  /// total-sst-files-size and cur-size-all-mem-tables).
  std::uint64_t disk_bytes() const;

 private:
  spill_store(std::string dir, int lock_fd);

  /// Reads the value stored under `id` into `value`; false when there is none.
  /// put and erase read too, to keep bytes() exact: the bloom filter makes
  /// that read cheap for ids never spilled.
  transport::result<bool> find(object_id id, rocksdb::PinnableSlice& value, std::string_view what);

  std::string dir_;
  int lock_fd_;
  std::unique_ptr<rocksdb::DB> db_;
  std::uint64_t objects_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace remora::storage

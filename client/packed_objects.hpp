// packed_objects: a node_far_store's side of packed payloads
// (storage/packed_payload.hpp). Where packing is on for a node
// (Options::compress_links: every node reached over the network, or those
// whose link is measured slower than unpacking), objects of 8 KiB or more
// written there are packed with zstd when that saves an eighth, and the
// packed part's length is remembered, so that reads of them move that part
// alone. Over shared memory nothing is packed. A link's pace is measured on
// the batches of reads and writes that cross it (256 KiB or more). Reads
// from any node unpack what they find packed, whoever packed it (another
// runtime, a repair).
// A remembered length is a hint: a read that finds the object otherwise
// (rewritten raw, packed longer) reads it whole.
//
// Thread-safety: every member may be called from any number of threads.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "remora/options.hpp"
#include "storage/arena.hpp"
#include "storage/remote_arena.hpp"
#include "transport/mutex.hpp"
#include "transport/result.hpp"

namespace remora::client {

class packed_objects {
 public:
  packed_objects(Options::compression mode, std::uint32_t nodes);

  /// Whether writes to `node` (`network`: not mapped here) pack now.
  bool packs_for(std::uint32_t node, bool network) const;
  using clock = std::chrono::steady_clock;
  /// When a batch of `bytes` through `arena` starts, where its link's pace
  /// is measured (slow_links, a network link, a batch large enough).
  std::optional<clock::time_point> start_timing(const storage::remote_arena& arena,
                                                std::size_t bytes) const;
  /// The batch of `bytes` begun at `started` crossed to `node`.
  void finish_timing(std::uint32_t node, std::size_t bytes,
                     std::optional<clock::time_point> started);
  /// A batch of `bytes` crossed the network link to `node` in `seconds`.
  void timed(std::uint32_t node, std::size_t bytes, double seconds);
  /// Batches smaller than this say more about the link's latency than its
  /// pace, and are not timed.
  static constexpr std::size_t timed_from = 256 << 10;
  /// Links slower than this pack (slow_links): zstd unpacks a CSR at about
  /// 1 GB/s a core here, and packs it 1.6x, so that it pays below 0.35.
  static constexpr double slow_link = 0.3e9;

  /// What a batch of writes puts in the slots: data[i]'s packed part, or
  /// data[i] itself. `go` lists the objects to write: one whose raw bytes
  /// would read back as packed and do not pack is left out, with its error
  /// in `outcome`.
  struct staged {
    std::vector<std::span<const std::byte>> data;
    std::vector<std::uint32_t> packed;  // the packed part's length, or 0
    std::vector<std::size_t> go;
    std::vector<std::byte> parts;  // the packed parts, one after another
  };
  /// Stages `data` for writing; `pack`: packs_for() the node.
  void stage(bool pack, std::span<const std::span<const std::byte>> data, staged& out,
             std::span<transport::result<void>> outcome) const;
  /// After staged writes to `node`: the packed lengths of those written
  /// are remembered, those written raw forgotten; a large batch's buffer
  /// is let go.
  void wrote(std::uint32_t node, std::span<const storage::object_location> where, staged& s,
             std::span<const transport::result<void>> outcome);
  /// Objects freed on `node`.
  void forget(std::uint32_t node, std::span<const storage::object_id> ids);

  /// The remembered packed length of object `id` on `node`, or 0.
  std::uint32_t known(std::uint32_t node, storage::object_id id) const;

  /// far_store::read through `arena` (node `node`'s): the packed part of
  /// each object whose length is remembered, the others whole; what is
  /// packed comes back unpacked.
  transport::result<void> read(storage::remote_arena& arena, std::uint32_t node,
                               std::span<storage::object_location> where,
                               std::span<const std::span<std::byte>> into);
  /// far_store::read_part through `arena`: the range, and the payload's
  /// head in the same batch; a packed object is read packed and unpacked.
  transport::result<void> read_part(storage::remote_arena& arena, std::uint32_t node,
                                    storage::object_location& where, std::uint32_t from,
                                    std::span<std::byte> into);

  std::uint64_t reads() const { return reads_.load(std::memory_order_relaxed); }
  std::uint64_t bytes_saved() const { return saved_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t shards = 16;
  struct shard {
    transport::mutex mutex;
    std::unordered_map<std::uint64_t, std::uint32_t> lengths REMORA_GUARDED_BY(mutex);
  };
  // Unpacks, in place, the payloads a read of whole objects found packed
  // (corrupt: a packed payload whose frame does not check).
  transport::result<void> unpack_whole(std::span<const storage::object_location> where,
                                       std::span<const std::span<std::byte>> into);
  // Unpacks a packed part read on a remembered length into `into` (the
  // object's size): false when the bytes are not that (read it whole).
  bool unpack_part(std::span<const std::byte> part, std::span<std::byte> into);
  // Reads whole objects from `node` (one get for one object) and unpacks
  // them.
  transport::result<void> read_whole(storage::remote_arena& arena, std::uint32_t node,
                                     std::span<storage::object_location> where,
                                     std::span<const std::span<std::byte>> into);

  static std::uint64_t key(std::uint32_t node, storage::object_id id);
  shard& shard_of(std::uint64_t key) const { return shards_[key % shards]; }
  void counted(std::size_t size, std::size_t part);

  const Options::compression mode_;
  // Each node's measured pace in bytes a second (0: not yet), as a float's
  // bits; races between batches timed at once are harmless.
  std::unique_ptr<std::atomic<std::uint32_t>[]> pace_;
  const std::uint32_t nodes_;
  mutable std::array<shard, shards> shards_;
  std::atomic<std::uint64_t> reads_{0}, saved_{0};
};

}  // namespace remora::client

// erasure_far_store: a far_store decorator that codes every object with
// Reed-Solomon (storage::rs_code, ISA-L) into k data pieces and m parity
// pieces on k + m distinct nodes, and answers for them as one logical node
// (the object store sees nodes() == 1). Any m of the nodes may be lost:
// memory costs (k + m) / k of the payload, against r for r replicas.
//
//   placement  piece j on the j-th reachable node ranked by rendezvous
//              hashing, chosen at the object's first write home; a piece
//              that found no node is absent until repair places it;
//   writes     encode the whole object and write every piece; a piece that
//              fails is marked stale. A write succeeds while at least k
//              pieces took it;
//   reads      read the k data pieces (one batch per node, no decoding);
//              when one is missing, stale, on an unreachable node or fails
//              its checksum (then it is marked stale), the object is read
//              degraded: any k current pieces, decoded (counted as a
//              failover). Fewer than k: ObjectLost (unknown_object);
//   frees      go to every piece (waiting for unreachable nodes).
// Repair (thread remora.repair, as replicated_far_store's): objects with
// fewer than k + m current pieces on nodes that are not dead are read,
// decoded, and their missing pieces written to reachable nodes that hold
// none of the object's pieces, in one allocation batch per node. A piece on
// a leaving node (being drained) is rebuilt the same way on another node,
// then freed where it was. Scrubs
// read every piece of a few objects a pass, so that damaged parity (which
// reads never touch) is found too.
//
// Thread-safety: as far_store (the piece table is sharded under mutexes).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "objects/far_store.hpp"
#include "objects/node_ranking.hpp"
#include "objects/pending_frees.hpp"
#include "objects/repair_thread.hpp"
#include "storage/rs_code.hpp"

namespace remora::objects {

class erasure_far_store final : public far_store {
 public:
  static constexpr std::uint32_t max_pieces = 8;  // k + m

  /// REQUIRES: 1 <= k, 1 <= m, k + m <= min(max_pieces, nodes->nodes()).
  erasure_far_store(std::unique_ptr<far_store> nodes, std::uint32_t k, std::uint32_t m,
                    repair_options repair);
  erasure_far_store(std::unique_ptr<far_store> nodes, std::uint32_t k, std::uint32_t m)
      : erasure_far_store(std::move(nodes), k, m, repair_options{}) {}
  ~erasure_far_store() override;  // stops the repair thread

  std::uint32_t nodes() const override { return 1; }
  std::uint64_t node_id(std::uint32_t) const override { return 0x65726173; }
  bool reachable(std::uint32_t) const override;
  bool dead(std::uint32_t) const override;
  std::string describe(std::uint32_t) const override;

  transport::result<void> allocate(std::uint32_t node,
                                   std::span<storage::object_location> where) override;
  transport::result<void> free(std::uint32_t node,
                               std::span<const storage::object_id> ids) override;
  transport::result<void> read(std::uint32_t node, std::span<storage::object_location> where,
                               std::span<const std::span<std::byte>> into) override;
  transport::result<void> read_part(std::uint32_t node, storage::object_location& where,
                                    std::uint32_t from, std::span<std::byte> into) override;
  transport::result<void> write(std::uint32_t node, storage::object_location& where,
                                std::span<const std::byte> data) override;

  /// Reads that had to decode (a data piece was missing or bad).
  std::uint64_t failovers() const override { return failovers_.load(std::memory_order_relaxed); }
  /// Pieces rebuilt and written again.
  std::uint64_t repairs() const override { return repairs_.load(std::memory_order_relaxed); }
  /// Objects repair found with fewer than k current pieces left.
  std::uint64_t objects_lost() const override {
    return objects_lost_.load(std::memory_order_relaxed);
  }
  /// One repair pass on the caller's thread; how many pieces it rebuilt.
  std::size_t repair_now(std::size_t max_objects = SIZE_MAX);
  /// Reads every current copy (or piece) of the next `max_objects` objects
  /// (going on where the last scrub stopped, at most once round), and marks
  /// those that fail their checksum stale for repair; how many it found.
  std::size_t scrub_now(std::size_t max_objects = SIZE_MAX);

  /// Bytes of each piece of an object of `size` bytes.
  std::uint32_t piece_bytes(std::uint32_t size) const { return (size + k_ - 1) / k_; }

 private:
  static constexpr std::uint32_t absent = ~std::uint32_t{0};
  struct piece {
    std::uint32_t node = absent;
    std::uint32_t version = 0;
    std::uint64_t offset = 0;
    bool current = false;  // holds the last write
  };
  struct stripe {
    std::array<piece, max_pieces> at;  // piece j at at[j]
    std::uint32_t size = 0;            // the object's bytes
    bool written = false;              // once: repair has something to rebuild
    bool lost = false;                 // counted once
  };
  struct shard {
    std::mutex mutex;
    std::unordered_map<storage::object_id, stripe> objects;  // GUARDED_BY(mutex)
  };

  shard& shard_of(storage::object_id id) { return shards_[id % shards_.size()]; }
  stripe lookup(storage::object_id id);
  bool usable(const piece& p) const { return p.current && nodes_->reachable(p.node); }
  // Current pieces on nodes that are not dead.
  std::uint32_t live_pieces(const stripe& s) const;
  bool needs_repair(const stripe& s) const;
  // Reads `id` (of `s`) into `pieces` (k + m buffers of piece_bytes), from
  // any k current pieces, decoding what is missing; the pieces that failed
  // their checksum go to `corrupt`. False when fewer than k could be read.
  bool read_degraded(storage::object_id id, const stripe& s,
                     std::vector<std::vector<std::byte>>& pieces,
                     std::vector<std::uint32_t>& corrupt);
  void mark_stale(storage::object_id id, std::uint32_t j, std::uint32_t version);
  // Under their shard's lock: rebuilds the missing pieces of `group`'s
  // objects, with one allocation batch per target node; how many.
  std::size_t repair_group(std::vector<std::pair<storage::object_id, stripe*>>& group);
  static constexpr std::size_t repair_group_bytes = 32 << 20;

  const std::unique_ptr<far_store> nodes_;
  const std::uint32_t k_, m_;
  const storage::rs_code code_;
  std::vector<shard> shards_;
  pending_frees frees_;
  std::atomic<std::uint64_t> failovers_{0}, repairs_{0}, objects_lost_{0};
  scrub_cursor scrub_;                       // the repair thread's (or a test's)
  std::unique_ptr<repair_thread> repairer_;  // last: stopped first
};

}  // namespace remora::objects

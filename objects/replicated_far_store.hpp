// replicated_far_store: a far_store decorator that keeps every object on r
// distinct nodes of the store beneath it and answers for them as one
// logical node (the object store sees nodes() == 1).
//
//   placement  the r reachable nodes whose rendezvous hash with the id is
//              highest, chosen at the object's first write home;
//   writes     go to every replica; one that fails (its node unreachable or
//              dead) is marked stale and is never read again. A write
//              succeeds while at least one replica took it; when none did,
//              the object stays dirty in the local cache;
//   reads      go to the first current, reachable replica, and fail over to
//              the next when it does not answer; each read that had to is
//              counted (failovers). A copy that fails its checksum is marked
//              stale (a lost copy: repair replaces it). No current replica
//              left: ObjectLost (unknown_object), naming the nodes;
//   frees      go to every replica; those on an unreachable node wait for it
//              (it holds the copy still), those on a dead one are dropped.
// Where each replica lives (its node, offset and version) is kept here, per
// object; the object store's location fields are not used.
//
// Repair: a thread of its own (remora.repair, objects/repair_thread.hpp)
// looks, every `interval`, for objects with fewer than r current copies on
// nodes that are not dead, and copies each from a current one to the best
// reachable node that has none, at most `batch` objects a pass
// (rate-limited); a copy on a leaving node (being drained) counts as
// missing, and is freed once the others are made; then it scrubs a few objects (reads every copy,
// marks those that fail their checksum stale). A node that is only unreachable keeps its copies: it
// may come back (a lost connection is not a death); its stale copies are freed when it does. Copies
// on dead nodes are forgotten. Repairs and writes hold the object's shard lock throughout, so a
// repair never copies bytes a write is replacing; reads and frees wait for them too.
//
// Thread-safety: as far_store (the replica table is sharded under mutexes).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "objects/far_store.hpp"
#include "objects/node_ranking.hpp"
#include "objects/pending_frees.hpp"
#include "objects/repair_thread.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

class replicated_far_store final : public far_store {
 public:
  static constexpr std::uint32_t max_replicas = 4;
  // Copies one object may have on record: r current ones, and stale ones
  // on nodes that are unreachable now (freed when they come back).
  static constexpr std::uint32_t max_copies = 2 * max_replicas;

  /// REQUIRES: 1 <= replicas <= min(max_replicas, nodes->nodes()).
  replicated_far_store(std::unique_ptr<far_store> nodes, std::uint32_t replicas,
                       repair_options repair);
  replicated_far_store(std::unique_ptr<far_store> nodes, std::uint32_t replicas)
      : replicated_far_store(std::move(nodes), replicas, repair_options{}) {}
  ~replicated_far_store() override;  // stops the repair thread

  std::uint32_t nodes() const override { return 1; }
  std::uint64_t node_id(std::uint32_t) const override { return 0x7265706c; }
  bool reachable(std::uint32_t) const override;
  void connect() override { nodes_->connect(); }
  bool connected(std::uint32_t) const override {
    return reachable(0) && connected_to_answering(*nodes_);
  }
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

  // Sharing: a published array's objects keep the copies they had when it
  // was published; they are the publication's (on each node), so they are
  // neither repaired, moved nor freed from here. Reads fail over as for
  // any object.
  far_store& homes() override { return *nodes_; }
  bool shares() const override { return true; }
  using far_store::copies;
  void copies(std::uint32_t node, const storage::object_location& where,
              std::vector<copy>& out) override;
  transport::result<void> share(std::span<const storage::object_id> ids) override;
  void unshare(std::span<const storage::object_id> ids) override;
  void forget(storage::object_id id) override;
  std::uint32_t adopt(const storage::object_location& where, std::span<const copy> copies) override;

  /// Reads served by a replica other than the first current one.
  std::uint64_t failovers() const override { return failovers_.load(std::memory_order_relaxed); }
  /// Copies made to bring objects back to r current copies.
  std::uint64_t repairs() const override { return repairs_.load(std::memory_order_relaxed); }
  /// Objects repair found with no current copy on a reachable node.
  std::uint64_t objects_lost() const override {
    return objects_lost_.load(std::memory_order_relaxed);
  }
  /// One repair pass over every object, on the caller's thread; how many
  /// copies it made.
  std::size_t repair_now(std::size_t max_objects = SIZE_MAX);
  /// Moves copies to nodes that joined: an object whose owners (its top r
  /// nodes among those neither dead nor leaving) include a reachable node
  /// without a copy gets one there, and loses one on a node outside them.
  /// Up to `max_objects` moves; `complete` when it looked at every object
  /// and left nothing it could not move.
  std::size_t rebalance_now(std::size_t max_objects, bool& complete);
  std::uint64_t rebalanced() const override { return rebalanced_.load(std::memory_order_relaxed); }
  /// Reads every current copy (or piece) of the next `max_objects` objects
  /// (going on where the last scrub stopped, at most once round), and marks
  /// those that fail their checksum stale for repair; how many it found.
  std::size_t scrub_now(std::size_t max_objects = SIZE_MAX);

 private:
  struct replica {
    std::uint32_t node = 0;
    std::uint32_t version = 0;
    std::uint64_t offset = 0;
    bool current = false;  // holds the last write
  };
  struct replicas {
    std::array<replica, max_copies> at;
    std::uint32_t count = 0;
    std::uint32_t size = 0;   // the object's bytes
    bool lost = false;        // repair found no current copy left (counted once)
    std::uint32_t views = 0;  // > 0: a publication's, read through this many records
  };
  struct shard {
    transport::mutex mutex;
    std::unordered_map<storage::object_id, replicas> objects REMORA_GUARDED_BY(mutex);
  };

  shard& shard_of(storage::object_id id) { return shards_[id % shards_.size()]; }
  // A copy of `id`'s replicas; count 0 when unknown.
  replicas lookup(storage::object_id id);
  // The nodes to place `id` on: the `replicas_` reachable ones ranked
  // highest by rendezvous hashing.
  std::vector<std::uint32_t> placement(storage::object_id id) const;
  // Every reachable node, ranked for `id`.
  std::vector<std::uint32_t> placement_all(storage::object_id id) const;
  // Runs `attempt(replica)` on `id`'s current replicas in order until one
  // succeeds; refreshes that replica's location.
  template <class Attempt>
  transport::result<void> read_from_any(storage::object_location& where, Attempt attempt);

  // Brings `reps` (of object `id`, under its shard's lock) back to r
  // current copies where it can; how many copies it made.
  std::size_t repair_one(storage::object_id id, replicas& reps);
  // The copies of `reps` worth keeping: stale copies on reachable nodes
  // are freed, copies on dead nodes forgotten; the rest stay.
  replicas keep_current(storage::object_id id, const replicas& reps);
  // Current copies on nodes that are not dead.
  std::uint32_t live_copies(const replicas& reps) const;
  // Whether repair has something to do for `reps`.
  bool needs_repair(const replicas& reps) const;
  // Once `reps` has r current copies on nodes that stay, frees those on
  // leaving nodes (being drained) and forgets them.
  void drop_leaving(storage::object_id id, replicas& reps);
  // Marks the copy `bad` of `id` stale (it failed its checksum).
  void mark_stale(storage::object_id id, const replica& bad);

  // Repairs `short_of` (objects of one shard, under its lock) with one read
  // batch per source node and one allocation batch per target node.
  std::size_t repair_shard(std::vector<std::pair<storage::object_id, replicas*>>& short_of);

  const std::unique_ptr<far_store> nodes_;
  const std::uint32_t replicas_;
  std::vector<shard> shards_;
  std::atomic<std::uint64_t> failovers_{0}, repairs_{0}, objects_lost_{0}, rebalanced_{0};
  pending_frees frees_;
  epoch_follower rebalanced_to_;             // the repair thread's
  scrub_cursor scrub_;                       // the repair thread's (or a test's)
  std::unique_ptr<repair_thread> repairer_;  // last: stopped first
};

}  // namespace remora::objects

// erasure_far_store: a far_store decorator that codes objects with
// Reed-Solomon (storage::rs_code, ISA-L) in spans, as Carbink does: up to k
// objects of one size class make a span, each stored whole on its own node
// (the span's data columns), and m parity objects on m more nodes code the
// k columns (each taken as the span's length, the longest member's, padded
// with zeroes). It answers for all of them as one logical node (the object
// store sees nodes() == 1). Any m of a span's nodes may be lost: memory
// costs about (k + m) / k of the payload, against r for r replicas.
//
//   placement  the objects of one allocation batch, sorted by size, in spans
//              of k (a size class each: a span's members are within a
//              factor of two); a span's k + m columns on the reachable
//              nodes ranked highest for it, one each;
//   reads      one get of the object itself from its node, batched per
//              node, no decoding. When its node is down, its copy stale or
//              failing its checksum (then marked stale), the object is read
//              degraded: k other columns, decoded (counted as a failover).
//              Fewer than k: ObjectLost (unknown_object);
//   writes     the object to its node, and the change (old XOR new, the
//              old bytes read from its node or decoded) to each parity
//              column: read, updated in place (ISA-L), written. A column
//              that misses a write is stale. A write succeeds while the
//              object can be read (its column, or k others, current);
//   frees      the object's change to zeroes goes to the parity first; its
//              column becomes a hole. When every member of a span goes at
//              once, or the last one goes, the span is freed whole.
// Repair (thread remora.repair, as replicated_far_store's): spans with a
// column that is stale, on a dead or leaving node, or never placed, are
// decoded from k columns and the column rebuilt on a reachable node holding
// none of the span (in place when its node is fine and only missed a
// write), in one allocation batch per node; scrubs read every column of a
// few spans a pass, so that damaged parity (which reads never touch) is
// found too. When the nodes changed (one joined), columns move to where
// placement puts them now (rebalance_now).
//
// Sharing (objects/erasure_sharing.cpp): a published array's objects leave
// their spans (their bytes leave the parity, as on a free) and become whole
// copies on m + 1 nodes: the column's own copy and m more, so that any m of
// those nodes may be lost, as for a span. Whole copies are what the
// publication holds on each node; reads fail over between them, writes
// (a publish that failed gives the objects back) go to every copy. They
// are not repaired (they are the publication's, as replicas' shared
// copies are). Memory: m + 1 times the array, against (k + m) / k.
//
// Thread-safety: as far_store. Tables are sharded under mutexes: members
// (object -> span, column) and spans; a span's changes hold its shard's
// lock throughout, so a repair never rebuilds from bytes a write is
// replacing.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "objects/far_store.hpp"
#include "objects/node_ranking.hpp"
#include "objects/pending_frees.hpp"
#include "objects/repair_thread.hpp"
#include "storage/rs_code.hpp"
#include "transport/mutex.hpp"

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
  void connect() override { nodes_->connect(); }
  bool connected(std::uint32_t) const override {
    return reachable(0) && connected_to_answering(*nodes_);
  }
  bool dead(std::uint32_t) const override;
  std::string describe(std::uint32_t) const override;
  // Blob stores keep one copy of a value on one node of homes().
  far_store& homes() override { return *nodes_; }
  bool shares() const override { return true; }
  using far_store::copies;
  void copies(std::uint32_t node, const storage::object_location& where,
              std::vector<copy>& out) override;
  transport::result<void> share(std::span<const storage::object_id> ids) override;
  void unshare(std::span<const storage::object_id> ids) override;
  void forget(storage::object_id id) override;
  std::uint32_t adopt(const storage::object_location& where, std::span<const copy> copies) override;
  /// Objects kept as whole copies (shared, or given back by a failed publish).
  std::size_t wholes();

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

  /// Reads that had to decode (the object's own copy was missing or bad).
  std::uint64_t failovers() const override { return failovers_.load(std::memory_order_relaxed); }
  /// Columns rebuilt and written again.
  std::uint64_t repairs() const override { return repairs_.load(std::memory_order_relaxed); }
  /// Objects repair found in spans with fewer than k current columns left.
  std::uint64_t objects_lost() const override {
    return objects_lost_.load(std::memory_order_relaxed);
  }
  /// One repair pass on the caller's thread, over at most `max_spans`
  /// spans that need it; how many columns it rebuilt.
  std::size_t repair_now(std::size_t max_spans = SIZE_MAX);
  /// Reads every current column of the next `max_spans` spans (going on
  /// where the last scrub stopped, at most once round), and marks those
  /// that fail their checksum stale for repair; how many it found.
  std::size_t scrub_now(std::size_t max_spans = SIZE_MAX);

  /// Moves columns to nodes that joined: a span whose owners (its top
  /// k + m nodes among those neither dead nor leaving) include a reachable
  /// node without a column of it gets one there, copied from a column on a
  /// node outside them, which is then freed. Up to `max_spans` moves;
  /// `complete` when it looked at every span and left nothing it could not
  /// move.
  std::size_t rebalance_now(std::size_t max_spans, bool& complete);
  std::uint64_t rebalanced() const override { return rebalanced_.load(std::memory_order_relaxed); }

  /// Spans holding at least one object.
  std::size_t spans();

 private:
  static constexpr std::uint32_t absent = ~std::uint32_t{0};
  struct column {
    std::uint32_t node = absent;  // absent: a hole, or a parity column not placed yet
    std::uint32_t version = 0;
    std::uint64_t offset = 0;
    storage::object_id id = 0;  // the member object or the parity object; 0: a hole
    std::uint32_t size = 0;     // its bytes: a member's own, a parity's the span's length
    bool current = false;       // holds what the code expects
    bool written = false;       // written once (before: zeroes, known without a read)
  };
  struct span {
    std::array<column, max_pieces> at;  // members 0 .. k-1, parity k .. k+m-1
    std::uint32_t length = 0;           // the longest member's bytes
    std::uint32_t members = 0;          // live members
    bool lost = false;                  // counted once
  };
  struct member {
    std::uint64_t span = 0;
    std::uint32_t column = 0;
  };
  struct span_shard {
    transport::mutex mutex;
    std::unordered_map<std::uint64_t, span> objects REMORA_GUARDED_BY(mutex);  // by span id
  };
  struct member_shard {
    transport::mutex mutex;
    std::unordered_map<storage::object_id, member> objects REMORA_GUARDED_BY(mutex);
  };
  // An object kept whole on m + 1 nodes instead of in a span (sharing).
  struct whole {
    std::uint32_t size = 0;
    std::uint32_t views = 0;  // records reading it as a publication's; 0: this runtime's own
    std::vector<copy> at;     // the copy reads go to first, then the others
  };
  struct whole_shard {
    transport::mutex mutex;
    std::unordered_map<storage::object_id, whole> objects REMORA_GUARDED_BY(mutex);
  };

  span_shard& span_shard_of(std::uint64_t span) { return spans_[span % spans_.size()]; }
  member_shard& member_shard_of(storage::object_id id) { return members_[id % members_.size()]; }
  // Where `id` lives; span 0 when unknown.
  member find(storage::object_id id);
  whole_shard& whole_shard_of(storage::object_id id) { return wholes_[id % wholes_.size()]; }
  // The copies of `id` when it is kept whole.
  std::optional<whole> find_whole(storage::object_id id);
  // Where copy `c` of whole object `id` (`size` bytes) is.
  static storage::object_location whole_location(storage::object_id id, std::uint32_t size,
                                                 const copy& c);

  // Reads of objects in spans (read() takes whole ones apart first).
  transport::result<void> read_spans(std::span<storage::object_location> where,
                                     std::span<const std::span<std::byte>> into);
  // Reads whole objects: one batch per node of their first copies, then
  // each that failed from its other copies.
  transport::result<void> read_wholes(std::span<storage::object_location> where,
                                      std::span<const std::span<std::byte>> into,
                                      std::span<const whole> found);
  // `id`'s bytes from the first of its whole copies that answers.
  transport::result<void> read_whole(storage::object_id id, const whole& w,
                                     std::span<std::byte> into);
  // Writes `data` to every whole copy of `id`.
  transport::result<void> write_whole(storage::object_id id, std::span<const std::byte> data);
  // Takes `ids` (span members) out of their spans into whole copies.
  transport::result<void> make_whole(std::span<const storage::object_id> ids);
  // Frees the whole copies of `id` (into `frees`, for the caller to send)
  // when it is this runtime's own: true when it was kept whole.
  bool free_whole(storage::object_id id, by_node<std::vector<storage::object_id>>& frees);
  // Member column `c` of `s` leaves it: its bytes (`old`, or unknown) leave
  // the parity, and the column becomes a hole. The caller frees or keeps
  // the column's object. Under the span's lock.
  void remove_member(span& s, std::uint32_t c, const std::vector<std::byte>* old);

  static storage::object_location location_of(const column& c);
  // A column whose bytes are zeroes without a read: a hole, or one never
  // written that missed nothing.
  static bool zeroes(const column& c) { return c.id == 0 || (!c.written && c.current); }
  bool readable(const column& c) const {
    return c.id != 0 && c.written && c.current && c.node != absent && nodes_->reachable(c.node);
  }
  // Columns of `s` other than `except` that decoding could use now or once
  // their nodes are back (not dead).
  std::uint32_t live_columns(const span& s, std::uint32_t except = absent) const;
  bool needs_repair(const span& s) const;

  // The span's columns (k + m buffers of its length) from any k of them,
  // decoded; the columns that failed their checksum go to `corrupt`. False
  // when fewer than k could be had. Under the span's lock.
  bool read_span(span& s, std::vector<std::vector<std::byte>>& columns,
                 std::vector<std::uint32_t>& corrupt);
  // Column `c`'s own copy into `bytes` (the span's length, zero-padded);
  // false when it cannot be read (marked stale when damaged).
  bool own_bytes(column& c, std::vector<std::byte>& bytes);
  // Column `c`'s bytes as the code has them now: zeroes, its own copy, or
  // decoded from k others (`decoded` says so). Under the span's lock.
  bool current_bytes(span& s, std::uint32_t c, std::vector<std::byte>& bytes,
                     bool* decoded = nullptr);
  // Adds `delta` of member column `c` to the span's parity columns (read,
  // updated, written); those that fail are stale. Under the span's lock.
  void update_parity(span& s, std::uint32_t c, const std::vector<std::byte>& delta);
  // What the nodes hold of `s`, every column, into `frees` (the caller sends
  // them once it holds no lock: one request a node, not one a column).
  void free_span(const span& s, by_node<std::vector<storage::object_id>>& frees);

  // Under their shard's lock: rebuilds the columns of `group`'s spans that
  // need it, with one allocation batch per target node; how many.
  std::size_t repair_group(std::vector<std::pair<std::uint64_t, span*>>& group);
  static constexpr std::size_t repair_group_bytes = 32 << 20;

  const std::unique_ptr<far_store> nodes_;
  const std::uint32_t k_, m_;
  const storage::rs_code code_;
  std::vector<span_shard> spans_;
  std::vector<member_shard> members_;
  std::vector<whole_shard> wholes_;
  std::atomic<std::size_t> whole_count_{0};  // entries in wholes_: none, no lookups
  pending_frees frees_;
  std::atomic<std::uint64_t> failovers_{0}, repairs_{0}, objects_lost_{0}, rebalanced_{0};
  epoch_follower rebalanced_to_;             // the repair thread's
  scrub_cursor scrub_;                       // the repair thread's (or a test's)
  std::unique_ptr<repair_thread> repairer_;  // last: stopped first
};

}  // namespace remora::objects

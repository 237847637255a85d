// object_store: the object core. It owns the records, the local tiers and
// the mechanics that move objects between them and their far store:
//   - misses, on the caller's thread (deref_slow, fetch), and batched
//     fetches for gathers and prefetchers (fetch_many, prefetch);
//   - creation and release, with frees queued per node;
//   - the tiering rounds its tiering thread runs (evacuation.cpp): eviction
//     to the far store, demotion and promotion between local tiers;
//   - moves in and out of HBM on the caller's thread (relocation.cpp);
//   - rebalancing (rebalance.cpp): when the far store's nodes change (one
//     joined, or is leaving), objects move to where placement puts them now.
// It sees the memory nodes only through a far_store, and throws the public
// exceptions (remora/errors.hpp) that the far store's results convert to
// (objects/raise.hpp). The client Runtime wires it: options to tiers, memory
// nodes to a far store.
//
// Thread-safety: every member function may be called from any thread; shared
// state is atomic or guarded as marked.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "objects/epochs.hpp"
#include "objects/far_store.hpp"
#include "objects/pending_frees.hpp"
#include "objects/record_pool.hpp"
#include "objects/tier_stack.hpp"
#include "objects/tiering_thread.hpp"
#include "remora/detail/object_record.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

class object_store final : public detail::object_runtime {
 public:
  /// Starts the tiering thread. `timeout` bounds every wait for room or for
  /// an object in transit. `prefetch_on_reader`: declared orders are
  /// prefetched on their readers' threads (prefetcher.hpp's on_reader).
  /// `check_access`: Arrays check how threads meet on their chunks
  /// (array_state::check_access). REQUIRES: `far` outlives the store.
  object_store(std::unique_ptr<tier_stack> tiers, far_store& far, std::chrono::milliseconds timeout,
               bool prefetch_on_reader = false, bool check_access = false);
  ~object_store();  // stops the tiering thread, then sends the queued frees
  object_store(const object_store&) = delete;
  object_store& operator=(const object_store&) = delete;

  // object_runtime: what handles and arrays call.
  void* deref_slow(detail::object_record* r, bool for_write, bool scanning) override;
  std::unique_ptr<detail::prefetch_session> follow(detail::prefetch_plan plan) override;
  void fetch_many(std::span<detail::object_record* const> records) override;
  bool read_part(detail::object_record* r, std::uint32_t from, std::span<std::byte> into) override;
  detail::object_record* create(std::uint32_t size, void (*init)(void*, void*), void* arg) override;
  detail::object_record* create_zeroed(std::uint32_t size) override;
  void release(detail::object_record* r) noexcept override;
  void* deref_device(detail::object_record* r) override;
  bool checks_access() const override { return check_access_; }

  /// Fetches the absent ones of `chunks` in one batch per node, without
  /// waiting for cache room; how many it dealt with (see prefetcher.hpp),
  /// and in `fetched` how many of them it brought in.
  std::size_t prefetch(std::span<detail::object_record* const> chunks,
                       std::size_t* fetched = nullptr);
  /// Sends the frees queued so far to their nodes.
  void flush_frees();

  // Sharing (sharing.cpp): the chunks of a published array belong to the
  // publication at their nodes, not to this runtime. Such a record is never
  // written, freed at home or moved to another node from here; its local
  // copy is dropped like any clean object's.

  /// Writes `records` home (those never written, or dirty) and drops their
  /// local copies, waiting out open scopes and transit; from then on they
  /// are shared. REQUIRES: no thread writes them. Throws NodeUnavailable or
  /// OutOfMemory (naming why) when they cannot all go home within the
  /// timeout; those already home stay shared.
  void seal(std::span<detail::object_record* const> records);
  /// A shared record, absent, for the object `where` names (id and size),
  /// held at `copies` (an object of someone else's publication). refs == 1.
  detail::object_record* adopt(const storage::object_location& where,
                               std::span<const far_store::copy> copies);
  /// `records` are this runtime's again (publishing them failed).
  void unshare(std::span<detail::object_record* const> records);
  /// Whether `r` is shared (seal, adopt).
  bool shared(const detail::object_record* r) const;

  struct counters {
    std::uint64_t evictions, writebacks, writeback_failures, bytes_in, bytes_out, demotions,
        promotions, prefetch_issued, prefetch_hits, prefetch_wasted, rebalanced, taken_back;
  };
  counters counts() const;
  const tier_stack& tiers() const { return *tiers_; }

 private:
  // Connects the calling thread to the nodes that answer, if it is not yet.
  void connect_this_thread();
  // A slot in tier `tier`, or in the fastest host tier with room when `tier`
  // is tiers_->size(); waits for the evacuator within the timeout.
  std::byte* allocate_slot(std::uint32_t size, std::size_t tier);
  void* fetch(detail::object_record* r, detail::arrival flags);
  // Starts loading, for a batch about to be claimed and read, the records'
  // words and fields and the remote slots their words hint at.
  void hint_slots(std::span<detail::object_record* const> records);
  // Throws NodeUnavailable when `r`'s home is down.
  void check_reachable(const detail::object_record* r) const;
  // The node a new object (or one whose home is down) goes to: by
  // rendezvous hashing, the reachable node ranked highest that is not
  // leaving.
  std::uint32_t place(std::uint64_t id) const;
  // Where the object belongs now: the node ranked highest that is neither
  // dead nor leaving, reachable or not; nodes() when there is none.
  std::uint32_t owner(std::uint64_t id) const;
  void queue_free(detail::object_record* r);
  // Throws ConfigError when an object of `size` bytes cannot fit the cache.
  void check_fits(std::uint32_t size) const;
  // Tiering (evacuation.cpp), on the tiering thread.
  std::size_t evacuate_round();
  std::size_t promote_round();
  std::size_t evacuate(std::size_t tier);
  std::size_t promote(std::size_t tier);
  // Writes `dirty` home (E held on each; payload::zeros: F held, absent
  // objects never written, whose bytes are zeros); returns what failed.
  enum class payload { cached, zeros };
  std::vector<detail::object_record*> write_back(std::vector<detail::object_record*>& dirty,
                                                 payload from = payload::cached);
  // The nodes that refused new objects for want of room a moment ago
  // (full_until_), sorted: write-back asks them for none meanwhile.
  std::vector<std::uint32_t> out_of_room();
  // Keeps why the last write-back failed, for the OutOfMemory it may lead to.
  void note_writeback_error(const transport::error& e);
  void bury(const std::vector<detail::object_record*>& dead);
  bool under_pressure(std::size_t tier) const;
  bool under_pressure() const;
  // Rebalancing (rebalance.cpp), on the tiering thread: one step of a pass
  // over the records; how many objects it moved.
  std::size_t rebalance_round();
  std::size_t move_absent(std::vector<detail::object_record*>& claimed);
  std::size_t evict_leaving(std::vector<detail::object_record*>& candidates);
  // Moves present object `r` into tier `to` (tiers_->size(): a host tier) on
  // the caller's thread: claims it, waits out the other threads' scopes,
  // copies, hands over (relocation.cpp). Returns without moving when another
  // thread holds it in transit; the caller looks again.
  void relocate(detail::object_record* r, std::size_t to,
                std::chrono::steady_clock::time_point until);
  std::size_t hbm_tier() const;

  const std::chrono::milliseconds timeout_;
  const bool prefetch_on_reader_;
  const bool check_access_;
  std::atomic<std::int64_t> prefetch_chunk_ns_{0};  // prefetcher::hooks::chunk_ns
  far_store& far_;
  std::unique_ptr<tier_stack> tiers_;
  record_pool records_;

  pending_frees frees_;

  std::atomic<std::uint64_t> evictions_{0}, writebacks_{0}, writeback_failures_{0}, bytes_in_{0},
      bytes_out_{0};
  std::atomic<std::uint64_t> demotions_{0}, promotions_{0};
  std::atomic<std::uint64_t> prefetch_issued_{0}, prefetch_hits_{0}, prefetch_wasted_{0};
  std::atomic<std::uint64_t> taken_back_{0};  // revocable victims a deref took back
  // Evacuation rounds run, and those that gave up waiting for other
  // threads' open scopes: an OutOfMemory after a wait says what they did.
  std::atomic<std::uint64_t> evacuation_rounds_{0}, scope_waits_given_up_{0};
  detail::pinned_set last_pinned_;     // the tiering thread's: what parked scopes pinned last round
  struct rebalancing {                 // the tiering thread's
    std::uint64_t balanced_epoch = 0;  // the far store's epoch the last full pass saw
    std::uint64_t pass_epoch = 0;      // the epoch the pass under way started at
    bool running = false;
    bool left_behind = false;  // the pass found objects it could not move yet
    std::size_t cursor = 0;
    std::chrono::steady_clock::time_point not_before{};
  } rebalance_;
  std::atomic<std::uint64_t> rebalanced_{0};
  // Which records are shared: a flag beside each record (shared_flag; a
  // set of them cost a hash lookup, a cache miss, for each of a published
  // table's 4 M rows), and how many, so that a store that shares nothing
  // looks at no flag.
  std::atomic<std::size_t> shared_count_{0};
  // Marks `r` shared or not; whether that changed it.
  bool mark_shared(detail::object_record* r, bool shared);
  transport::mutex writeback_error_mutex_;
  std::string last_writeback_error_ REMORA_GUARDED_BY(writeback_error_mutex_);  // empty: none
  std::chrono::steady_clock::time_point last_writeback_error_at_
      REMORA_GUARDED_BY(writeback_error_mutex_);
  // Nodes that refused new objects for want of room (full, or the tenant's
  // quota), and until when write-back asks them for none.
  std::unordered_map<std::uint32_t, std::chrono::steady_clock::time_point> full_until_
      REMORA_GUARDED_BY(writeback_error_mutex_);
  std::unique_ptr<tiering_thread> tiering_;  // last: stops first
};

}  // namespace remora::objects

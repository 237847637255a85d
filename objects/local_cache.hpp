// local_cache: one local tier of the compute node (DRAM, CXL or HBM memory,
// storage/tier_memory.hpp) carved by the slab allocator into slots that hold
// just an object's payload
// (rounded up to 8 bytes: small objects take small slots, and a walk over
// resident objects touches only their bytes); the slot's address goes into
// the object's metadata word.
//
// The mechanics of evacuation live here; the policy (when, how much) lives
// in the object store's tiering rounds (objects/evacuation.cpp), run by
// objects/tiering_thread. An evacuation round:
//   1. sweep():   CLOCK over resident objects: clears H on hot ones; returns
//                 candidates.
//   2. the caller waits for every DerefScope open now to end
//                 (wait_for_scopes), so no scope can still hold a candidate
//                 whose H stayed clear.
//   3. claim_victims(): marks candidates still cold E (evacuating), by
//                 CAS; clean ones whose home is current also V (revocable).
//   4. the caller writes the other victims back to their home nodes.
//   5. finish():  flips victims to absent and frees their slots (but a
//                 revocable one a deref took back meanwhile stays);
//                 restore() gives back those that could not be written
//                 back.
// A reader that meets a revocable victim takes it back (meta_word) rather
// than wait for the round: from claim to drop a round of tens of thousands
// of small objects takes milliseconds, and a reader at random met one of
// its victims nearly every round and waited out the rest of it.
// A victim whose last handle goes while it is claimed (forget()) is the
// claimer's to let go: finish(), restore() and move() drop it and return
// it, and the caller frees it at home and deletes its record.
// Moving objects to another tier (tier_stack.hpp) claims them the same way
// (or with claim_any(), then waits for the scopes), copies the bytes, and
// hands them over with move().
//
// Thread-safety: all members may be called from any thread; the metadata
// words are atomics. Three locks, each held by what needs it only: the
// CLOCK's (the resident objects: sweeps, claims, drops, held for a whole
// pass over tens of thousands of objects), the slots' (the slab allocator:
// a slot taken or a batch given back) and the arrivals' (objects made
// resident, which join the CLOCK when its lock is next taken). A miss takes
// a slot and arrives: it never waits for an evacuation's pass. (With one
// lock for all, a reader of 64-byte objects at random waited for it about
// once a round, up to the whole pass: 0.67 s of a 3 s run, 2026-12-06.)
// The slots' and the arrivals' locks are held briefly and spin before they
// sleep (brief_mutex.hpp).
// Lock order: the CLOCK's, then the slots', then the arrivals'.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "objects/brief_mutex.hpp"
#include "objects/epochs.hpp"
#include "remora/detail/object_record.hpp"
#include "storage/slab_allocator.hpp"
#include "storage/tier_memory.hpp"
#include "transport/mutex.hpp"
#include "transport/result.hpp"

namespace remora::objects {

using detail::object_record;

class local_cache {
 public:
  static transport::result<std::unique_ptr<local_cache>> create(
      std::unique_ptr<storage::tier_memory> memory);

  storage::tier_memory& memory() const { return *memory_; }
  bool holds(const void* payload) const { return memory_->holds(payload); }

  /// A slot for an object of `size` payload bytes, or nullptr when the cache
  /// is full. Ordinary allocations leave a
  /// reserve (1/16 of the capacity) free; `from_reserve` may use it. The
  /// reserve is for threads that need room while their open scope pins
  /// objects: they finish the scope instead of holding up the evacuator.
  std::byte* allocate(std::uint32_t size, bool from_reserve = false);
  /// Slots for objects of `sizes` (not from the reserve) under one hold of
  /// the lock, into out[0 ...] in order, up to the first that finds no room.
  /// Returns how many it gave. For batches (prefetch), which would otherwise
  /// take the lock once an object beside the readers that take it too.
  std::size_t allocate_many(std::span<const std::uint32_t> sizes, std::byte** out);
  /// Returns a slot allocate() gave that never became resident.
  void free_slot(std::byte* slot, std::uint32_t size);
  /// `r` is present now (its slot came from allocate()); it joins the CLOCK.
  void add_resident(object_record* r);
  /// add_resident for each of `records`, under one hold of the lock.
  void add_residents(std::span<object_record* const> records);

  /// The last handle of `r` is gone: `deletable` when the caller may delete
  /// `r` now; `held` when an evacuation holds it (finish() or move() hands
  /// it back); `elsewhere` when it is resident in another tier.
  enum class forgotten { deletable, held, elsewhere };
  forgotten forget(object_record* r);

  /// Candidates holding up to about `max_bytes` of payload. Objects in
  /// `held` (what parked scopes pinned when last asked), and those `stuck`
  /// names (objects that cannot leave now), are passed over: they would be
  /// dropped from the candidates anyway, and counting them could leave the
  /// sweep short of what can go (prefetched, unread objects; clean ones).
  std::vector<object_record*> sweep(std::uint64_t max_bytes,
                                    const detail::pinned_set* held = nullptr,
                                    const std::function<bool(const object_record&)>& stuck = {});
  /// Like sweep(), for every object of the page with the fewest objects:
  /// used when an allocation failed for want of a page while bytes were free
  /// (size classes fragment the cache).
  std::vector<object_record*> sweep_page(const detail::pinned_set* held = nullptr);
  /// An allocation failed for want of a page although there was room.
  bool fragmented() const { return fragmented_.load(std::memory_order_relaxed); }
  std::vector<object_record*> claim(const std::vector<object_record*>& candidates);
  /// What claim_victims claimed: victims to write home first, and clean
  /// ones (revocable), which finish() drops unless a deref took them back.
  struct victims {
    std::vector<object_record*> held, revocable;
  };
  /// claim() for an eviction: a clean victim for which `goes_home` is
  /// false is claimed revocably.
  victims claim_victims(const std::vector<object_record*>& candidates,
                        const std::function<bool(const object_record&)>& goes_home);
  /// Up to `max` resident objects touched since the last sweep (H set),
  /// neither prefetched-unread nor in transit: candidates for promotion.
  std::vector<object_record*> hot(std::size_t max);
  /// Marks E on each candidate still present and not in transit, hot or not.
  /// The caller must then wait for the scopes open now before moving them.
  std::vector<object_record*> claim_any(const std::vector<object_record*>& candidates);
  /// Hands claimed `victims` over to `to`, whose `slots` (from to.allocate())
  /// already hold their bytes: each becomes present there with `flags` and
  /// its dirty bit kept. Returns records forgotten meanwhile (the caller
  /// frees them at home and deletes them; their slots in `to` are freed).
  static std::vector<object_record*> move(local_cache& from, local_cache& to,
                                          const std::vector<object_record*>& victims,
                                          const std::vector<std::byte*>& slots,
                                          detail::arrival flags);
  /// What finish() dropped: victims that left (a revocable one a deref
  /// took back stays), and how many of them a prefetch had brought and
  /// nothing read.
  struct finished {
    std::size_t dropped = 0, unread_prefetches = 0;
  };
  /// Drops the held victims (written home, or nothing to write) and the
  /// revocable ones no deref took back. Once taken back, a revocable
  /// victim is no longer this claim's, whatever its word says later (its
  /// last handle gone, a claim of another mover's). Returns records whose
  /// last handle went away while claimed: the caller frees them at home and
  /// deletes them. `counts`, when given, says what left.
  [[nodiscard]] std::vector<object_record*> finish(const victims& claimed,
                                                   finished* counts = nullptr);
  /// Gives claimed `victims` back, present as they were. Returns those
  /// forgotten meanwhile: they leave the cache now, and the caller frees
  /// them at home and deletes them (as finish() returns them).
  [[nodiscard]] std::vector<object_record*> restore(const std::vector<object_record*>& victims);

  /// How many times room was made (a slot freed, victims evacuated,
  /// objects moved out). Read before an allocation that may
  /// fail, then pass to wait_for_room.
  std::uint64_t room_made() const { return room_made_.load(std::memory_order_acquire); }
  /// Blocks until room was made since `seen` (room_made()) or `timeout`
  /// passes: at once if it already was.
  void wait_for_room(std::uint64_t seen, std::chrono::milliseconds timeout);

  std::uint64_t capacity() const { return geometry().capacity(); }
  std::uint64_t used() const;
  /// Room ordinary allocations still have (the reserve not counted).
  std::uint64_t free_room() const;
  /// The share of the cache an object of `size` bytes takes: its slot and
  /// the part of its page that slots of its size cannot use.
  std::uint64_t footprint(std::uint32_t size) const;
  /// The largest object a slot can hold.
  std::uint32_t max_object_size() const;
  /// Where a present object's payload is.
  static std::byte* slot_of(const object_record* r);

 private:
  explicit local_cache(std::unique_ptr<storage::tier_memory> memory);
  // Marks E on candidates resident, present and with none of `must_be_clear`;
  // V too on clean ones for which `goes_home` is given and false.
  victims claim_if(const std::vector<object_record*>& candidates, std::uint64_t must_be_clear,
                   const std::function<bool(const object_record&)>& goes_home);
  // Takes `r` out of the CLOCK; its slot, at `slot`, goes into `freed` (for
  // release()).
  void drop_resident(object_record* r, std::byte* slot, std::vector<storage::slot_ref>& freed)
      REMORA_REQUIRES(mutex_);
  // The same, with r's place in the CLOCK read by the caller (while r was
  // still present here: see finish()).
  void drop_resident(object_record* r, std::uint32_t place, std::byte* slot,
                     std::vector<storage::slot_ref>& freed) REMORA_REQUIRES(mutex_);
  // Gives `freed` back to the allocator, a batch under each hold of its lock,
  // and wakes the threads waiting for room. mutex_ may be held by the
  // caller (the slots' lock comes after it).
  void release(const std::vector<storage::slot_ref>& freed) REMORA_EXCLUDES(slot_mutex_);
  storage::slot_ref slot_ref_of(const std::byte* slot, std::uint32_t size) const;
  std::byte* allocate_locked(std::uint32_t size, bool from_reserve) REMORA_REQUIRES(slot_mutex_);
  void made_room() REMORA_REQUIRES(slot_mutex_);
  // The arrivals join the CLOCK. Every holder of mutex_ calls it first, so
  // that under mutex_ the CLOCK has every resident object.
  void take_arrivals() REMORA_REQUIRES(mutex_) REMORA_EXCLUDES(arrivals_mutex_);
  void add_resident_locked(object_record* r) REMORA_REQUIRES(mutex_);
  // Whether `r` was forgotten while claimed; it is not an orphan any more.
  bool take_orphan(object_record* r) REMORA_REQUIRES(mutex_);
  // An orphan (take_orphan) leaves for good: no deref takes it back; its
  // slot goes into `freed`, its record into `dead`.
  bool let_go_orphan(object_record* r, std::vector<storage::slot_ref>& freed,
                     std::vector<object_record*>& dead) REMORA_REQUIRES(mutex_);
  bool is_resident(object_record* r) const REMORA_REQUIRES(mutex_);

  // The slab allocator's sizes (its classes, page size, capacity): fixed at
  // its construction, read without its lock.
  const storage::slab_allocator& geometry() const REMORA_NO_THREAD_SAFETY_ANALYSIS {
    return slabs_;
  }

  std::unique_ptr<storage::tier_memory> memory_;  // constant after construction

  // The CLOCK's lock, and what it guards.
  mutable transport::mutex mutex_;
  std::vector<object_record*> clock_ REMORA_GUARDED_BY(mutex_);    // see cache_index()
  std::vector<object_record*> orphans_ REMORA_GUARDED_BY(mutex_);  // forgotten mid-evacuation
  std::size_t hand_ REMORA_GUARDED_BY(mutex_) = 0;
  std::size_t hot_hand_ REMORA_GUARDED_BY(mutex_) = 0;
  std::vector<object_record*> arrived_ REMORA_GUARDED_BY(mutex_);  // empty but for take_arrivals

  // The slots' lock, and what it guards.
  brief_mutex slot_mutex_;
  std::condition_variable_any room_;
  storage::slab_allocator slabs_ REMORA_GUARDED_BY(slot_mutex_);
  const std::uint64_t reserve_;              // kept for allocations from the reserve
  std::atomic<std::uint64_t> room_made_{0};  // written under slot_mutex_ (made_room)
  std::atomic<std::uint64_t> used_{0};       // slabs_.used(), readable without the lock
  std::atomic<bool> fragmented_{false};

  // The arrivals' lock, and what it guards.
  static constexpr std::size_t arrivals_batch = 4096;
  brief_mutex arrivals_mutex_;
  std::vector<object_record*> arrivals_ REMORA_GUARDED_BY(arrivals_mutex_);  // not in clock_ yet
};

}  // namespace remora::objects

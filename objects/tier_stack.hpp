// tier_stack: the compute node's local tiers, fastest first — HBM, CXL, DRAM,
// in DESIGN.md's order of demotion (HBM → CXL → DRAM → remote) — and the
// mechanics of moving claimed objects between them. Which objects move, and
// when, is policy: the runtime's tiering rounds, scheduled by
// objects/tiering_thread.
//
// An object is resident in at most one tier; its metadata address says
// which. Host code may deref objects in host tiers (CXL, DRAM) in place; an
// object in HBM is the GPU's (see UniquePtr::deref_device).
//
// Thread-safety: as local_cache; moves lock the two tiers involved.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "objects/local_cache.hpp"

namespace remora::objects {

class tier_stack {
 public:
  /// REQUIRES: at least one host tier; tiers ordered fastest first.
  explicit tier_stack(std::vector<std::unique_ptr<local_cache>> tiers);

  std::size_t size() const { return tiers_.size(); }
  local_cache& operator[](std::size_t i) const { return *tiers_[i]; }
  /// The tier holding payload address `p`, or size() when none does.
  std::size_t index_of(const void* p) const;
  /// The tier of the given kind, or nullptr.
  local_cache* find(storage::tier_kind kind) const;

  /// The slowest host tier: where host derefs may always dip into the reserve.
  std::size_t last_host() const { return last_host_; }
  /// A slot in the fastest host tier with room, and that tier's index.
  std::pair<std::byte*, std::size_t> allocate_host(std::uint32_t size, bool from_reserve);
  /// The free slot of an object that never became resident.
  void free_slot(std::byte* slot, std::uint32_t size);
  /// allocate_host for objects of `sizes` (not from the reserve), a tier's
  /// lock taken once for all it gives: into out[0 ...] in order, up to the
  /// first that finds no room in any host tier. Returns how many it gave.
  std::size_t allocate_host_many(std::span<const std::uint32_t> sizes, std::byte** out);
  /// `r` is present now in `slot` (from allocate_host): it joins that tier.
  void add_resident(object_record* r, std::byte* slot) { (*this)[index_of(slot)].add_resident(r); }
  /// add_resident for records[i] in slots[i], each tier's lock taken once a
  /// run of records in it.
  void add_residents(std::span<object_record* const> records, std::span<std::byte* const> slots);
  /// The slowest host tier's room_made(): read before allocate_host.
  std::uint64_t room_made() const { return tiers_[last_host_]->room_made(); }
  /// Blocks until the slowest host tier made room since `seen`, or
  /// `timeout` passes.
  void wait_for_room(std::uint64_t seen, std::chrono::milliseconds timeout) {
    tiers_[last_host_]->wait_for_room(seen, timeout);
  }

  /// Whether an object of `size` could be given a slot in tier `tier` (or,
  /// for size(), in some host tier) once everything but `pinned` was
  /// evicted. False means no wait for the evacuator can help.
  bool could_fit_beside(std::span<const object_record* const> pinned, std::uint32_t size,
                        std::size_t tier) const;

  /// The last handle of `r` is gone: true when the caller may delete it now.
  bool forget(object_record* r);

  struct moved {
    std::vector<object_record*> done;  // now resident in the target tier
    std::vector<object_record*> left;  // no room there: still claimed in their tier
    std::vector<object_record*> dead;  // forgotten meanwhile: free at home, then delete
  };
  /// Moves claimed (E) victims of tier `from` into tier `to` as far as it has
  /// room (no reserve): copies their bytes, then hands them over with
  /// `flags` (besides present and their dirty bit).
  transport::result<moved> move(std::size_t from, std::size_t to,
                                const std::vector<object_record*>& victims, detail::arrival flags);

  /// As move(), into `slots` already allocated in `to`, one per victim.
  transport::result<moved> move_into(std::size_t from, std::size_t to,
                                     const std::vector<object_record*>& victims,
                                     const std::vector<std::byte*>& slots, detail::arrival flags);

  std::uint64_t used(storage::tier_kind kind) const;
  std::uint64_t host_capacity() const;
  std::uint64_t capacity(storage::tier_kind kind) const;
  /// The largest object every host tier can hold.
  std::uint32_t max_object_size() const;

 private:
  std::vector<std::unique_ptr<local_cache>> tiers_;
  std::size_t last_host_ = 0;
};

}  // namespace remora::objects

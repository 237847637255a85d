// arena: a memory node's share of the pool. UCX-allocated memory of
// `capacity` bytes, carved by the slab allocator into slots (slot.hpp) that
// clients read and write one-sided; the object table; and the RocksDB spill
// that takes cold objects once the arena passes its high watermark.
//
// With tenants the capacity is cut into one partition per tenant, in
// proportion to their quotas: each its own region with its own UCX memory
// map, so the remote key a tenant's clients hold reaches that tenant's
// memory and nothing else. A partition fills, spills and is swept (CLOCK) on
// its own: one tenant's load never pushes another's objects out.
//
// An object brought back from disk keeps its record there while its slot is
// unwritten (slot.hpp's written mark): spilled again unwritten, it costs no
// disk write. Only the bytes a client changed go to disk twice.
//
// Coldness is CLOCK over what the node sees: allocations and lookups set an
// object's reference bit; one-sided reads are invisible to it by design.
// A spill first bumps the slot's version with a compare-and-swap that fails
// while a writer holds a pin (slot.hpp), so a spill never races a write and
// readers holding the old version are refused by the version check. Freed
// and spilled slots are quarantined briefly before reuse.
//
// Every object belongs to the client that made it (its owner: one id per
// client runtime, however many connections it has): free and lookup see
// only the caller's own objects, and free_owner reclaims what a client that
// is gone left behind (its lease lapsed). A client may hand objects over to
// a publication (adopt): they then belong to it, and every client of their
// tenant may look them up, while only free_owner(publication) frees them.
//
// Batches are all or nothing: a batch with a bad item changes nothing.
//
// When the room an allocation needs is still in quarantine, the arena waits
// for it, or (when_full::report) says `busy` and when to ask again
// (room_ready_at), so that its owner can serve other requests meanwhile.
//
// Thread-safety: one owner (the memory_node actor). Remote clients touch the
// region's bytes concurrently, only through the slot protocol.
#pragma once

#include <cassert>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "storage/id_map.hpp"
#include "storage/owner_table.hpp"
#include "storage/slab_allocator.hpp"
#include "storage/slot.hpp"
#include "storage/spill_store.hpp"
#include "transport/context.hpp"
#include "transport/region.hpp"
#include "transport/result.hpp"

namespace remora::storage {

struct object_location {
  object_id id = 0;
  std::uint64_t offset = 0;  // of the slot, from the region's start
  std::uint32_t version = 0;
  std::uint32_t size = 0;
  std::uint32_t slot_bytes = 0;  // what one get of the whole slot reads
};

struct arena_stats {
  std::uint64_t capacity = 0, used = 0;
  std::uint64_t objects = 0, spilled_objects = 0, spilled_bytes = 0;
  std::uint64_t spills = 0, unspills = 0;
  // Spills that wrote nothing: the disk held the object's bytes already.
  std::uint64_t clean_spills = 0;
  // Records on disk: the spilled objects', and those of objects brought back
  // and not written since.
  std::uint64_t spill_records = 0;
  std::uint64_t spill_disk_bytes = 0;  // RocksDB's files and memtables
  // The node's own memory for its objects, beside the arena: the object
  // table and the CLOCK lists (their capacity).
  std::uint64_t table_bytes = 0;
  double high_watermark = 0, low_watermark = 0;
  // Times an allocation waited for slots to come out of quarantine (the
  // arena full, or its pages all held by other size classes).
  std::uint64_t room_waits = 0;
};

class arena {
 public:
  struct options {
    std::uint64_t capacity = 1ull << 30;
    // A freed slot that a writer still pins is not reused until the writer
    // has unpinned, or this long has passed (past any client's timeout: a
    // writer that slow has given up, or died).
    std::chrono::milliseconds pinned_free_limit{60'000};
    std::string spill_dir;         // where RocksDB keeps spilled objects
    double high_watermark = 0.90;  // of capacity: start spilling
    double low_watermark = 0.80;   // of capacity: spill down to here
    // One partition per tenant, holding at most this many bytes of payload
    // each (resident and spilled together); the capacity is shared among
    // them in proportion. Empty: one partition, without a quota (tenant 0).
    std::vector<std::uint64_t> quotas;
    // How long a freed or spilled slot waits before reuse (slab_allocator):
    // longer than a one-sided read of it takes.
    std::chrono::milliseconds reuse_delay{5};
    // Fault all of the memory in at start, on a thread of its own, as
    // registering it for RDMA would pin it: allocations then find their
    // pages there, instead of paying for each fresh page (its zeroing) on
    // the request's path. The memory is then in use from the start.
    bool populate = false;
  };

  /// What an allocation that must wait for quarantined room does.
  enum class when_full {
    wait,    // sleeps until the room is out of quarantine
    report,  // fails with errc::busy at once; room_ready_at() says when to ask again
  };
  /// How often a request may wait for room before no_space.
  static constexpr int max_room_waits = 64;

  /// Allocates and registers the regions and opens (wiping) the spill.
  /// Errors: invalid_argument for a partition below one page, no_memory, io.
  static transport::result<std::unique_ptr<arena>> open(transport::context& ctx, const options& o);

  using owner_id = std::uint64_t;
  using tenant_id = std::uint32_t;  // 0: the only one, without tenants

  /// The memory `tenant`'s objects live in: the region its clients are given
  /// the key of. REQUIRES: tenant < tenants().
  const transport::region& memory(tenant_id tenant = 0) const;
  std::size_t tenants() const { return parts_.size(); }
  std::uint32_t max_object_size() const;

  /// Objects of `owner`, a client of `tenant`. An id `owner` holds already
  /// with that size is not made again: its location is returned (a retry
  /// whose reply was lost). Errors: invalid_argument (size 0 or over
  /// max_object_size(), lengths differ, an id twice, no such tenant),
  /// already_exists (the id is another client's, or of another size),
  /// no_space (the tenant's partition is full, or the tenant would pass its
  /// quota), busy (when_full::report: nothing changed). All or nothing.
  /// A new object reads as zeroes until its first write, unless `payloads`
  /// holds them, one after another in the order of `ids`
  /// (as many bytes as `sizes` add up to; invalid_argument otherwise): then
  /// they are its first write, and a retry's are written as a client's
  /// write (marked, so that a copy on disk counts as stale).
  transport::result<std::vector<object_location>> allocate(
      std::span<const object_id> ids, std::span<const std::uint32_t> sizes, owner_id owner,
      tenant_id tenant = 0, when_full full = when_full::wait,
      std::span<const std::byte> payloads = {});
  /// The payload bytes of `ids` together (those that exist).
  std::uint64_t bytes_of(std::span<const object_id> ids) const;
  /// Payload bytes `tenant`'s objects hold now.
  std::uint64_t tenant_used(tenant_id tenant) const;
  /// Errors: unknown_object (never allocated, freed already, or not
  /// `owner`'s).
  transport::result<std::uint64_t> free(std::span<const object_id> ids, owner_id owner);
  /// Current locations; spilled objects are brought back first. A client of
  /// `tenant` may also look up the objects of that tenant's publications.
  /// Errors: unknown_object (as free), no_space, io, busy (when_full::report:
  /// the objects brought back before it stay in memory).
  transport::result<std::vector<object_location>> lookup(std::span<const object_id> ids,
                                                         owner_id owner, tenant_id tenant = 0,
                                                         when_full full = when_full::wait);
  /// Whether every one of `ids` that exists is in memory now (a lookup of
  /// them needs no room).
  bool all_resident(std::span<const object_id> ids) const;
  /// After a busy: when the room it waits for comes out of quarantine.
  std::chrono::steady_clock::time_point room_ready_at() const { return room_ready_at_; }
  /// Hands `owner`'s objects `ids` over to `publication`, an owner id that
  /// is none of the clients': from now on they are the publication's, and
  /// readable by every client of their tenant. Errors: unknown_object (an
  /// id not `owner`'s), invalid_argument (an id twice). All or nothing.
  transport::result<void> adopt(std::span<const object_id> ids, owner_id owner,
                                owner_id publication);
  /// Whether `owner` holds any object here.
  bool has_owner(owner_id owner) const { return owners_.find(owner).has_value(); }
  /// Undoes adopt: every object of `publication` is `owner`'s again; how many.
  std::uint64_t give_back(owner_id publication, owner_id owner);
  /// Frees every object of `owner`; how many.
  std::uint64_t free_owner(owner_id owner);

  /// Spills cold objects while the arena is above its high watermark, down
  /// to the low one. Called after each batch.
  void relieve_pressure();

  arena_stats stats() const;

  /// A fault, for tests: flips one payload bit of every object resident in
  /// memory (as failing DRAM would), leaving checksums as they were; how
  /// many it damaged.
  std::uint64_t damage_resident();

 private:
  // An object's record in the table: 24 bytes (32 with its id), since the
  // table is most of a node's memory beside the arena when its objects are
  // small (it was 56, in a table at most three quarters full: up to 170
  // bytes a 64-byte object). Its slot's size follows from the slot's page
  // (slab_allocator::slot_at); its owner is an index into owners_.
  struct entry {
    std::uint64_t slot_offset8 : 40 = 0;  // the slot's offset over 8 (slots are 8-byte aligned)
    std::uint64_t tenant : 16 = 0;
    std::uint64_t resident : 1 = 0;
    std::uint64_t referenced : 1 = 0;
    // Resident, with a spill record that holds its bytes as the node last
    // wrote them: a spill need not write them while no client has.
    std::uint64_t on_disk : 1 = 0;
    owner_table::index owner = 0;
    std::uint32_t version = 0;
    std::uint32_t size = 0;
    std::uint32_t clock_index = 0;  // in its partition's clock, while resident

    std::uint64_t offset() const { return std::uint64_t{slot_offset8} << 3; }
    void set_offset(std::uint64_t offset) {
      assert(offset % 8 == 0 && (offset >> 43) == 0);  // 8-byte aligned, within 8 TiB
      slot_offset8 = offset >> 3;
    }
  };
  static_assert(sizeof(entry) == 24);
  // What an entry's fields can hold: a partition's bytes and resident
  // objects, and the tenants.
  static constexpr std::uint64_t max_partition_bytes = std::uint64_t{8} << 40;
  static constexpr std::uint64_t max_resident = UINT32_MAX;
  static constexpr std::size_t max_tenants = std::size_t{1} << 16;

  // Freed slots a writer still pinned when freed: a put delayed past the
  // free must land in a slot nobody else has yet.
  struct pinned_free {
    slot_ref slot;
    std::chrono::steady_clock::time_point since;
  };
  // One tenant's memory and what lives in it.
  struct partition {
    partition(transport::region r, std::chrono::milliseconds reuse_delay)
        : region(std::move(r)),
          slabs(std::span(region.data(), region.size()), slab_allocator::default_page_size,
                reuse_delay) {}
    transport::region region;
    slab_allocator slabs;
    std::vector<object_id> clock;  // resident objects, in CLOCK order
    std::size_t hand = 0;
    std::vector<pinned_free> pinned_frees;
    std::uint64_t used = 0;  // payload bytes, resident and spilled
    std::uint64_t quota = UINT64_MAX;
    std::vector<bool> populated;  // by page: its memory faulted in already
  };

  arena(std::vector<std::unique_ptr<partition>> parts, std::unique_ptr<spill_store> spill,
        const options& o);
  // Whether `who` (the caller's index in owners_, if it holds objects)
  // owns `id`, or may read it as a client of `tenant`.
  bool owns(std::optional<owner_table::index> who, object_id id) const;
  bool may_read(std::optional<owner_table::index> who, tenant_id tenant, object_id id) const;
  partition& part(const entry& e) const { return *parts_[e.tenant]; }
  std::byte* slot_memory(const entry& e) const { return part(e).region.data() + e.offset(); }
  slot_ref slot_of(const entry& e) const { return part(e).slabs.slot_at(e.offset()); }
  // Removes `id`, whose entry is `e`, from the table and its owner's count.
  void erase(object_id id, const entry& e);
  // Frees what `id` holds (its slot, its spill record), leaving its entry
  // for the caller to erase. Its place in the clock is filled by the last
  // object's, or (`in_bulk`) left empty (id 0) for compact_clocks.
  void let_go(object_id id, entry& e, bool in_bulk = false);
  // Closes up the places let_go left empty in the clocks.
  void compact_clocks();
  object_location location_of(object_id id, const entry& e) const;
  transport::result<slot_ref> make_room(partition& p, std::uint32_t size, when_full full);
  // Faults in the memory of the page `slot` is in, the first time.
  void populate(partition& p, slot_ref slot);
  void relieve_pressure(partition& p);
  bool spill(object_id id);  // false: pinned by a writer, or the disk refused
  transport::result<void> unspill(object_id id, entry& e, when_full full);
  bool spill_victim(partition& p, std::uint32_t class_bytes);
  // Spills objects of one class: a victim for the slot wanted now, and more
  // (up to a page's worth) so that the class's next allocations find
  // slots already out of quarantine instead of each waiting out its own.
  bool spill_ahead(partition& p, std::uint32_t class_bytes);
  bool evacuate_sparsest_pages(partition& p);
  void add_resident(object_id id, entry& e);
  // Takes back the objects a failed allocation made, their slots at once.
  void undo_allocation(std::span<const object_id> made);
  void drop_resident(entry& e, bool in_bulk = false);
  // Gives the slab allocator back the freed slots no writer pins any more
  // (or that waited past pinned_free_limit).
  void release_unpinned(partition& p);

  std::vector<std::unique_ptr<partition>> parts_;  // by tenant_id
  std::unique_ptr<spill_store> spill_;
  options options_;
  id_map<entry> objects_;
  owner_table owners_;                         // of the objects in objects_
  std::unordered_set<owner_id> publications_;  // owners whose objects their tenant may read
  // Every version a slot's pin word takes comes from here, so that no two
  // occupants of a slot share one: a writer's pin names the version alone,
  // and a stale writer must never pin the object that took its slot.
  std::uint32_t next_version_ = 1;
  std::uint64_t spills_ = 0, unspills_ = 0, clean_spills_ = 0, room_waits_ = 0;
  std::uint64_t spilled_objects_ = 0, spilled_bytes_ = 0;  // not resident
  std::optional<transport::error> spill_failure_;          // why the last spill failed
  std::chrono::steady_clock::time_point room_ready_at_;    // of the last busy
  // The ids of the batch being served (an alloc's from the moment they are
  // checked): spilling them before the reply leaves would hand the client a
  // stale location.
  id_set in_batch_;
  // The ids of the free being served, checked for repeats (kept: a new set
  // draws its hash key from std::random_device, 5 % of the node's time while
  // a client freed its objects).
  id_set freeing_;
  // options::populate's thread; last, so that it stops before the memory
  // it touches goes.
  std::jthread populating_;
};

}  // namespace remora::storage

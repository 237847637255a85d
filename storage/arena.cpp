#include "storage/arena.hpp"

#include <sys/mman.h>
#include <algorithm>
#include <cassert>
#include <cstring>
#include <thread>
#include <unordered_map>

#include "storage/machine_memory.hpp"
#include "transport/byte_size.hpp"

namespace remora::storage {

using transport::errc;
using transport::error;
using transport::result;

namespace {

std::string id_text(object_id id) {
  char text[24];
  std::snprintf(text, sizeof text, "%#llx", static_cast<unsigned long long>(id));
  return text;
}

// A slot's payload (`payload`, or zeroes where it is empty) and its seal.
// Zeroes are written, never assumed from a slot that was never handed out:
// the region need not start zero (with UCX over tcp alone, under
// AddressSanitizer, such slots held malloc's fill bytes, and objects spilled
// unwritten failed their checksum when read back). Their checksum is
// computed without reading the slot again.
void fill_slot(std::byte* memory, object_id id, std::uint32_t version, std::uint32_t size,
               std::span<const std::byte> payload) {
  if (payload.empty()) {
    std::memset(memory + payload_offset, 0, size);
    write_slot(memory, id, version, size, crc32c_of_zeroes(size));
    return;
  }
  std::memcpy(memory + payload_offset, payload.data(), size);
  write_slot(memory, id, version, size,
             crc32c(std::span<const std::byte>(memory + payload_offset, size)));
}

// How many objects make_room spills for one slot: the one it needs, and
// slots for the class's next allocations to find out of quarantine (a
// page's worth, within these bounds). Most spills write nothing (the disk
// has the bytes already), so spilling ahead is cheap: 32 rather than 8 took
// the spill benchmark from 1.07-1.15 K to 1.27-1.30 K reads/s.
constexpr std::size_t min_spill_ahead = 2, max_spill_ahead = 32;
// The most pages make_room empties at once, likewise (a quarter of the
// partition's pages at most).
constexpr std::size_t max_evacuate_ahead = 8;

}  // namespace

result<std::unique_ptr<arena>> arena::open(transport::context& ctx, const options& o) {
  if (!(o.low_watermark > 0 && o.low_watermark <= o.high_watermark && o.high_watermark <= 1))
    return error{errc::invalid_argument, "watermarks must satisfy 0 < low <= high <= 1"};
  // Each partition's share of the capacity, in proportion to its quota.
  std::vector<std::uint64_t> shares;
  if (o.quotas.empty()) {
    shares.push_back(o.capacity);
  } else {
    long double total = 0;
    for (std::uint64_t q : o.quotas) total += static_cast<long double>(q);
    for (std::uint64_t q : o.quotas)
      shares.push_back(
          static_cast<std::uint64_t>(static_cast<long double>(o.capacity) * q / total));
  }
  if (shares.size() > max_tenants)
    return error{errc::invalid_argument, "a node keeps at most " + std::to_string(max_tenants) +
                                             " tenants, not " + std::to_string(shares.size())};
  for (std::uint64_t share : shares)
    if (share < slab_allocator::default_page_size)
      return error{errc::invalid_argument,
                   "arena capacity of " + std::to_string(o.capacity) + " bytes gives a partition " +
                       std::to_string(share) + " bytes, below one page (" +
                       std::to_string(slab_allocator::default_page_size) + " bytes)"};
  // Before anything is allocated: an arena the machine cannot give would
  // fill it (the kernel kills the process) and leave its file in /dev/shm.
  const auto machine = read_machine_memory();
  if (auto limit = machine.limit(); limit && o.capacity > *limit)
    return error{errc::no_memory, "a capacity of " + transport::format_byte_size(o.capacity) +
                                      " is more than this machine can give (" + machine.describe() +
                                      "): choose a smaller one"};
  for (std::uint64_t share : shares)
    if (share > max_partition_bytes)
      return error{errc::invalid_argument,
                   "arena capacity of " + transport::format_byte_size(o.capacity) +
                       " gives a partition " + transport::format_byte_size(share) +
                       ", above the most one can be (" +
                       transport::format_byte_size(max_partition_bytes) + ")"};
  std::vector<std::unique_ptr<partition>> parts;
  for (std::size_t t = 0; t < shares.size(); ++t) {
    auto region = transport::region::allocate(ctx, shares[t]);
    if (!region) return region.err();
    parts.push_back(std::make_unique<partition>(std::move(region).value(), o.reuse_delay));
    if (!o.quotas.empty()) parts.back()->quota = o.quotas[t];
  }
  auto spill = spill_store::open(o.spill_dir);
  if (!spill) return spill.err();
  return std::unique_ptr<arena>(new arena(std::move(parts), std::move(spill).value(), o));
}

arena::arena(std::vector<std::unique_ptr<partition>> parts, std::unique_ptr<spill_store> spill,
             const options& o)
    : parts_(std::move(parts)), spill_(std::move(spill)), options_(o) {
  if (!o.populate) return;
  // The regions do not move or change while the arena lives; the thread
  // reads nothing else, and a page it faults in twice costs little.
  std::vector<std::span<std::byte>> memory;
  for (const auto& p : parts_) memory.emplace_back(p->region.data(), p->region.size());
  populating_ = std::jthread([memory](std::stop_token stop) {
    constexpr std::size_t step = 2 << 20;
    for (auto m : memory)
      for (std::size_t at = 0; at < m.size(); at += step) {
        if (stop.stop_requested()) return;
        // Advice: a kernel without MADV_POPULATE_WRITE refuses it, and the
        // pages are faulted in as they are handed out, as without it.
        (void)::madvise(m.data() + at, std::min(step, m.size() - at), MADV_POPULATE_WRITE);
      }
  });
}

const transport::region& arena::memory(tenant_id tenant) const {
  return parts_.at(tenant)->region;
}

std::uint32_t arena::max_object_size() const {
  return static_cast<std::uint32_t>(parts_[0]->slabs.max_slot_bytes() - slot_bytes(0));
}

object_location arena::location_of(object_id id, const entry& e) const {
  return {id, e.offset(), e.version, e.size, static_cast<std::uint32_t>(slot_bytes(e.size))};
}

result<std::vector<object_location>> arena::allocate(std::span<const object_id> ids,
                                                     std::span<const std::uint32_t> sizes,
                                                     owner_id owner, tenant_id tenant_of,
                                                     when_full full,
                                                     std::span<const std::byte> payloads) {
  if (ids.size() != sizes.size())
    return error{errc::invalid_argument, "alloc names " + std::to_string(ids.size()) + " ids but " +
                                             std::to_string(sizes.size()) + " sizes"};
  if (!payloads.empty()) {
    std::uint64_t total = 0;
    for (std::uint32_t size : sizes) total += size;
    if (payloads.size() != total)
      return error{errc::invalid_argument,
                   "alloc with payloads carries " + std::to_string(payloads.size()) +
                       " bytes for objects of " + std::to_string(total) + " bytes together"};
  }
  // The same object asked for again by its owner (a retry whose reply was
  // lost with the connection) is where it is: allocation is idempotent.
  const auto who = owners_.find(owner);
  auto is_retry = [&](const entry& e, std::uint32_t size) {
    return who && e.owner == *who && e.tenant == tenant_of && e.size == size;
  };
  // The batch's ids go into in_batch_ as they are checked, where an id
  // named twice shows; a refusal empties it again.
  auto refuse = [&](error why) {
    in_batch_.clear();
    return why;
  };
  in_batch_.reserve(ids.size());
  std::uint64_t bytes = 0, fresh = 0;  // of the objects to make
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == 0) return refuse({errc::invalid_argument, "object id 0 is reserved"});
    if (sizes[i] == 0 || sizes[i] > max_object_size())
      return refuse({errc::invalid_argument,
                     "object " + id_text(ids[i]) + " of " + std::to_string(sizes[i]) +
                         " bytes: sizes must be 1 to " + std::to_string(max_object_size())});
    const entry* e = objects_.find(ids[i]);
    if (e != nullptr && !is_retry(*e, sizes[i]))
      return refuse({errc::already_exists, "object " + id_text(ids[i]) + " exists already"});
    if (!in_batch_.insert(ids[i]))
      return refuse({errc::invalid_argument, "object " + id_text(ids[i]) + " named twice"});
    if (e == nullptr) {
      bytes += sizes[i];
      ++fresh;
    }
  }
  if (tenant_of >= parts_.size())
    return refuse({errc::invalid_argument, "no tenant " + std::to_string(tenant_of)});
  partition& p = *parts_[tenant_of];
  if (p.quota != UINT64_MAX && p.used + bytes > p.quota)
    return refuse({errc::no_space, "this client's tenant would pass its quota of " +
                                       transport::format_byte_size(p.quota) + " (" +
                                       transport::format_byte_size(p.used) + " in use)"});
  std::vector<object_location> out;
  out.reserve(ids.size());
  std::vector<object_id> made;  // to undo: all or nothing
  // The new objects are counted to their owner at once, and those not
  // made taken off again if the batch fails.
  const owner_table::index mine = fresh > 0 ? owners_.add(owner, fresh) : 0;
  auto give_up = [&](error why) {
    undo_allocation(made);
    if (fresh > made.size()) owners_.remove(mine, fresh - made.size());
    return why;
  };
  // Room for the batch now: no entry moves while it is served.
  objects_.reserve(objects_.size() + ids.size());
  std::size_t at = 0;  // object i's payload in `payloads`
  for (std::size_t i = 0; i < ids.size(); at += sizes[i], ++i) {
    if (entry* found = objects_.find(ids[i]); found != nullptr) {  // a retry: where it is
      entry& e = *found;
      if (!e.resident)
        if (auto r = unspill(ids[i], e, full); !r) return give_up(r.err());
      e.referenced = true;
      if (!payloads.empty()) {  // written as a client writes (its owner reads it nowhere yet)
        std::byte* memory = slot_memory(e);
        const auto payload = payloads.subspan(at, e.size);
        std::memcpy(memory + payload_offset, payload.data(), e.size);
        const written_crc tail{crc32c(payload)};  // marked written: a copy on disk is stale
        std::memcpy(memory + crc_offset(e.size), &tail, sizeof tail);
      }
      out.push_back(location_of(ids[i], e));
      continue;
    }
    auto slot = make_room(p, sizes[i], full);
    if (!slot) return give_up(slot.err());
    made.push_back(ids[i]);
    entry& e = *objects_.try_emplace(ids[i]).first;
    e.owner = mine;
    e.tenant = tenant_of;
    p.used += sizes[i];
    e.set_offset(slot->offset);
    e.size = sizes[i];
    e.version = next_version_++;
    // Nothing of the slot's last object shows through.
    fill_slot(slot_memory(e), ids[i], e.version, e.size,
              payloads.empty() ? payloads : payloads.subspan(at, e.size));
    add_resident(ids[i], e);
    out.push_back(location_of(ids[i], e));
  }
  relieve_pressure(p);
  in_batch_.clear();
  return out;
}

void arena::undo_allocation(std::span<const object_id> made) {
  in_batch_.clear();
  for (object_id id : made) {
    entry& e = objects_.at(id);
    part(e).used -= e.size;
    // No reader was told of the slot: it needs no quarantine.
    part(e).slabs.give_back(slot_of(e));
    drop_resident(e);
    erase(id, e);
  }
}

void arena::erase(object_id id, const entry& e) {
  owners_.remove(e.owner);
  objects_.erase(id);
}

result<std::uint64_t> arena::free(std::span<const object_id> ids, owner_id owner) {
  freeing_.clear();
  freeing_.reserve(ids.size());
  const auto who = owners_.find(owner);
  for (object_id id : ids)
    if (!owns(who, id) || !freeing_.insert(id))
      return error{errc::unknown_object, "object " + id_text(id) +
                                             " is not allocated (never, or freed already) by "
                                             "this client"};
  for (object_id id : ids) {
    entry& e = objects_.at(id);
    let_go(id, e);
    erase(id, e);
  }
  return ids.size();
}

void arena::let_go(object_id id, entry& e, bool in_bulk) {
  partition& p = part(e);
  p.used -= e.size;
  if (!e.resident || e.on_disk)
    (void)spill_->erase(id);  // a failed erase only leaves an orphan on disk
  if (e.resident) {
    std::byte* slot = slot_memory(e);
    retire_slot(slot, next_version_++);  // writers still pinned write into a dead slot
    if (pin_word_pins(detail::pin_word_of(slot).load()) == 0)
      p.slabs.release(slot_of(e));
    else  // not reused while a writer is inside (release_unpinned)
      p.pinned_frees.push_back({slot_of(e), std::chrono::steady_clock::now()});
    drop_resident(e, in_bulk);
  } else {
    --spilled_objects_;
    spilled_bytes_ -= e.size;
  }
}

std::uint64_t arena::bytes_of(std::span<const object_id> ids) const {
  std::uint64_t bytes = 0;
  for (object_id id : ids)
    if (const entry* e = objects_.find(id); e != nullptr) bytes += e->size;
  return bytes;
}

std::uint64_t arena::tenant_used(tenant_id t) const {
  return t < parts_.size() ? parts_[t]->used : 0;
}

std::uint64_t arena::free_owner(owner_id owner) {
  publications_.erase(owner);
  const auto who = owners_.find(owner);
  if (!who) return 0;
  // One pass over the table, without looking any object up (a client gone
  // or a publication let go may hold most of the node). When they are most
  // of what is resident, the clocks are closed up once at the end: moving
  // the last object's id into each place freed would look each one up.
  const std::uint64_t n = owners_.objects(*who);
  std::uint64_t resident = 0;
  for (const auto& p : parts_) resident += p->clock.size();
  const bool in_bulk = 2 * n >= resident;
  // Retiring a slot writes its first line, a cache miss each: the slots are
  // listed first, in about the order the pass meets them, and asked for 16
  // ahead (4 M objects freed: 1.8-1.9 s without, 1.4-1.6 s with).
  std::vector<const std::byte*> slots;
  slots.reserve(n);
  objects_.for_each([&](object_id, const entry& e) {
    if (e.owner == *who && e.resident) slots.push_back(slot_memory(e));
  });
  std::size_t k = 0;
  const std::size_t freed = objects_.erase_if([&](object_id id, entry& e) {
    if (e.owner != *who) return false;
    if (e.resident && ++k + 16 < slots.size()) __builtin_prefetch(slots[k + 16], 1);
    let_go(id, e, in_bulk);
    return true;
  });
  assert(freed == n);
  if (in_bulk) compact_clocks();
  owners_.remove(*who, freed);
  return freed;
}

bool arena::owns(std::optional<owner_table::index> who, object_id id) const {
  const entry* e = objects_.find(id);
  return e != nullptr && who && e->owner == *who;
}

bool arena::may_read(std::optional<owner_table::index> who, tenant_id tenant, object_id id) const {
  const entry* e = objects_.find(id);
  if (e == nullptr) return false;
  return (who && e->owner == *who) ||
         (e->tenant == tenant && publications_.contains(owners_.owner(e->owner)));
}

result<void> arena::adopt(std::span<const object_id> ids, owner_id owner, owner_id publication) {
  if (ids.empty()) {
    publications_.insert(publication);
    return {};
  }
  // One lookup an id (tables of millions of rows are published at once);
  // a refusal puts back what was taken. The objects are counted to the
  // publication first, and taken off the owner's count at the end.
  const auto who = owners_.find(owner);
  const owner_table::index theirs = owners_.add(publication, ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    entry* e = objects_.find(ids[i]);
    if (e == nullptr || !who || e->owner != *who) {
      const bool twice = std::find(ids.begin(), ids.begin() + i, ids[i]) != ids.begin() + i;
      for (std::size_t back = 0; back < i; ++back) objects_.at(ids[back]).owner = *who;
      owners_.remove(theirs, ids.size());
      if (twice) return error{errc::invalid_argument, "object " + id_text(ids[i]) + " named twice"};
      return error{errc::unknown_object, "object " + id_text(ids[i]) +
                                             " is not allocated (never, or freed already) by "
                                             "this client"};
    }
    e->owner = theirs;
  }
  owners_.remove(*who, ids.size());
  publications_.insert(publication);
  return {};
}

std::uint64_t arena::give_back(owner_id publication, owner_id owner) {
  publications_.erase(publication);
  const auto theirs = owners_.find(publication);
  if (!theirs) return 0;
  const std::uint64_t n = owners_.objects(*theirs);
  const owner_table::index mine = owners_.add(owner, n);
  objects_.for_each([&](object_id, entry& e) {
    if (e.owner == *theirs) e.owner = mine;
  });
  owners_.remove(*theirs, n);
  return n;
}

result<std::vector<object_location>> arena::lookup(std::span<const object_id> ids, owner_id owner,
                                                   tenant_id tenant, when_full full) {
  const auto who = owners_.find(owner);
  for (object_id id : ids)
    if (!may_read(who, tenant, id))
      return error{errc::unknown_object, "object " + id_text(id) +
                                             " is not allocated (never, or freed already) by "
                                             "this client"};
  std::vector<object_location> out;
  out.reserve(ids.size());
  in_batch_.reserve(ids.size());
  for (object_id id : ids) {
    entry& e = objects_.at(id);
    if (!e.resident) {
      if (auto r = unspill(id, e, full); !r) {
        in_batch_.clear();
        return r.err();
      }
    }
    e.referenced = true;
    in_batch_.insert(id);
    out.push_back(location_of(id, e));
  }
  relieve_pressure();
  in_batch_.clear();
  return out;
}

bool arena::all_resident(std::span<const object_id> ids) const {
  return std::ranges::all_of(ids, [&](object_id id) {
    const entry* e = objects_.find(id);
    return e == nullptr || e->resident;
  });
}

void arena::relieve_pressure() {
  for (auto& p : parts_) relieve_pressure(*p);
}

void arena::relieve_pressure(partition& p) {
  const double capacity = static_cast<double>(p.slabs.capacity());
  if (p.slabs.used() <= options_.high_watermark * capacity) return;
  while (p.slabs.used() > options_.low_watermark * capacity)
    if (!spill_victim(p, 0)) break;
}

std::uint64_t arena::damage_resident() {
  std::uint64_t damaged = 0;
  objects_.for_each([&](object_id, const entry& e) {
    if (!e.resident) return;
    slot_memory(e)[payload_offset] ^= std::byte{0x01};
    ++damaged;
  });
  return damaged;
}

arena_stats arena::stats() const {
  arena_stats s;
  s.objects = objects_.size();
  s.spilled_objects = spilled_objects_;
  s.spilled_bytes = spilled_bytes_;
  s.spills = spills_;
  s.unspills = unspills_;
  s.clean_spills = clean_spills_;
  s.spill_records = spill_->objects();
  s.spill_disk_bytes = spill_->disk_bytes();
  s.high_watermark = options_.high_watermark;
  s.low_watermark = options_.low_watermark;
  s.room_waits = room_waits_;
  s.table_bytes = objects_.bytes();
  for (const auto& p : parts_) {
    s.capacity += p->slabs.capacity();
    s.used += p->slabs.used();
    s.table_bytes += p->clock.capacity() * sizeof(object_id);
  }
  return s;
}

void arena::release_unpinned(partition& p) {
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(p.pinned_frees, [&](const pinned_free& f) {
    std::byte* slot = p.region.data() + f.slot.offset;
    if (pin_word_pins(detail::pin_word_of(slot).load()) != 0 &&
        now - f.since < options_.pinned_free_limit)
      return false;
    // Reused now: clear a dead writer's pins, so the next object starts at 0.
    detail::pin_word_of(slot).store(
        pin_word(pin_word_version(detail::pin_word_of(slot).load()), 0));
    p.slabs.release(f.slot);
    return true;
  });
}

result<slot_ref> arena::make_room(partition& p, std::uint32_t size, when_full full) {
  const std::size_t bytes = slot_bytes(size);
  if (p.clock.size() >= max_resident)
    return error{errc::no_space, "no room for another object: a partition holds at most " +
                                     std::to_string(max_resident) + " objects in memory"};
  if (!p.pinned_frees.empty()) release_unpinned(p);
  for (int attempt = 0; attempt < max_room_waits; ++attempt) {
    if (auto slot = p.slabs.allocate(bytes)) {
      populate(p, *slot);
      return *slot;
    }
    // A slot already on its way out of quarantine is waited for; else
    // slots of this class are spilled, or a whole page for it.
    auto ready = p.slabs.ready_at(bytes);
    if (!ready) {
      spill_failure_.reset();
      const bool freed =
          (p.slabs.class_has_pages(bytes) && spill_ahead(p, p.slabs.class_bytes(bytes))) ||
          evacuate_sparsest_pages(p);
      if (!freed && p.clock.empty()) break;
      ready = p.slabs.ready_at(bytes);  // nullopt: pinned by writers; try again later
    }
    ++room_waits_;
    const auto at = ready.value_or(std::chrono::steady_clock::now() + p.slabs.reuse_delay());
    if (full == when_full::report) {
      room_ready_at_ = at;
      return error{errc::busy, "the room for an object of " + std::to_string(size) +
                                   " bytes is still in its reuse delay"};
    }
    std::this_thread::sleep_until(at);
  }
  if (spill_failure_)
    return error{errc::no_space, "no room for an object of " + std::to_string(size) +
                                     " bytes: spilling failed: " + spill_failure_->message};
  return error{errc::no_space, "no room for an object of " + std::to_string(size) +
                                   " bytes: the arena is full and nothing more can be spilled"};
}

void arena::populate(partition& p, slot_ref slot) {
  const std::size_t page = slot.offset / p.slabs.page_size();
  if (page >= p.populated.size()) p.populated.resize(page + 1);
  if (p.populated[page]) return;
  p.populated[page] = true;
  // One call faults in the whole page, where its first objects' writes
  // took a fault per 4 KiB. Older kernels refuse the advice: the faults
  // then come as before.
  (void)::madvise(p.region.data() + page * p.slabs.page_size(), p.slabs.page_size(),
                  MADV_POPULATE_WRITE);
}

bool arena::spill_ahead(partition& p, std::uint32_t class_bytes) {
  const std::size_t victims =
      std::clamp<std::size_t>(p.slabs.page_size() / class_bytes, min_spill_ahead, max_spill_ahead);
  std::size_t spilled = 0;
  while (spilled < victims && spill_victim(p, class_bytes)) ++spilled;
  return spilled > 0;
}

bool arena::spill_victim(partition& p, std::uint32_t class_bytes) {
  // CLOCK: referenced objects get a second chance; two sweeps find a victim
  // if there is one of the wanted class (0: any) that no writer pins.
  for (std::size_t step = 0; step < 2 * p.clock.size(); ++step) {
    if (p.hand >= p.clock.size()) p.hand = 0;
    object_id id = p.clock[p.hand];
    entry& e = objects_.at(id);
    if ((class_bytes != 0 && slot_of(e).bytes != class_bytes) || in_batch_.contains(id)) {
      ++p.hand;
      continue;
    }
    if (e.referenced) {
      e.referenced = false;
      ++p.hand;
      continue;
    }
    if (spill(id)) return true;  // drop_resident moved another id under the hand
    ++p.hand;
  }
  return false;
}

bool arena::evacuate_sparsest_pages(partition& p) {
  // The pages with the fewest resident objects, none of them in the batch
  // being served; their objects all spill and the pages return to the pool.
  // One page for the allocation waiting now, and a few more for the next
  // ones that need a page to find it out of quarantine.
  const std::uint64_t page_size = p.slabs.page_size();
  const std::size_t wanted =
      std::clamp<std::size_t>(p.slabs.capacity() / page_size / 4, 1, max_evacuate_ahead);
  // Only when size classes fragment the arena, so a walk over every
  // resident object rather than an index kept up on every allocation.
  std::unordered_map<std::uint64_t, std::pair<std::size_t, bool>> pages;  // objects, protected
  for (object_id id : p.clock) {
    auto& page = pages[objects_.at(id).offset() / page_size];
    ++page.first;
    page.second |= in_batch_.contains(id);
  }
  std::vector<std::pair<std::size_t, std::uint64_t>> sparsest;  // objects, page
  for (const auto& [page, counts] : pages)
    if (!counts.second) sparsest.emplace_back(counts.first, page);
  if (sparsest.empty()) return false;
  const auto chosen = sparsest.begin() + std::min(wanted, sparsest.size());
  std::partial_sort(sparsest.begin(), chosen, sparsest.end());
  sparsest.erase(chosen, sparsest.end());
  std::vector<object_id> victims;
  for (object_id id : p.clock) {
    const std::uint64_t page = objects_.at(id).offset() / page_size;
    if (std::ranges::any_of(sparsest, [page](const auto& s) { return s.second == page; }))
      victims.push_back(id);
  }
  bool all = true;
  for (object_id id : victims) all &= spill(id);
  return all;
}

bool arena::spill(object_id id) {
  entry& e = objects_.at(id);
  std::byte* slot = slot_memory(e);
  // Fails while a writer holds a pin: then the object is not cold after all.
  if (!try_retire_slot(slot, e.version, next_version_)) return false;
  e.version = next_version_++;
  // The payload and its trailer (which carries its checksum), as one record;
  // none when the disk holds these bytes already. Retired, the slot has no
  // writer left to set the written mark after this read of it.
  slot_trailer trailer;
  std::memcpy(&trailer, slot + trailer_offset(e.size), sizeof trailer);
  if (e.on_disk && !trailer.written) {
    ++clean_spills_;
  } else {
    auto put = spill_->put(
        id, e.version,
        std::span(slot + payload_offset, trailer_offset(e.size) + sizeof trailer - payload_offset));
    if (!put) {
      // Stays resident, under its new version; what is on disk (if anything)
      // is older than its bytes.
      write_slot(slot, id, e.version, e.size, trailer.crc);
      e.on_disk = false;
      spill_failure_ = put.err();
      return false;
    }
  }
  part(e).slabs.release(slot_of(e));
  drop_resident(e);
  ++spills_;
  ++spilled_objects_;
  spilled_bytes_ += e.size;
  return true;
}

result<void> arena::unspill(object_id id, entry& e, when_full full) {
  auto stored = spill_->get(id);
  if (!stored) return stored.err();
  // The record is the payload and the trailer it was spilled with: its
  // checksum says whether the disk gave back what it was given.
  const std::size_t record = trailer_offset(e.size) + sizeof(slot_trailer) - payload_offset;
  const auto& bytes = stored->second;
  if (bytes.size() != record ||
      !payload_intact(std::span(bytes).first(e.size),
                      std::span(bytes).subspan(record - sizeof(slot_trailer))))
    return error{errc::corrupt, "object " + std::to_string(id) +
                                    ": its spill record is corrupt (checksum or length)"};
  slot_trailer trailer;
  std::memcpy(&trailer, bytes.data() + record - sizeof trailer, sizeof trailer);
  auto slot = make_room(part(e), e.size, full);  // entries are never erased there: `e` stays valid
  if (!slot) return slot.err();
  e.set_offset(slot->offset);
  e.version = next_version_++;
  std::memcpy(slot_memory(e) + payload_offset, bytes.data(), e.size);
  write_slot(slot_memory(e), id, e.version, e.size, trailer.crc);
  add_resident(id, e);
  e.on_disk = true;  // the record stays: spilled again unwritten, nothing to write
  ++unspills_;
  --spilled_objects_;
  spilled_bytes_ -= e.size;
  return {};
}

void arena::add_resident(object_id id, entry& e) {
  e.resident = true;
  e.referenced = true;
  auto& clock = part(e).clock;
  e.clock_index = static_cast<std::uint32_t>(clock.size());
  clock.push_back(id);
}

void arena::compact_clocks() {
  for (auto& p : parts_) {
    auto& clock = p->clock;
    std::size_t kept = 0;
    for (std::size_t at = 0; at < clock.size(); ++at) {
      if (clock[at] == 0) continue;
      if (kept != at) {
        clock[kept] = clock[at];
        objects_.at(clock[kept]).clock_index = static_cast<std::uint32_t>(kept);
      }
      ++kept;
    }
    clock.resize(kept);
    if (p->hand >= kept) p->hand = 0;
  }
}

void arena::drop_resident(entry& e, bool in_bulk) {
  auto& clock = part(e).clock;
  if (in_bulk) {
    clock[e.clock_index] = 0;  // no object's id: compact_clocks closes it up
    e.resident = false;
    return;
  }
  const std::uint32_t at = e.clock_index;
  const object_id last = clock.back();
  clock[at] = last;
  objects_.at(last).clock_index = at;
  clock.pop_back();
  e.resident = false;
}

}  // namespace remora::storage

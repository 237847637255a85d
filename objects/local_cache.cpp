#include "objects/local_cache.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "storage/slot.hpp"

namespace remora::objects {

using namespace detail;

transport::result<std::unique_ptr<local_cache>> local_cache::create(
    std::unique_ptr<storage::tier_memory> memory) {
  if (memory->size() < (4u << 20))
    return transport::error{transport::errc::invalid_argument,
                            std::string("a local tier needs at least 4 MiB (the ") +
                                storage::to_string(memory->kind()) + " tier has less)"};
  return std::unique_ptr<local_cache>(new local_cache(std::move(memory)));
}

namespace {

// A walk over many records (the CLOCK's, a round's victims) reads each
// one's metadata word, fields and CLOCK index: cache misses that a step
// cannot overlap with the step before, whose locked instruction on its
// word waits for every load before it. The records `look_ahead` steps on
// start loading first. (Inline always: GCC 12 takes a function that only
// prefetches for one without effects, and drops its calls.)
constexpr std::size_t look_ahead = 16;
[[gnu::always_inline]] inline void start_loading(const object_record* r) {
  __builtin_prefetch(&r->meta(), 1);
  __builtin_prefetch(r);
  __builtin_prefetch(&r->cache_index());
}
// start_loading for the record look_ahead after `i` in `records`, if any.
[[gnu::always_inline]] inline void start_loading_after(const std::vector<object_record*>& records,
                                                       std::size_t i) {
  if (i + look_ahead < records.size()) start_loading(records[i + look_ahead]);
}

// The cache's slots. Pages small enough that a small cache still has many
// (each size class needs pages of its own), at most the allocator's
// default. Freed slots are reused at once: the epoch scheme already
// guarantees nobody reads them. Small objects get small slots, and objects
// of a power of two (an Array's chunks, embedding rows) slots of their
// size: a chunk of 16 KiB took 17,376 bytes in the geometric classes, a row
// of 256 bytes 264, and the chunks of an array filled in order now lie back
// to back, as a scan reads them.
storage::slab_allocator cache_slabs(storage::tier_memory& memory) {
  std::size_t page = storage::slab_allocator::default_page_size;
  while (page > (64u << 10) && memory.size() / page < 32) page /= 2;
  return storage::slab_allocator(std::span(memory.data(), memory.size()), page,
                                 std::chrono::nanoseconds(0), 8,
                                 storage::power_of_two_classes(64, page));
}

}  // namespace

local_cache::local_cache(std::unique_ptr<storage::tier_memory> memory)
    : memory_(std::move(memory)),
      slabs_(cache_slabs(*memory_)),
      reserve_(geometry().capacity() / 16) {}

namespace {
std::size_t slot_size(std::uint32_t size) {
  return (std::size_t{size} + 7) / 8 * 8;
}
}  // namespace

std::byte* local_cache::slot_of(const object_record* r) {
  return r->meta().load().address();
}

std::byte* local_cache::allocate(std::uint32_t size, bool from_reserve) {
  transport::lock_guard lock(slot_mutex_);
  return allocate_locked(size, from_reserve);
}

std::size_t local_cache::allocate_many(std::span<const std::uint32_t> sizes, std::byte** out) {
  transport::lock_guard lock(slot_mutex_);
  std::size_t given = 0;
  for (; given < sizes.size(); ++given)
    if ((out[given] = allocate_locked(sizes[given], false)) == nullptr) break;
  return given;
}

std::byte* local_cache::allocate_locked(std::uint32_t size, bool from_reserve) {
  const std::size_t bytes = slot_size(size);
  if (!from_reserve && slabs_.used() + slabs_.class_bytes(bytes) + reserve_ > slabs_.capacity())
    return nullptr;
  auto slot = slabs_.allocate(bytes);
  if (!slot && slabs_.used() + slabs_.page_size() + reserve_ <= slabs_.capacity())
    fragmented_.store(true, std::memory_order_relaxed);
  used_.store(slabs_.used(), std::memory_order_relaxed);
  return slot ? memory_->data() + slot->offset : nullptr;
}

void local_cache::free_slot(std::byte* slot, std::uint32_t size) {
  release({slot_ref_of(slot, size)});
}

storage::slot_ref local_cache::slot_ref_of(const std::byte* slot, std::uint32_t size) const {
  return {static_cast<std::uint64_t>(slot - memory_->data()),
          static_cast<std::uint32_t>(geometry().class_bytes(slot_size(size)))};
}

void local_cache::release(const std::vector<storage::slot_ref>& freed) {
  // A batch at a time, letting a waiting miss in between: it waits for one
  // batch at most (a few microseconds), not for a whole evacuation's slots.
  constexpr std::size_t batch = 256;
  for (std::size_t first = 0; first < freed.size(); first += batch) {
    if (first != 0) slot_mutex_.yield_to_waiters();
    transport::lock_guard lock(slot_mutex_);
    for (std::size_t i = first; i < std::min(freed.size(), first + batch); ++i)
      slabs_.give_back(freed[i]);  // no quarantine (the constructor says why)
    used_.store(slabs_.used(), std::memory_order_relaxed);
    made_room();
  }
}

void local_cache::add_resident(object_record* r) {
  add_residents({&r, 1});
}

void local_cache::add_residents(std::span<object_record* const> records) {
  bool many;
  {
    transport::lock_guard lock(arrivals_mutex_);
    arrivals_.insert(arrivals_.end(), records.begin(), records.end());
    many = arrivals_.size() >= arrivals_batch;
  }
  // A cache that no evacuation sweeps (it has room) would gather every
  // object made: they join the CLOCK here once there are many, if its lock
  // is free.
  if (many)
    if (mutex_.try_lock()) {
      transport::lock_guard lock(mutex_, std::adopt_lock);
      take_arrivals();
    }
}

void local_cache::take_arrivals() {
  {
    // The two lists trade places, each keeping its room: nothing is
    // allocated while the arrivals' lock is held.
    transport::lock_guard lock(arrivals_mutex_);
    arrivals_.swap(arrived_);
  }
  for (object_record* r : arrived_) add_resident_locked(r);
  arrived_.clear();
}

void local_cache::add_resident_locked(object_record* r) {
  r->cache_index() = static_cast<std::uint32_t>(clock_.size());
  clock_.push_back(r);
}

bool local_cache::is_resident(object_record* r) const {
  const std::uint32_t i = r->cache_index();
  return i < clock_.size() && clock_[i] == r;
}

void local_cache::drop_resident(object_record* r, std::byte* slot,
                                std::vector<storage::slot_ref>& freed) {
  drop_resident(r, r->cache_index(), slot, freed);
}

void local_cache::drop_resident(object_record* r, std::uint32_t place, std::byte* slot,
                                std::vector<storage::slot_ref>& freed) {
  object_record* last = clock_.back();
  clock_.pop_back();
  if (last != r) {
    clock_[place] = last;
    last->cache_index() = place;
  }
  freed.push_back(slot_ref_of(slot, r->size));
}

local_cache::forgotten local_cache::forget(object_record* r) {
  transport::lock_guard lock(mutex_);
  take_arrivals();
  // A move between tiers happens under both tiers' locks: under ours, the
  // address says for certain whether the object lives here.
  const meta_state m = r->meta().load();
  if (m.present() && !holds(m.address())) return forgotten::elsewhere;
  if (!is_resident(r)) return forgotten::deletable;  // absent: nothing local
  if (m.evacuating()) {
    orphans_.push_back(r);
    return forgotten::held;
  }
  std::vector<storage::slot_ref> freed;
  drop_resident(r, m.address(), freed);
  r->meta().retire();
  release(freed);
  return forgotten::deletable;
}

std::vector<object_record*> local_cache::sweep(
    std::uint64_t max_bytes, const detail::pinned_set* held,
    const std::function<bool(const object_record&)>& stuck) {
  std::vector<object_record*> out;
  std::vector<object_record*> prefetched;  // not read yet: only if nothing else is cold
  std::vector<object_record*> cooled;      // hot when the hand passed: a second look
  std::uint64_t bytes = 0;
  transport::lock_guard lock(mutex_);
  take_arrivals();
  // One turn of the hand at most. Cold objects, and objects only a scan
  // touched, become candidates; hot ones lose H and get a second chance.
  for (std::size_t step = 0; step < clock_.size() && bytes < max_bytes; ++step) {
    if (hand_ >= clock_.size()) hand_ = 0;
    start_loading(clock_[(hand_ + look_ahead) % clock_.size()]);
    object_record* r = clock_[hand_++];
    if ((held != nullptr && held->contains(r)) || (stuck && stuck(*r))) continue;
    if (r->meta().load().prefetched()) {
      prefetched.push_back(r);
      continue;
    }
    const meta_state m = r->meta().cool();
    if (m.evacuating()) continue;
    if (!m.hot() || m.scanned()) {
      out.push_back(r);
      bytes += r->size;
    } else {
      cooled.push_back(r);
    }
  }
  // Still short: those cooled on this turn and not touched since (the hand's
  // second turn, without walking the cold ones again).
  for (std::size_t i = 0; i < cooled.size() && bytes < max_bytes; ++i) {
    const meta_state m = cooled[i]->meta().load();
    if (!m.hot() && !m.evacuating()) {
      out.push_back(cooled[i]);
      bytes += cooled[i]->size;
    }
  }
  if (bytes < max_bytes / 8) {
    for (object_record* r : prefetched) {
      const meta_state m = r->meta().cool(true);
      if (!m.hot() && !m.evacuating()) out.push_back(r);
    }
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);  // before the caller's scope snapshot
  return out;
}

std::vector<object_record*> local_cache::sweep_page(const detail::pinned_set* held) {
  std::vector<object_record*> out;
  // A page holding an object a parked scope pins cannot be emptied: choosing
  // it while another could be would leave an allocation that needs a whole
  // page waiting for ever.
  std::vector<std::uint64_t> avoid;
  if (held != nullptr)
    for (const object_record* r : held->items())
      if (const std::byte* at = slot_of(r); holds(at))
        avoid.push_back(static_cast<std::uint64_t>(at - memory_->data()));
  transport::lock_guard lock(mutex_);
  take_arrivals();
  fragmented_.store(false, std::memory_order_relaxed);
  // When every page holds a pinned object, the sparsest still gives back
  // the slots of its unpinned ones (room for objects of its class).
  std::optional<std::pair<std::uint64_t, std::uint64_t>> page;
  {
    transport::lock_guard slots(slot_mutex_);
    page = slabs_.sparsest_page(avoid);
    if (!page) page = slabs_.sparsest_page();
  }
  if (!page) return out;
  std::byte* begin = memory_->data() + page->first;
  std::byte* end = memory_->data() + page->second;
  for (object_record* r : clock_) {
    std::byte* at = slot_of(r);
    if (at < begin || at >= end) continue;
    if (!r->meta().cool().evacuating()) out.push_back(r);
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);  // before the caller's scope snapshot
  return out;
}

local_cache::victims local_cache::claim_if(
    const std::vector<object_record*>& candidates, std::uint64_t must_be_clear,
    const std::function<bool(const object_record&)>& goes_home) {
  victims out;
  transport::lock_guard lock(mutex_);
  take_arrivals();
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    start_loading_after(candidates, i);
    object_record* r = candidates[i];
    if (!is_resident(r) || std::find(orphans_.begin(), orphans_.end(), r) != orphans_.end())
      continue;
    switch (r->meta().claim_victim(must_be_clear, goes_home && !goes_home(*r))) {
      case meta_word::claimed::held:
        out.held.push_back(r);
        break;
      case meta_word::claimed::revocable:
        out.revocable.push_back(r);
        break;
      case meta_word::claimed::no:
        break;
    }
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);  // before the caller's scope snapshot
  return out;
}

std::vector<object_record*> local_cache::claim(const std::vector<object_record*>& candidates) {
  return claim_if(candidates, meta_state::hot_bit, {}).held;
}

local_cache::victims local_cache::claim_victims(
    const std::vector<object_record*>& candidates,
    const std::function<bool(const object_record&)>& goes_home) {
  return claim_if(candidates, meta_state::hot_bit, goes_home);
}

std::vector<object_record*> local_cache::hot(std::size_t max) {
  std::vector<object_record*> out;
  transport::lock_guard lock(mutex_);
  take_arrivals();
  for (std::size_t step = 0; step < clock_.size() && out.size() < max; ++step) {
    if (hot_hand_ >= clock_.size()) hot_hand_ = 0;
    object_record* r = clock_[hot_hand_++];
    const meta_state m = r->meta().load();
    if (m.hot() && !m.prefetched() && !m.evacuating() && !m.scanned()) out.push_back(r);
  }
  return out;
}

std::vector<object_record*> local_cache::claim_any(const std::vector<object_record*>& candidates) {
  return claim_if(candidates, meta_state::fetching_bit, {}).held;
}

std::vector<object_record*> local_cache::move(local_cache& from, local_cache& to,
                                              const std::vector<object_record*>& victims,
                                              const std::vector<std::byte*>& slots, arrival flags) {
  std::vector<object_record*> dead;
  std::vector<storage::slot_ref> freed_from, freed_to;
  {
    transport::lock_both lock(from.mutex_, to.mutex_);
    from.take_arrivals();
    to.take_arrivals();
    for (std::size_t i = 0; i < victims.size(); ++i) {
      object_record* r = victims[i];
      from.drop_resident(r, slot_of(r), freed_from);
      if (from.take_orphan(r)) {
        r->meta().retire();
        freed_to.push_back(to.slot_ref_of(slots[i], r->size));
        dead.push_back(r);
        continue;
      }
      to.add_resident_locked(r);
      r->meta().move_to(slots[i], flags);
    }
  }
  from.release(freed_from);
  to.release(freed_to);
  return dead;
}

std::vector<object_record*> local_cache::finish(const victims& claimed, finished* counts) {
  std::vector<object_record*> dead;
  std::vector<storage::slot_ref> freed;
  std::size_t unread = 0;
  freed.reserve(claimed.held.size() + claimed.revocable.size());
  // Where its home keeps an object dropped (one never written home, all
  // zeros, has no slot there to hint at).
  const auto hint = [](const object_record* r) {
    return r->version == 0 ? 0 : meta_state::home_hint(r->node, r->offset);
  };
  {
    transport::lock_guard lock(mutex_);
    take_arrivals();
    for (std::size_t i = 0; i < claimed.held.size(); ++i) {
      start_loading_after(claimed.held, i);
      object_record* r = claimed.held[i];
      if (let_go_orphan(r, freed, dead)) continue;
      const meta_state m = r->meta().load();
      drop_resident(r, m.address(), freed);
      r->meta().drop(hint(r));
      unread += m.prefetched();
    }
    for (std::size_t i = 0; i < claimed.revocable.size(); ++i) {
      start_loading_after(claimed.revocable, i);
      object_record* r = claimed.revocable[i];
      // Taken back (now or earlier): it stays, hot, and what became of it
      // since (forgotten and retired, claimed by another mover) is not
      // this claim's to finish. A revocable word cannot be taken back once
      // its last handle is gone, and only an eviction sets V.
      const meta_state m = r->meta().load();
      if (!m.revocable()) continue;
      if (let_go_orphan(r, freed, dead)) continue;
      // The word first: once it is absent no deref uses the slot (every
      // scope that could have seen it ended before the claim). Its place
      // in the CLOCK is read before: once the word is absent a deref may
      // fetch the object again, into another tier, whose CLOCK writes the
      // record's index (under that tier's lock, not this one's).
      const std::uint32_t place = r->cache_index();
      std::byte* slot = nullptr;
      if (!r->meta().drop_claimed(hint(r), slot)) continue;
      drop_resident(r, place, slot, freed);
      unread += m.prefetched();
    }
  }
  if (counts != nullptr) *counts = {freed.size() - dead.size(), unread};
  release(freed);
  return dead;
}

std::vector<object_record*> local_cache::restore(const std::vector<object_record*>& victims) {
  std::vector<object_record*> dead;
  std::vector<storage::slot_ref> freed;
  {
    transport::lock_guard lock(mutex_);
    take_arrivals();
    for (object_record* r : victims) {
      // Forgotten while claimed: its last handle left it to the claimer
      // (forget), so it leaves now, as finish() would let it go. Restored,
      // it would stay resident and never be claimed again, its slot lost.
      if (let_go_orphan(r, freed, dead)) continue;
      r->meta().restore();
    }
  }
  // Only an orphan's slot is room made: waking the threads that wait for
  // room otherwise would only have them nudge the evacuator into the same
  // failing round again.
  release(freed);
  return dead;
}

bool local_cache::let_go_orphan(object_record* r, std::vector<storage::slot_ref>& freed,
                                std::vector<object_record*>& dead) {
  if (!take_orphan(r)) return false;
  drop_resident(r, slot_of(r), freed);
  r->meta().retire();
  dead.push_back(r);
  return true;
}

bool local_cache::take_orphan(object_record* r) {
  const auto o = std::find(orphans_.begin(), orphans_.end(), r);
  if (o == orphans_.end()) return false;
  orphans_.erase(o);
  return true;
}

void local_cache::made_room() {
  room_made_.store(room_made_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  room_.notify_all();
}

void local_cache::wait_for_room(std::uint64_t seen, std::chrono::milliseconds timeout) {
  transport::unique_lock lock(slot_mutex_);
  // Room made between the caller's failed allocation and this wait is not
  // slept through: a lost wake-up cost a whole timeout, with the cores idle
  // (two PageRank readers spent half their time so).
  room_.wait_for(lock, timeout, [&] { return room_made_.load(std::memory_order_relaxed) != seen; });
}

std::uint64_t local_cache::footprint(std::uint32_t size) const {
  const std::uint64_t slot = geometry().class_bytes(slot_size(size));
  return geometry().page_size() / (geometry().page_size() / slot);
}

std::uint32_t local_cache::max_object_size() const {
  return static_cast<std::uint32_t>(geometry().max_slot_bytes());
}

std::uint64_t local_cache::free_room() const {
  const std::uint64_t usable = geometry().capacity() - reserve_;
  const std::uint64_t used = used_.load(std::memory_order_relaxed);
  return used >= usable ? 0 : usable - used;
}

std::uint64_t local_cache::used() const {
  return used_.load(std::memory_order_relaxed);
}

}  // namespace remora::objects

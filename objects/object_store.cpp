#include "objects/object_store.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <thread>

#include "objects/epochs.hpp"
#include "objects/prefetcher.hpp"
#include "objects/raise.hpp"
#include "objects/random_id.hpp"
#include "objects/rendezvous.hpp"
#include "remora/errors.hpp"
#include "storage/slot.hpp"
#include "transport/byte_size.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

using namespace detail;
using storage::object_location;

namespace {

constexpr std::size_t free_batch = 256;
// What a miss starts loading of the remote slot its word's hint names: a
// small object's header, payload and trailer (larger ones are prefetched
// whole by the read).
constexpr std::size_t hinted_bytes = 128;

// What a prefetch works in, kept by each thread from one batch to the
// next (allocating them took a tenth of a 16-object gather's time), unless
// a batch made them large. A prefetch does not call itself, so a thread's
// one set is enough.
struct prefetch_scratch {
  static constexpr std::size_t kept = 4096;  // entries kept; a larger batch's are let go
  std::vector<object_record*> claimed;
  std::vector<std::size_t> position;  // of each claimed chunk in the batch
  std::vector<std::uint32_t> sizes;
  std::vector<std::byte*> slots;
  std::vector<std::size_t> order;  // indices into claimed, by node
  std::vector<object_location> where;
  std::vector<std::span<std::byte>> into;
  std::vector<object_record*> arrived;
  std::vector<std::byte*> arrived_slots;
};
thread_local prefetch_scratch this_thread_scratch;

}  // namespace

object_store::object_store(std::unique_ptr<tier_stack> tiers, far_store& far,
                           std::chrono::milliseconds timeout, bool prefetch_on_reader,
                           bool check_access)
    : timeout_(timeout),
      prefetch_on_reader_(prefetch_on_reader),
      check_access_(check_access),
      far_(far),
      tiers_(std::move(tiers)),
      frees_(far, free_batch) {
  rebalance_.balanced_epoch = far_.epoch();
  tiering_ = std::make_unique<tiering_thread>(tiering_thread::hooks{
      [this] { return under_pressure(); }, [this] { return evacuate_round(); },
      [this] {
        flush_frees();
        promote_round();
        rebalance_round();
      }});
}

object_store::~object_store() {
  tiering_.reset();
  flush_frees();
}

object_store::counters object_store::counts() const {
  auto load = [](const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  return {load(evictions_),       load(writebacks_),      load(writeback_failures_),
          load(bytes_in_),        load(bytes_out_),       load(demotions_),
          load(promotions_),      load(prefetch_issued_), load(prefetch_hits_),
          load(prefetch_wasted_), load(rebalanced_),      load(taken_back_)};
}

std::uint32_t object_store::place(std::uint64_t id) const {
  // The usable node (reachable, not leaving) ranked highest; the highest of
  // all when none is.
  std::uint32_t best = 0;
  std::uint64_t best_score = 0;
  bool best_usable = false;
  const std::uint32_t nodes = far_.nodes();
  for (std::uint32_t i = 0; i < nodes; ++i) {
    const std::uint64_t score = rendezvous_score(id, far_.node_id(i));
    const bool usable = far_.reachable(i) && !far_.leaving(i);
    if (i == 0 || (usable && !best_usable) || (usable == best_usable && score > best_score)) {
      best = i;
      best_score = score;
      best_usable = usable;
    }
  }
  return best;
}

std::uint32_t object_store::owner(std::uint64_t id) const {
  const std::uint32_t nodes = far_.nodes();
  std::uint32_t best = nodes;
  std::uint64_t best_score = 0;
  for (std::uint32_t i = 0; i < nodes; ++i) {
    if (far_.dead(i) || far_.leaving(i)) continue;
    const std::uint64_t score = rendezvous_score(id, far_.node_id(i));
    if (best == nodes || score > best_score) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

std::byte* object_store::allocate_slot(std::uint32_t size, std::size_t tier) {
  auto attempt = [&](bool reserve) {
    return tier == tiers_->size() ? tiers_->allocate_host(size, reserve).first
                                  : (*tiers_)[tier].allocate(size, reserve);
  };
  // Read before each attempt: a wait returns at once for room made since.
  auto room_made = [&] {
    return tier == tiers_->size() ? tiers_->room_made() : (*tiers_)[tier].room_made();
  };
  std::uint64_t seen = room_made();
  if (std::byte* slot = attempt(false)) return slot;
  tiering_->nudge();
  // A thread that pins objects may dip into the reserve to finish its scope.
  const auto& t = this_thread;
  const bool pinning =
      (t.epoch.load(std::memory_order_relaxed) & 1) && t.pins.load(std::memory_order_relaxed) != 0;
  if (pinning)
    if (std::byte* slot = attempt(true)) return slot;
  // What this thread's open scope pins stays put until the scope ends. If
  // that leaves no room for this object, no wait can help.
  bool known = false;
  const pinned_set pins = pinning ? my_pins(known) : pinned_set{};
  if (known && !pins.empty() && !tiers_->could_fit_beside(pins.items(), size, tier)) {
    std::uint64_t pinned = 0;
    for (const object_record* r : pins.items()) pinned += r->size;
    throw OutOfMemory("the local cache (" + transport::format_byte_size(tiers_->host_capacity()) +
                      ") has no room for an object of " + std::to_string(size) +
                      " bytes beside the " + transport::format_byte_size(pinned) + " in " +
                      std::to_string(pins.items().size()) +
                      " objects that this thread's open DerefScope pins. Deref less in one "
                      "scope, or raise dram_cache");
  }
  // Wait for the evacuator, parked: it skips what this scope pins rather
  // than wait for the scope to end.
  park_guard parked;
  const auto rounds_before = evacuation_rounds_.load(std::memory_order_relaxed);
  const auto given_up_before = scope_waits_given_up_.load(std::memory_order_relaxed);
  const auto evictions_before = evictions_.load(std::memory_order_relaxed);
  const auto until = std::chrono::steady_clock::now() + timeout_;
  while (std::chrono::steady_clock::now() < until) {
    tiering_->nudge();
    if (tier == tiers_->size())
      tiers_->wait_for_room(seen, std::chrono::milliseconds(5));
    else
      (*tiers_)[tier].wait_for_room(seen, std::chrono::milliseconds(5));
    seen = room_made();
    if (std::byte* slot = attempt(pinning)) return slot;
  }
  std::string held;
  if (known && !pins.empty()) {
    std::uint64_t pinned = 0;
    for (const object_record* r : pins.items()) pinned += r->size;
    held = " (this thread's own scope holds " + transport::format_byte_size(pinned) + " in " +
           std::to_string(pins.items().size()) + " objects)";
  }
  std::string why;
  {
    transport::lock_guard guard(writeback_error_mutex_);
    if (!last_writeback_error_.empty() &&
        std::chrono::steady_clock::now() - last_writeback_error_at_ < timeout_)
      why = " (a write-back failed meanwhile: " + last_writeback_error_ + ")";
  }
  // What the evacuator did meanwhile: a stall shows here, not as a guess.
  const std::string evacuator =
      "; meanwhile the evacuator ran " +
      std::to_string(evacuation_rounds_.load(std::memory_order_relaxed) - rounds_before) +
      " rounds (" +
      std::to_string(scope_waits_given_up_.load(std::memory_order_relaxed) - given_up_before) +
      " gave up waiting for other threads' open scopes) and evicted " +
      std::to_string(evictions_.load(std::memory_order_relaxed) - evictions_before) + " objects";
  throw OutOfMemory("the local cache (" + transport::format_byte_size(tiers_->host_capacity()) +
                    ") has no room for an object of " + std::to_string(size) +
                    " bytes: what it holds is pinned by open DerefScopes" + held +
                    " or could not be written home" + why + ", within the timeout" + evacuator +
                    ". Keep scopes short, or raise dram_cache");
}

void object_store::check_fits(std::uint32_t size) const {
  if (size > tiers_->max_object_size())
    throw ConfigError("an object of " + std::to_string(size) + " bytes does not fit this " +
                      transport::format_byte_size(tiers_->host_capacity()) +
                      " local cache (at most " + std::to_string(tiers_->max_object_size()) +
                      " bytes an object); raise dram_cache, or split the object");
}

object_record* object_store::create(std::uint32_t size, void (*init)(void*, void*), void* arg) {
  check_fits(size);
  std::byte* slot = allocate_slot(size, tiers_->size());
  object_record* r = records_.make();
  r->size = size;
  r->id = random_id();
  r->node = place(r->id);
  init(slot, arg);
  tiers_->add_resident(r, slot);
  r->meta().install(slot, {.hot = true, .dirty = true});
  if (under_pressure()) tiering_->nudge();
  return r;
}

object_record* object_store::create_zeroed(std::uint32_t size) {
  // Absent at version 0 (never written home): the first deref zeroes a slot
  // instead of reading one, and only a written one goes home. A fresh table
  // of millions of chunks then costs their records, not their bytes twice
  // over (zeroed here, written home by the evacuator, read back by the fill).
  check_fits(size);
  object_record* r = records_.make();
  r->size = size;
  r->id = random_id();
  r->node = place(r->id);
  r->meta().make_absent();
  return r;
}

void* object_store::deref_slow(object_record* r, bool for_write, bool scanning) {
  // A fetch reads the record (home, offset, version) and writes its CLOCK
  // index: start their cache misses now, beside the metadata word's.
  __builtin_prefetch(r);
  __builtin_prefetch(&r->cache_index(), 1);
  // The deadline of a wait, made at the first wait: a plain miss reads no
  // clock.
  std::optional<std::chrono::steady_clock::time_point> until;
  auto deadline = [&] {
    if (!until) until = std::chrono::steady_clock::now() + timeout_;
    return *until;
  };
  for (unsigned spins = 0;; ++spins) {
    meta_state m = r->meta().load();
    if (m.usable() && m.on_device()) {
      // In GPU memory: back to a host tier first.
      relocate(r, tiers_->size(), deadline());
      continue;
    }
    // The deref takes the object as it was `seen`; its first since a
    // prefetch brought it is a prefetch hit.
    const auto take = [&](meta_state seen) {
      if (seen.prefetched() && r->meta().take_prefetched())
        prefetch_hits_.fetch_add(1, std::memory_order_relaxed);
      return seen.address();
    };
    if (m.usable()) {
      const meta_state old = r->meta().touch(for_write, scanning);
      if (old.usable()) return take(old);
      continue;  // an evacuation claimed it meanwhile
    }
    if (m.fetchable()) {
      // The remote slot's first lines, where the word says its home keeps
      // them: loaded beside the record's fields, not after them.
      if (m.has_hint()) far_.prefetch(m.hint_node(), m.hint_offset(), hinted_bytes);
      if (r->meta().begin_fetch(m))
        return fetch(r, {.hot = true, .dirty = for_write, .scanned = scanning});
      continue;
    }
    // Claimed by an eviction that writes nothing home: taken back, it stays.
    if (m.revocable()) {
      if (r->meta().take_back(m, for_write, scanning)) {
        taken_back_.fetch_add(1, std::memory_order_relaxed);
        return take(m);
      }
      continue;
    }
    // Another thread fetches it, or a mover holds it (a write-back, a move
    // between tiers): wait.
    if (std::chrono::steady_clock::now() >= deadline())
      throw NodeUnavailable("object " + std::to_string(r->id) +
                            " stayed in transit (fetch or write-back) past the timeout");
    if (spins < 64) {
      std::this_thread::yield();
    } else {
      // Parked while asleep: the fetch we wait for may itself wait for room,
      // which the evacuator makes only once it need not wait for our scope.
      // Unparked before the word is looked at again, so that what this
      // thread takes next is in its pin log before it parks again.
      park_guard parked;
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }
}

void object_store::check_reachable(const object_record* r) const {
  // A node that is unreachable for a while (its connection lost, or
  // heartbeats unanswered) may come back: wait for it, bounded. (Every miss
  // asks: the clock is read only when there is a wait.)
  if (far_.reachable(r->node)) return;
  const auto until = std::chrono::steady_clock::now() + timeout_;
  while (!far_.reachable(r->node)) {
    if (far_.dead(r->node))
      throw ObjectLost("object " + std::to_string(r->id) + " lived on memory node " +
                       far_.describe(r->node) + ", which is dead (no other copy)");
    if (std::chrono::steady_clock::now() >= until)
      throw NodeUnavailable("memory node " + far_.describe(r->node) +
                            " is unreachable (its control connection is lost or it does not "
                            "answer); object " +
                            std::to_string(r->id) + " lives there");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool object_store::read_part(object_record* r, std::uint32_t from, std::span<std::byte> into) {
  meta_state m = r->meta().load();
  if (!m.fetchable() || !r->meta().begin_fetch(m)) return false;
  // Holding F, the remote fields are this thread's, and no one else fetches
  // or writes the object until it lets go.
  if (r->version == 0) {  // never written home: zeros (create_zeroed)
    r->meta().abort_fetch();
    std::memset(into.data(), 0, into.size());
    return true;
  }
  try {
    check_reachable(r);
    object_location where{r->id, r->offset, r->version, r->size,
                          static_cast<std::uint32_t>(storage::slot_bytes(r->size))};
    auto got = far_.read_part(r->node, where, from, into);
    if (!got) raise(got.err());
    r->offset = where.offset;
    r->version = where.version;
  } catch (...) {
    r->meta().abort_fetch();
    throw;
  }
  r->meta().abort_fetch();  // still absent: the bytes went to the caller only
  bytes_in_.fetch_add(into.size(), std::memory_order_relaxed);
  count(this_thread.misses);
  return true;
}

void* object_store::fetch(object_record* r, arrival flags) {
  // This thread holds F: the remote fields are its to read and write.
  // Never written home (version 0, create_zeroed): its bytes are zeros, and
  // there is nothing to read.
  const bool written = r->version != 0;
  std::byte* slot = nullptr;
  try {
    if (written) check_reachable(r);
    slot = allocate_slot(r->size, tiers_->size());
    if (written) {
      // The slot's first lines are written by the read: their misses start
      // now, beside the remote slot's.
      for (std::uint32_t at = 0; at < std::min<std::uint32_t>(r->size, 256); at += 64)
        __builtin_prefetch(slot + at, 1);
      object_location where{r->id, r->offset, r->version, r->size,
                            static_cast<std::uint32_t>(storage::slot_bytes(r->size))};
      const std::span<std::byte> into(slot, r->size);
      auto got = far_.read(r->node, {&where, 1}, {&into, 1});
      if (!got) objects::raise(got.err());
      r->offset = where.offset;
      r->version = where.version;
    } else {
      std::memset(slot, 0, r->size);
    }
  } catch (...) {
    if (slot != nullptr) tiers_->free_slot(slot, r->size);
    r->meta().abort_fetch();
    throw;
  }
  tiers_->add_resident(r, slot);
  if (written) {
    bytes_in_.fetch_add(r->size, std::memory_order_relaxed);
    count(this_thread.misses);
    count(this_thread.deref_misses);
  }
  r->meta().install(slot, flags);
  if (under_pressure()) tiering_->nudge();
  return slot;
}

void object_store::connect_this_thread() {
  if (!connected_to_answering(far_)) far_.connect();
}

void object_store::fetch_many(std::span<object_record* const> records) {
  // Asked for by the caller: when the cache is full, wait for the evacuator
  // (parked, as a deref would) rather than leave the rest to single misses.
  // Within the timeout; what still finds no room is left to the derefs.
  // The caller waits for it anyway: its thread is connected first, holding
  // nothing, so that the first batch is read, not let go.
  connect_this_thread();
  const auto until = std::chrono::steady_clock::now() + timeout_;
  for (std::size_t done = 0; done < records.size();) {
    const std::uint64_t seen = tiers_->room_made();
    done += prefetch(records.subspan(done));
    if (done == records.size() || std::chrono::steady_clock::now() >= until) break;
    park_guard parked;
    tiering_->nudge();
    tiers_->wait_for_room(seen, std::chrono::milliseconds(5));
  }
}

std::unique_ptr<prefetch_session> object_store::follow(prefetch_plan plan) {
  // The prefetcher's thread (or, on_reader, the reader's) fetches through
  // its own clients (far_store).
  return std::make_unique<prefetcher>(
      std::move(plan),
      prefetcher::hooks{[this](std::span<object_record* const> chunks, std::size_t& fetched) {
                          return prefetch(chunks, &fetched);
                        },
                        [this] { return prefetch_wasted_.load(std::memory_order_relaxed); },
                        tiers_->host_capacity(), prefetch_on_reader_, &prefetch_chunk_ns_,
                        [this] { connect_this_thread(); }});
}

void object_store::hint_slots(std::span<object_record* const> records) {
  // A group's words and records start loading together, then the remote
  // slots their hints name (one call per node of the group), ahead of the
  // claims: a claim is a locked instruction, which waits for its line alone.
  constexpr std::size_t group = 32;
  for (std::size_t first = 0; first < records.size(); first += group) {
    const auto some = records.subspan(first, std::min(group, records.size() - first));
    for (const object_record* r : some) {
      __builtin_prefetch(&r->meta(), 1);
      __builtin_prefetch(r, 1);
    }
    std::uint32_t nodes[group];
    std::uint64_t offsets[group];
    std::size_t hinted = 0;
    for (const object_record* r : some)
      if (const meta_state m = r->meta().load(); m.has_hint()) {
        nodes[hinted] = m.hint_node();
        offsets[hinted++] = m.hint_offset();
      }
    // Those of one node together (most batches name one): the first's node,
    // then the rest's, a node at a time.
    for (std::size_t done = 0; done < hinted;) {
      const std::uint32_t node = nodes[done];
      std::size_t same = done;
      for (std::size_t k = done; k < hinted; ++k)
        if (nodes[k] == node) {
          std::swap(nodes[same], nodes[k]);
          std::swap(offsets[same++], offsets[k]);
        }
      far_.prefetch(node, std::span(offsets + done, same - done), hinted_bytes);
      done = same;
    }
  }
}

std::size_t object_store::prefetch(std::span<object_record* const> chunks, std::size_t* fetched) {
  // Claims F on each absent chunk, takes slots without waiting (a full
  // cache is the evacuator's to fix, not a reason to block) and with one
  // hold of the cache's lock, then reads each node's share with one batch.
  hint_slots(chunks);
  prefetch_scratch& s = this_thread_scratch;
  s.claimed.clear();
  s.position.clear();
  s.sizes.clear();
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    object_record* r = chunks[i];
    meta_state m = r->meta().load();
    if (!m.fetchable() || !r->meta().begin_fetch(m)) continue;  // present or in transit
    // Holding F, the remote fields are this thread's to read.
    if (r->version == 0) {  // never written home: nothing to fetch
      r->meta().abort_fetch();
      continue;
    }
    s.claimed.push_back(r);
    s.position.push_back(i);
    s.sizes.push_back(r->size);
  }
  s.slots.resize(s.claimed.size());
  const std::size_t given = tiers_->allocate_host_many(s.sizes, s.slots.data());
  // What found no room waits for the evacuator, and so does what follows it.
  const bool full = given < s.claimed.size();
  for (std::size_t k = given; k < s.claimed.size(); ++k) s.claimed[k]->meta().abort_fetch();
  // The slots' first lines are written by the reads: their misses start now.
  for (std::size_t k = 0; k < given; ++k) __builtin_prefetch(s.slots[k], 1);
  std::size_t handled = full ? s.position[given] : chunks.size();

  // A node's share at a time: claimed[0, given) sorted by node (most
  // batches name one, and sort nothing).
  s.order.resize(given);
  for (std::size_t k = 0; k < given; ++k) s.order[k] = k;
  const auto node_of = [&s](std::size_t k) { return s.claimed[k]->node; };
  if (!std::ranges::is_sorted(s.order, {}, node_of)) std::ranges::stable_sort(s.order, {}, node_of);
  std::size_t issued = 0, bytes = 0;
  for (std::size_t first = 0, last = 0; first < given; first = last) {
    const std::uint32_t n = node_of(s.order[first]);
    while (last < given && node_of(s.order[last]) == n) ++last;
    const std::span<const std::size_t> batch(s.order.data() + first, last - first);
    s.where.clear();
    s.into.clear();
    for (std::size_t k : batch) {
      const object_record* r = s.claimed[k];
      s.where.push_back({r->id, r->offset, r->version, r->size,
                         static_cast<std::uint32_t>(storage::slot_bytes(r->size))});
      s.into.emplace_back(s.slots[k], r->size);
    }
    const bool connected = far_.connected(n);
    if (!connected || !far_.read(n, s.where, s.into).ok()) {
      for (std::size_t k : batch) {
        tiers_->free_slot(s.slots[k], s.claimed[k]->size);
        s.claimed[k]->meta().abort_fetch();
      }
      // This thread's first batch for the node: connected now, with no
      // chunk held, so that a node slow to answer keeps this thread
      // waiting, not the readers of what it claimed. What it let go is
      // not dealt with: the next round asks for it again.
      if (!connected && far_.reachable(n)) {
        far_.connect();
        handled = std::min(handled, s.position[batch.front()]);
      }
      continue;
    }
    s.arrived.clear();
    s.arrived_slots.clear();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      object_record* r = s.claimed[batch[i]];
      r->offset = s.where[i].offset;
      r->version = s.where[i].version;
      s.arrived.push_back(r);
      s.arrived_slots.push_back(s.slots[batch[i]]);
      bytes += r->size;
    }
    tiers_->add_residents(s.arrived, s.arrived_slots);
    for (std::size_t i = 0; i < s.arrived.size(); ++i)
      s.arrived[i]->meta().install(s.arrived_slots[i], {.hot = true, .prefetched = true});
    issued += s.arrived.size();
  }
  if (s.claimed.capacity() > prefetch_scratch::kept) s = prefetch_scratch{};
  bytes_in_.fetch_add(bytes, std::memory_order_relaxed);
  prefetch_issued_.fetch_add(issued, std::memory_order_relaxed);
  if (fetched != nullptr) *fetched = issued;
  if (full || under_pressure()) tiering_->nudge();
  // Prefetching on the readers' threads means the process has few cores,
  // and readers may keep them all busy: the evacuator just nudged then
  // waits for one (0.75 ms on average, up to 12 ms, with two readers on
  // two cores), and the readers run into the chunks this batch left out.
  // Offer it this core now. Two readers of one Array (bench/run scan) went
  // from about 30,000 misses in 131,072 chunks to under 1,300, and from
  // 0.9-1.1x one reader to 1.5-1.7x.
  if (full && prefetch_on_reader_) std::this_thread::yield();
  return handled;
}

void object_store::release(object_record* r) noexcept {
  // An absent object may be held by a mover (the rebalancer holds F while
  // it moves it between nodes): its home is the mover's until it lets go.
  for (;;) {
    if (!tiers_->forget(r)) return;  // a mover holds it; finish() or restore() hands it back
    if (r->meta().retire_absent()) break;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  queue_free(r);
  records_.destroy(r);
}

void object_store::queue_free(object_record* r) {
  // A publication's object: its nodes free it.
  if (shared_count_.load(std::memory_order_relaxed) != 0 && mark_shared(r, false)) {
    far_.forget(r->id);
    return;
  }
  if (r->version == 0) return;  // never reached its home
  frees_.queue(r->node, r->id);
}

void object_store::flush_frees() {
  frees_.flush();
}

}  // namespace remora::objects

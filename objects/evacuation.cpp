// The tiering rounds: what objects/tiering_thread runs on its thread. Each
// round, slowest tier first (so that a tier makes room before
// the one above demotes into it):
//   - a tier under pressure evacuates its cold objects (CLOCK): one tier
//     down when there is a tier below (HBM → CXL → DRAM), to their home
//     memory nodes from the last tier, writing dirty ones back;
//   - a host tier whose faster neighbour has room promotes its hot objects
//     (H set since the last sweep) into it (promote_round, with the
//     housekeeping every few ticks).
// Moves within a round are batched: one sweep, one wait for the open scopes,
// one copy batch per pair of tiers.
#include <algorithm>
#include <functional>
#include <unordered_map>

#include "objects/epochs.hpp"
#include "objects/node_ranking.hpp"
#include "objects/object_store.hpp"
#include "objects/raise.hpp"
#include "remora/errors.hpp"
#include "storage/slot.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

using namespace detail;
using storage::object_location;

namespace {

// A tier is under pressure below `low_free` of its capacity free; an
// evacuation round then sweeps enough bytes (not objects: tables of small
// objects drain as fast as tables of large ones) to bring it back to
// `refill_free` (at least a 16th of the tier, within [sweep_min,
// sweep_max]). A faster tier takes promotions while it has more than
// `promote_free` free: fetches fill the fastest tier with room, so that is
// the band evacuations leave it in.
constexpr double low_free = 0.10;
constexpr double promote_free = 0.15;
constexpr double refill_free = 0.20;
constexpr std::uint64_t sweep_min = 256 << 10;
constexpr std::uint64_t sweep_max = 64 << 20;
constexpr std::size_t promote_batch = 256;
// How long a round waits for the open scopes before giving a promotion up.
constexpr auto promote_wait = std::chrono::milliseconds(20);

std::uint64_t sweep_bytes(const objects::local_cache& t) {
  const auto target = static_cast<std::uint64_t>(refill_free * static_cast<double>(t.capacity()));
  const std::uint64_t free = t.free_room();
  const std::uint64_t least = std::clamp(t.capacity() / 16, sweep_min, sweep_max);
  return std::clamp(target > free ? target - free : 0, least, sweep_max);
}

}  // namespace

bool object_store::under_pressure(std::size_t tier) const {
  const auto& t = (*tiers_)[tier];
  return t.fragmented() || t.free_room() < low_free * static_cast<double>(t.capacity());
}

bool object_store::under_pressure() const {
  for (std::size_t i = 0; i < tiers_->size(); ++i)
    if (under_pressure(i)) return true;
  return false;
}

std::size_t object_store::evacuate_round() {
  std::size_t moved = 0;
  for (std::size_t i = tiers_->size(); i-- > 0;)
    if (under_pressure(i)) moved += evacuate(i);
  return moved;
}

std::size_t object_store::promote_round() {
  std::size_t moved = 0;
  for (std::size_t i = tiers_->size(); i-- > 1;) moved += promote(i);
  return moved;
}

void object_store::bury(const std::vector<object_record*>& dead) {
  for (object_record* r : dead) {
    queue_free(r);
    records_.destroy(r);
  }
}

std::size_t object_store::evacuate(std::size_t tier) {
  auto& t = (*tiers_)[tier];
  // From the last tier, new objects whose home refused new objects a moment
  // ago cannot go: the sweep passes them over. A cache full of a tenant's
  // objects past its quota then still gives up the clean ones beside them,
  // where each round used to pick the stuck ones, free next to nothing, and
  // leave the readers waiting for room. (A clean one never written home is
  // zeros: it goes without a write.)
  std::function<bool(const object_record&)> stuck;
  if (tier + 1 == tiers_->size())
    if (auto full = out_of_room(); !full.empty())
      stuck = [full = std::move(full)](const object_record& r) {
        return r.version == 0 && std::ranges::binary_search(full, r.node) &&
               r.meta().load().dirty();
      };
  const bool by_page = t.fragmented();
  auto sweep = [&](const pinned_set* passed_over) {
    return by_page ? t.sweep_page(passed_over) : t.sweep(sweep_bytes(t), passed_over, stuck);
  };
  auto candidates = sweep(&last_pinned_);
  if (candidates.empty() && !last_pinned_.empty()) {
    // All the sweep saw was pinned at the last round that had candidates,
    // and only such a round renews that set: passed over again, those
    // objects would stay for good once their scope ended (a cache full of
    // what one scope pinned, and a miss after it waiting out its timeout).
    // Look again at everything: this round's wait says what is still pinned.
    last_pinned_ = {};
    candidates = sweep(nullptr);
  }
  evacuation_rounds_.fetch_add(1, std::memory_order_relaxed);
  if (candidates.empty()) return 0;
  // Candidates were cold when swept; once every scope open now has ended, a
  // candidate still cold is referenced by no live pointer.
  pinned_set pinned;
  if (!wait_for_scopes(std::chrono::milliseconds(200), &pinned)) {
    scope_waits_given_up_.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  last_pinned_ = pinned;  // the next sweep passes these over
  if (!pinned.empty())
    std::erase_if(candidates, [&](object_record* r) { return pinned.contains(r); });
  if (tier + 1 < tiers_->size()) {
    // Demotion: one tier down. What finds no room there stays for a later
    // round (the tier below evacuates first). Unread prefetches among the
    // victims count as wasted here.
    auto victims = t.claim(candidates);
    prefetch_wasted_.fetch_add(
        std::ranges::count_if(victims,
                              [](object_record* r) { return r->meta().load().prefetched(); }),
        std::memory_order_relaxed);
    auto done = tiers_->move(tier, tier + 1, victims, {});
    if (!done) {
      bury(t.restore(victims));
      return 0;
    }
    bury(t.restore(done->left));
    bury(done->dead);
    demotions_.fetch_add(done->done.size(), std::memory_order_relaxed);
    return done->done.size();
  }
  // Dirty objects go home; so do clean ones whose home is down or leaving:
  // the cache holds their only reachable copy (or the one that may stay),
  // and write_back gives them a new home. A clean one never written home
  // (version 0) is zeros with no copy to lose: dropped, it is zeros again.
  // Shared objects (a publication's) are never dirty and never move. The
  // others are claimed revocably: nothing of theirs is in flight, so a
  // deref that meets one takes it back rather than wait for the round.
  auto [held, revocable] = t.claim_victims(candidates, [&](const object_record& r) {
    return r.version != 0 && (!far_.reachable(r.node) || far_.leaving(r.node)) && !shared(&r);
  });
  std::vector<object_record*> failed = write_back(held);
  if (!failed.empty()) {
    writeback_failures_.fetch_add(failed.size(), std::memory_order_relaxed);
    bury(t.restore(failed));
    // (Sorted: a cache full of objects that cannot go home fails thousands
    // a round, and a linear search of the list for each victim made the
    // round quadratic.)
    std::sort(failed.begin(), failed.end());
    std::erase_if(held, [&](object_record* r) {
      return std::binary_search(failed.begin(), failed.end(), r);
    });
  }
  writebacks_.fetch_add(held.size(), std::memory_order_relaxed);
  local_cache::finished out;
  bury(t.finish({std::move(held), std::move(revocable)}, &out));
  evictions_.fetch_add(out.dropped, std::memory_order_relaxed);
  // Those a deref took back were read after all: only the dropped count.
  prefetch_wasted_.fetch_add(out.unread_prefetches, std::memory_order_relaxed);
  return out.dropped;
}

std::size_t object_store::promote(std::size_t tier) {
  // Host tiers only: the HBM tier is filled by deref_device, not by heat seen
  // on the host.
  auto& t = (*tiers_)[tier];
  if (!t.memory().host_accessible() || !(*tiers_)[tier - 1].memory().host_accessible()) return 0;
  const auto& up = (*tiers_)[tier - 1];
  if (up.free_room() < promote_free * static_cast<double>(up.capacity())) return 0;
  // Hot objects may be in use right now: claim first (new derefs wait), then
  // wait out the scopes that may hold them.
  auto claimed = t.claim_any(t.hot(promote_batch));
  if (claimed.empty()) return 0;
  pinned_set pinned;
  if (!wait_for_scopes(promote_wait, &pinned)) {
    bury(t.restore(claimed));
    return 0;
  }
  // What parked threads pin stays where it is.
  const auto held = std::partition(claimed.begin(), claimed.end(),
                                   [&](object_record* r) { return !pinned.contains(r); });
  if (held != claimed.end()) {
    bury(t.restore(std::vector<object_record*>(held, claimed.end())));
    claimed.erase(held, claimed.end());
  }
  auto done = tiers_->move(tier, tier - 1, claimed, {.hot = true});
  if (!done) {
    bury(t.restore(claimed));
    return 0;
  }
  bury(t.restore(done->left));
  bury(done->dead);
  promotions_.fetch_add(done->done.size(), std::memory_order_relaxed);
  return done->done.size();
}

void object_store::note_writeback_error(const transport::error& e) {
  transport::lock_guard held(writeback_error_mutex_);
  last_writeback_error_ = e.message;
  last_writeback_error_at_ = std::chrono::steady_clock::now();
}

std::vector<object_record*> object_store::write_back(std::vector<object_record*>& dirty,
                                                     payload from) {
  // Returns the objects that could not be written back; they stay in the
  // cache (absent, for payload::zeros). An object whose home is down or
  // leaving moves to the best reachable node (as a new object there): its
  // bytes here are the copy that counts. So does one whose placement
  // changed (a node joined): it is written anyway. The evacuation holds E
  // on each object (a seal of zeros F), so its remote fields are ours.
  std::vector<object_record*> failed;
  for (object_record* r : dirty) {
    const bool home_usable = far_.reachable(r->node) && !far_.leaving(r->node);
    const std::uint32_t to = home_usable ? owner(r->id) : place(r->id);
    // (Reachability may change between the looks: never "move" an object
    // to the home it has, which would free its only copy.)
    if (to < far_.nodes() && to != r->node && far_.reachable(to) && !far_.leaving(to)) {
      queue_free(r);  // the copy on the old home (once that is back)
      r->node = to;
      r->version = 0;
      r->offset = 0;
    }
  }
  // Each node's objects in one batch: new ones (version 0) placed with
  // their bytes, the others written. A node that just refused new objects
  // for want of room is not asked again for a moment: a cache full of
  // objects over their tenant's quota asked for each round, a message each
  // time, and reads beside them waited for those rounds.
  using clock = std::chrono::steady_clock;
  constexpr auto full_backoff = std::chrono::milliseconds(100);
  const std::vector<std::uint32_t> full = out_of_room();
  by_node<std::vector<object_record*>> fresh, placed;
  for (object_record* r : dirty) {
    if (!far_.reachable(r->node)) {
      note_writeback_error({transport::errc::peer_unreachable,
                            "memory node " + far_.describe(r->node) + ", home of object " +
                                std::to_string(r->id) + ", is unreachable"});
      failed.push_back(r);
      continue;
    }
    if (r->version == 0 && std::ranges::binary_search(full, r->node)) {
      failed.push_back(r);
      continue;
    }
    (r->version == 0 ? fresh : placed)[r->node].push_back(r);
  }
  std::vector<std::byte> zeros;
  if (from == payload::zeros)
    for (const object_record* r : dirty) zeros.resize(std::max<std::size_t>(zeros.size(), r->size));
  auto write = [&](std::uint32_t n, const std::vector<object_record*>& batch, bool new_ones) {
    std::vector<object_location> where;
    std::vector<std::span<const std::byte>> data;
    where.reserve(batch.size());
    data.reserve(batch.size());
    for (const object_record* r : batch) {
      where.push_back({r->id, r->offset, r->version, r->size,
                       static_cast<std::uint32_t>(storage::slot_bytes(r->size))});
      data.emplace_back(from == payload::zeros ? zeros.data() : local_cache::slot_of(r), r->size);
    }
    std::vector<transport::result<void>> outcome(batch.size());
    bool no_room = false;
    if (new_ones)
      far_.place(n, where, data, outcome);
    else
      far_.write_many(n, where, data, outcome);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      object_record* r = batch[i];
      // A new object given a slot but not written keeps the slot: a later
      // round writes it there.
      if (outcome[i] || where[i].version != 0) {
        r->offset = where[i].offset;
        r->version = where[i].version;
      }
      if (!outcome[i]) {
        note_writeback_error(outcome[i].err());
        no_room = no_room || (new_ones && outcome[i].err().code == transport::errc::no_space);
        failed.push_back(r);
        continue;
      }
      bytes_out_.fetch_add(r->size, std::memory_order_relaxed);
    }
    if (no_room) {
      transport::lock_guard held(writeback_error_mutex_);
      full_until_[n] = clock::now() + full_backoff;
    }
  };
  for (std::uint32_t n = 0; n < fresh.size(); ++n)
    if (!fresh[n].empty()) write(n, fresh[n], true);
  for (std::uint32_t n = 0; n < placed.size(); ++n)
    if (!placed[n].empty()) write(n, placed[n], false);
  return failed;
}

std::vector<std::uint32_t> object_store::out_of_room() {
  std::vector<std::uint32_t> full;
  transport::lock_guard held(writeback_error_mutex_);
  std::erase_if(full_until_, [now = std::chrono::steady_clock::now()](const auto& n) {
    return n.second <= now;
  });
  for (const auto& n : full_until_) full.push_back(n.first);
  std::ranges::sort(full);
  return full;
}

}  // namespace remora::objects

// Rebalancing: when the far store's nodes change (one joined, one is being
// drained, one died), each object should live where placement puts it now
// (object_store::owner: rendezvous over the nodes neither dead nor leaving),
// and only the objects whose owner changed move. A pass walks every record,
// a step per housekeeping round of the tiering thread:
//   - an absent object whose owner changed is claimed (F, as a fetch would:
//     derefs wait for the move), read from its home, written to its owner,
//     and freed at its old home; batched per pair of nodes;
//   - a present object on a leaving node is evicted, as the evacuator
//     would, and write_back gives it its new home (present objects whose
//     owner changed otherwise move when they are next written back).
// Objects that cannot move yet (their home or owner unreachable, the
// object pinned) leave the pass unfinished: another follows a second later.
#include <algorithm>
#include <map>

#include "objects/object_store.hpp"
#include "storage/slot.hpp"

namespace remora::objects {

using namespace detail;
using storage::object_location;

namespace {

constexpr std::size_t walk_batch = 16384;  // records looked at per step
constexpr std::size_t move_batch = 256;    // objects moved per step
constexpr auto retry_pause = std::chrono::seconds(1);

object_location location_of(const object_record* r) {
  return {r->id, r->offset, r->version, r->size,
          static_cast<std::uint32_t>(storage::slot_bytes(r->size))};
}

}  // namespace

std::size_t object_store::rebalance_round() {
  auto& st = rebalance_;
  if (!st.running) {
    const std::uint64_t epoch = far_.epoch();
    if (epoch == st.balanced_epoch || far_.nodes() < 2) return 0;
    if (std::chrono::steady_clock::now() < st.not_before) return 0;
    st = {st.balanced_epoch, epoch, true, false, 0, {}};
  }
  std::vector<object_record*> absent, present;
  const std::size_t bottom = tiers_->size() - 1;  // the tier that writes home
  const bool done = records_.walk(st.cursor, walk_batch, [&](object_record* r) {
    if (absent.size() >= move_batch || present.size() >= move_batch) return false;
    meta_state m = r->meta().load();
    if (m.retired() || shared(r)) return true;  // a publication's stays where readers look
    if (m.present()) {
      // Hints only (the fields are the E holder's): evict_leaving looks
      // again once it has claimed the object.
      if (!m.evacuating() && (*tiers_)[bottom].holds(m.address()) && r->node < far_.nodes() &&
          far_.leaving(r->node))
        present.push_back(r);
      return true;
    }
    if (!m.absent() || !r->meta().begin_fetch(m)) return true;  // retired, or in transit
    // Holding F, the remote fields are ours.
    const std::uint32_t to = owner(r->id);
    if (r->version == 0 || to == far_.nodes() || to == r->node) {
      r->meta().abort_fetch();
      return true;
    }
    if (!far_.reachable(r->node) || !far_.reachable(to)) {
      r->meta().abort_fetch();
      // A later pass moves it; nothing moves off a dead node (the object
      // is lost there).
      if (!far_.dead(r->node)) st.left_behind = true;
      return true;
    }
    absent.push_back(r);
    return true;
  });
  std::size_t moved = move_absent(absent);
  if (!present.empty()) moved += evict_leaving(present);
  rebalanced_.fetch_add(moved, std::memory_order_relaxed);
  if (done) {
    st.running = false;
    if (st.left_behind)
      st.not_before = std::chrono::steady_clock::now() + retry_pause;  // balanced_epoch stays
    else
      st.balanced_epoch = st.pass_epoch;
  }
  return moved;
}

std::size_t object_store::move_absent(std::vector<object_record*>& claimed) {
  // Each object's bytes from its home, in one batch per pair of nodes.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<object_record*>> routes;
  for (object_record* r : claimed) routes[{r->node, owner(r->id)}].push_back(r);
  std::size_t moved = 0;
  for (auto& [route, batch] : routes) {
    const auto [from, to] = route;
    std::vector<object_location> where;
    std::vector<std::vector<std::byte>> bytes(batch.size());
    std::vector<std::span<std::byte>> into;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      where.push_back(location_of(batch[i]));
      bytes[i].resize(batch[i]->size);
      into.emplace_back(bytes[i]);
    }
    std::vector<object_location> fresh;
    for (object_record* r : batch) fresh.push_back({.id = r->id, .size = r->size});
    bool ok =
        to < far_.nodes() && far_.read(from, where, into).ok() && far_.allocate(to, fresh).ok();
    std::size_t written = 0;
    while (ok && written < batch.size()) {
      ok = far_.write(to, fresh[written], bytes[written]).ok();
      if (ok) ++written;
    }
    if (!ok) rebalance_.left_behind = true;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      object_record* r = batch[i];
      if (i < written) {
        frees_.queue(from, r->id);  // the old copy
        r->node = to;
        r->offset = fresh[i].offset;
        r->version = fresh[i].version;
        ++moved;
      } else if (i < fresh.size() && fresh[i].version != 0) {
        frees_.queue(to, r->id);  // allocated there, never written: the old copy stays
      } else {
        r->offset = where[i].offset;  // the read may have found it moved on its node
        r->version = where[i].version;
      }
      r->meta().abort_fetch();  // absent again, now at its new home
    }
  }
  return moved;
}

std::size_t object_store::evict_leaving(std::vector<object_record*>& candidates) {
  // As an eviction (evacuation.cpp) of the bottom tier: claim, wait out the
  // open scopes, write home — write_back moves what lives on a leaving node
  // — and drop the local copy. What open scopes pin waits for a later pass.
  auto& t = (*tiers_)[tiers_->size() - 1];
  auto claimed = t.claim_any(candidates);
  if (claimed.size() < candidates.size()) rebalance_.left_behind = true;  // in transit now
  if (claimed.empty()) return 0;
  pinned_set pinned;
  if (!wait_for_scopes(std::chrono::milliseconds(200), &pinned)) {
    bury(t.restore(claimed));
    rebalance_.left_behind = true;
    return 0;
  }
  const auto held = std::partition(claimed.begin(), claimed.end(),
                                   [&](object_record* r) { return !pinned.contains(r); });
  // Now that E is ours, the remote fields are too: keep those still on a
  // leaving node.
  const auto gone = std::partition(claimed.begin(), held, [&](object_record* r) {
    return r->version != 0 && far_.leaving(r->node);
  });
  if (gone != claimed.end()) {
    rebalance_.left_behind |= held != claimed.end();
    bury(t.restore(std::vector<object_record*>(gone, claimed.end())));
    claimed.erase(gone, claimed.end());
  }
  std::vector<object_record*> failed = write_back(claimed);
  if (!failed.empty()) {
    rebalance_.left_behind = true;
    bury(t.restore(failed));
    std::erase_if(claimed, [&](object_record* r) {
      return std::find(failed.begin(), failed.end(), r) != failed.end();
    });
  }
  bury(t.finish({.held = claimed, .revocable = {}}));
  evictions_.fetch_add(claimed.size(), std::memory_order_relaxed);
  writebacks_.fetch_add(claimed.size(), std::memory_order_relaxed);
  return claimed.size();
}

}  // namespace remora::objects

#include "objects/publication_mender.hpp"

#include <algorithm>
#include <optional>

#include "objects/node_ranking.hpp"
#include "objects/rendezvous.hpp"
#include "storage/slot.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

using storage::object_id;
using storage::object_location;
using transport::errc;

namespace {

struct copy_at {
  std::uint32_t home = 0;
  std::uint64_t offset = 0;
  std::uint32_t version = 0;
};

// Chunks copied at once: bounded, as their bytes are held meanwhile.
constexpr std::size_t mend_group_bytes = 32 << 20;

std::vector<std::vector<copy_at>> copies_of(const published_array& d) {
  std::vector<std::vector<copy_at>> out(d.chunks.size());
  for (std::size_t i = 0; i < d.chunks.size(); ++i)
    out[i].push_back({d.chunks[i].home, d.chunks[i].where.offset, d.chunks[i].where.version});
  for (const auto& e : d.extra) out[e.chunk].push_back({e.home, e.offset, e.version});
  return out;
}

// `d` with each chunk's copies `copies` (the first one its home).
void describe(published_array& d, const std::vector<std::vector<copy_at>>& copies) {
  d.extra.clear();
  for (std::size_t i = 0; i < d.chunks.size(); ++i) {
    d.chunks[i].home = copies[i].front().home;
    d.chunks[i].where.offset = copies[i].front().offset;
    d.chunks[i].where.version = copies[i].front().version;
    for (std::size_t c = 1; c < copies[i].size(); ++c)
      d.extra.push_back({i, copies[i][c].home, copies[i][c].offset, copies[i][c].version});
  }
}

object_location location_of(const published_array::chunk& c, const copy_at& at) {
  object_location loc = c.where;
  loc.offset = at.offset;
  loc.version = at.version;
  loc.slot_bytes = static_cast<std::uint32_t>(storage::slot_bytes(c.where.size));
  return loc;
}

}  // namespace

publication_mender::publication_mender(far_store& homes, repair_options o) : homes_(homes) {
  thread_ = std::make_unique<repair_thread>(o, [this](const repair_options&) { (void)mend_now(); });
}

publication_mender::~publication_mender() {
  thread_.reset();
}

void publication_mender::add(std::uint64_t id, published_array d,
                             std::vector<std::uint32_t> keepers) {
  std::vector<std::uint32_t> wanted(d.chunks.size(), 1);
  for (const auto& e : d.extra) ++wanted[e.chunk];
  transport::lock_guard held(mutex_);
  kept_[id] = {std::move(d), std::move(keepers), std::move(wanted), false, false};
}

void publication_mender::drop(std::uint64_t id) {
  transport::lock_guard held(mutex_);
  kept_.erase(id);
}

std::size_t publication_mender::mend_now() {
  std::vector<std::uint64_t> ids;
  {
    transport::lock_guard held(mutex_);
    for (const auto& [id, k] : kept_) ids.push_back(id);
  }
  std::size_t made = 0;
  for (std::uint64_t id : ids) {
    std::optional<kept> copy;
    {
      transport::lock_guard held(mutex_);
      auto it = kept_.find(id);
      if (it == kept_.end()) continue;
      const kept& k = it->second;
      const bool lost_node = std::any_of(k.keepers.begin(), k.keepers.end(),
                                         [&](std::uint32_t n) { return homes_.dead(n); });
      if (!lost_node && !k.short_copies) continue;  // the common case: nothing to do
      copy = k;
    }
    mend(id, *copy, made);
    transport::lock_guard held(mutex_);
    if (auto it = kept_.find(id); it != kept_.end()) it->second = std::move(*copy);
  }
  return made;
}

void publication_mender::mend(std::uint64_t id, kept& k, std::size_t& made) {
  published_array& d = k.d;
  std::erase_if(k.keepers, [&](std::uint32_t n) { return homes_.dead(n); });
  auto copies = copies_of(d);
  // What each chunk lacks, and where its new copies go: the keepers that
  // hold none of it, ranked for it.
  struct plan {
    std::size_t chunk;
    std::uint32_t target;
    std::vector<copy_at> sources;
    std::vector<std::byte> bytes;
    object_location at;
  };
  std::vector<plan> plans;
  // short_copies: worth another pass (a node that may answer again, a
  // failure); changed: the copies are not what the nodes were told.
  bool short_copies = false, gone = false, changed = k.untold;
  for (std::size_t i = 0; i < copies.size(); ++i) {
    std::vector<copy_at> live;
    for (const copy_at& c : copies[i])
      if (!homes_.dead(c.home)) live.push_back(c);
    if (live.empty()) continue;  // lost with its nodes: nothing to copy from
    changed |= live.size() != copies[i].size();
    copies[i] = live;
    if (live.size() >= k.wanted[i]) continue;
    std::vector<std::uint32_t> ranked;
    for (std::uint32_t n : k.keepers) {
      if (std::any_of(live.begin(), live.end(), [&](const copy_at& c) { return c.home == n; }))
        continue;
      if (homes_.reachable(n))
        ranked.push_back(n);
      else
        short_copies = true;  // it may answer again: another pass then
    }
    const object_id chunk_id = d.chunks[i].where.id;
    std::sort(ranked.begin(), ranked.end(), [&](std::uint32_t a, std::uint32_t b) {
      return rendezvous_score(chunk_id, d.node_ids[a]) > rendezvous_score(chunk_id, d.node_ids[b]);
    });
    // Fewer nodes left than copies wanted: as many as there are, for good.
    const std::size_t lacking = k.wanted[i] - live.size();
    for (std::size_t t = 0; t < std::min(lacking, ranked.size()); ++t)
      plans.push_back({i, ranked[t], live, {}, {}});
  }
  // Copied a group at a time: read from a copy left, allocated and
  // written on the target. A chunk that fails is tried again next pass.
  by_node<std::vector<object_id>> handed;  // new copies, by target
  for (std::size_t first = 0; first < plans.size();) {
    std::size_t last = first, bytes = 0;
    while (last < plans.size() && (last == first || bytes < mend_group_bytes))
      bytes += d.chunks[plans[last++].chunk].where.size;
    std::vector<plan*> group;
    for (std::size_t p = first; p < last; ++p) group.push_back(&plans[p]);
    first = last;
    std::vector<plan*> read;
    for (plan* p : group) {
      const auto& c = d.chunks[p->chunk];
      p->bytes.resize(c.where.size);
      std::span<std::byte> into(p->bytes);
      for (const copy_at& s : p->sources) {
        object_location loc = location_of(c, s);
        if (homes_.reachable(s.home) && homes_.read(s.home, {&loc, 1}, {&into, 1})) {
          read.push_back(p);
          break;
        }
      }
    }
    by_node<std::vector<plan*>> on;
    for (plan* p : read) on[p->target].push_back(p);
    for (std::uint32_t n = 0; n < on.size(); ++n) {
      if (on[n].empty()) continue;
      std::vector<object_location> locs;
      for (plan* p : on[n])
        locs.push_back({.id = d.chunks[p->chunk].where.id, .size = d.chunks[p->chunk].where.size});
      if (!homes_.allocate(n, locs)) {
        short_copies = true;
        continue;
      }
      for (std::size_t x = 0; x < on[n].size(); ++x) {
        plan* p = on[n][x];
        if (!homes_.write(n, locs[x], p->bytes)) {
          const object_id gone = locs[x].id;
          (void)homes_.free(n, {&gone, 1});
          short_copies = true;
          continue;
        }
        copies[p->chunk].push_back({n, locs[x].offset, locs[x].version});
        handed[n].push_back(locs[x].id);
        changed = true;
      }
    }
    short_copies |= read.size() != group.size();
  }
  // The new copies to the publication on their nodes, then the
  // description as it ends up to every node that keeps the name.
  for (std::uint32_t n = 0; n < handed.size(); ++n) {
    if (handed[n].empty()) continue;
    describe(d, copies);
    auto r = homes_.mend(n, id, d.encode(), handed[n]);
    if (r) {
      made += handed[n].size();
      repairs_.fetch_add(handed[n].size(), std::memory_order_relaxed);
      continue;
    }
    (void)homes_.free(n, handed[n]);  // still ours: they never were the publication's
    for (auto& list : copies)         // the new ones there (no copy left was on a target)
      std::erase_if(list, [&](const copy_at& c) { return c.home == n; });
    short_copies = true;
    gone |= r.err().code == errc::unknown_object;
  }
  describe(d, copies);
  k.untold = false;
  if (changed) {
    const auto description = d.encode();
    for (std::uint32_t n : k.keepers) {
      auto r = homes_.mend(n, id, description, {});
      if (r) continue;
      k.untold = short_copies = true;  // it keeps an older one: told again next pass
      gone |= r.err().code == errc::unknown_object;
    }
  }
  // Unpublished meanwhile: nothing to keep any more.
  k.short_copies = short_copies && !gone;
}

}  // namespace remora::objects

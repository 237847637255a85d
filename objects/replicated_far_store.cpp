#include "objects/replicated_far_store.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "objects/node_ranking.hpp"
#include "storage/slot.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

using storage::object_id;
using storage::object_location;
using transport::errc;
using transport::error;
using transport::result;

namespace {

constexpr std::size_t replica_shards = 64;

object_location location_of(object_id id, std::uint32_t size, std::uint64_t offset,
                            std::uint32_t version) {
  return {id, offset, version, size, static_cast<std::uint32_t>(storage::slot_bytes(size))};
}

}  // namespace

replicated_far_store::replicated_far_store(std::unique_ptr<far_store> nodes, std::uint32_t replicas,
                                           repair_options repair)
    : nodes_(std::move(nodes)),
      replicas_(replicas),
      shards_(replica_shards),
      frees_(*nodes_),
      rebalanced_to_(nodes_->epoch()) {
  // Last: the thread starts once the rest is ready.
  repairer_ = std::make_unique<repair_thread>(repair, [this](const repair_options& o) {
    maintenance_pass(*this, *nodes_, rebalanced_to_, o);
  });
}

std::size_t replicated_far_store::rebalance_now(std::size_t max_objects, bool& complete) {
  complete = true;
  std::size_t moved = 0;
  by_node<std::vector<object_id>> frees;  // old copies and failed writes, a request a node
  for (auto& s : shards_) {
    transport::lock_guard held(s.mutex);
    struct move {
      object_id id;
      replicas* reps;
      std::uint32_t source, to, from;  // copy read, node gaining one, copy dropped
    };
    std::vector<move> moves;
    for (auto& entry : s.objects) {
      // (Named apart: a lambda below uses them, and clang 14 cannot capture
      // structured bindings.)
      const object_id id = entry.first;
      replicas& reps = entry.second;
      if (reps.views > 0) continue;  // a publication's copies stay where readers look
      const auto belong = owners(*nodes_, id, replicas_);
      auto has = [&](std::uint32_t n) {
        return std::any_of(reps.at.begin(), reps.at.begin() + reps.count,
                           [&](const replica& r) { return r.node == n; });
      };
      std::optional<std::uint32_t> to, from, source;
      for (std::uint32_t n : belong)
        if (!to && !has(n) && nodes_->reachable(n)) to = n;
      for (std::uint32_t k = 0; k < reps.count; ++k) {
        const auto& r = reps.at[k];
        if (!r.current || !nodes_->reachable(r.node)) continue;
        if (!source) source = k;
        if (!from && std::find(belong.begin(), belong.end(), r.node) == belong.end()) from = k;
      }
      if (!to || !from || !source) continue;
      if (moved + moves.size() >= max_objects) {
        complete = false;
        break;
      }
      moves.push_back({id, &reps, *source, *to, *from});
    }
    // The bytes from each source node in one batch, one allocation batch
    // per target node; a copy is dropped only once its successor is written.
    by_node<std::vector<std::size_t>> by_source, by_target;
    for (std::size_t i = 0; i < moves.size(); ++i) {
      by_source[moves[i].reps->at[moves[i].source].node].push_back(i);
      by_target[moves[i].to].push_back(i);
    }
    std::vector<std::vector<std::byte>> bytes(moves.size());
    std::vector<bool> have(moves.size(), false);
    for (std::uint32_t n = 0; n < by_source.size(); ++n) {
      if (by_source[n].empty()) continue;
      std::vector<object_location> locs;
      std::vector<std::span<std::byte>> into;
      for (std::size_t i : by_source[n]) {
        const auto& r = moves[i].reps->at[moves[i].source];
        bytes[i].resize(moves[i].reps->size);
        locs.push_back(location_of(moves[i].id, moves[i].reps->size, r.offset, r.version));
        into.emplace_back(bytes[i]);
      }
      if (nodes_->read(n, locs, into))
        for (std::size_t i : by_source[n]) have[i] = true;
    }
    for (std::uint32_t n = 0; n < by_target.size(); ++n) {
      std::vector<std::size_t> batch;
      for (std::size_t i : by_target[n])
        if (have[i]) batch.push_back(i);
      if (batch.empty()) continue;
      std::vector<object_location> locs;
      for (std::size_t i : batch) locs.push_back({.id = moves[i].id, .size = moves[i].reps->size});
      if (!nodes_->allocate(n, locs)) {
        complete = false;
        continue;
      }
      for (std::size_t x = 0; x < batch.size(); ++x) {
        const move& mv = moves[batch[x]];
        replicas& reps = *mv.reps;
        auto w = location_of(mv.id, reps.size, locs[x].offset, locs[x].version);
        if (!nodes_->write(n, w, bytes[batch[x]])) {
          frees[n].push_back(mv.id);
          complete = false;
          continue;
        }
        frees[reps.at[mv.from].node].push_back(mv.id);
        reps.at[mv.from] = {n, w.version, w.offset, true};
        ++moved;
        rebalanced_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (moved >= max_objects) {
      complete = false;
      break;
    }
  }
  frees_.free_on(frees);
  return moved;
}

replicated_far_store::~replicated_far_store() = default;

std::uint32_t replicated_far_store::live_copies(const replicas& reps) const {
  std::uint32_t live = 0;
  for (std::uint32_t k = 0; k < reps.count; ++k)
    live +=
        reps.at[k].current && !nodes_->dead(reps.at[k].node) && !nodes_->leaving(reps.at[k].node);
  return live;
}

bool replicated_far_store::needs_repair(const replicas& reps) const {
  if (reps.views > 0) return false;  // the publication's copies
  if (live_copies(reps) < replicas_) return true;
  for (std::uint32_t k = 0; k < reps.count; ++k) {
    const auto& rep = reps.at[k];
    if (nodes_->dead(rep.node) || nodes_->leaving(rep.node) ||
        (!rep.current && nodes_->reachable(rep.node)))
      return true;
  }
  return false;
}

void replicated_far_store::drop_leaving(object_id id, replicas& reps) {
  if (live_copies(reps) < replicas_) return;  // they are still needed
  replicas kept;
  kept.size = reps.size;
  kept.lost = reps.lost;
  for (std::uint32_t k = 0; k < reps.count; ++k) {
    const auto& rep = reps.at[k];
    if (nodes_->leaving(rep.node)) {
      frees_.free_on(rep.node, {id});
      continue;
    }
    kept.at[kept.count++] = rep;
  }
  reps = kept;
}

std::size_t replicated_far_store::repair_now(std::size_t max_objects) {
  frees_.flush();
  std::size_t copies = 0, looked = 0;
  for (auto& s : shards_) {
    transport::lock_guard held(s.mutex);
    std::vector<std::pair<object_id, replicas*>> short_of;
    for (auto& [id, reps] : s.objects) {
      if (looked >= max_objects) break;
      if (!needs_repair(reps)) continue;
      ++looked;
      short_of.emplace_back(id, &reps);
    }
    if (!short_of.empty()) copies += repair_shard(short_of);
    if (looked >= max_objects) break;
  }
  return copies;
}

std::size_t replicated_far_store::scrub_now(std::size_t max_objects) {
  return scrub_walk(shards_, scrub_, max_objects, [&](object_id id, replicas& reps) {
    std::size_t damaged = 0;
    std::vector<std::byte> bytes(reps.size);
    for (std::uint32_t k = 0; k < reps.count; ++k) {
      auto& rep = reps.at[k];
      if (!rep.current || !nodes_->reachable(rep.node)) continue;
      auto loc = location_of(id, reps.size, rep.offset, rep.version);
      std::span<std::byte> into(bytes);
      if (auto r = nodes_->read(rep.node, {&loc, 1}, {&into, 1}); r) {
        rep.offset = loc.offset;  // the node may have moved it
        rep.version = loc.version;
      } else if (r.err().code == errc::corrupt) {
        rep.current = false;  // a lost copy: the next repair pass replaces it
        ++damaged;
      }
    }
    return damaged;
  });
}

std::size_t replicated_far_store::repair_shard(
    std::vector<std::pair<object_id, replicas*>>& short_of) {
  // 1. Each object's bytes from its first current copy on a reachable node,
  //    in one batch per node; what a batch could not read is repaired alone.
  std::vector<std::vector<std::byte>> bytes(short_of.size());
  by_node<std::vector<std::size_t>> from;
  std::vector<std::size_t> alone;
  for (std::size_t i = 0; i < short_of.size(); ++i) {
    const replicas& reps = *short_of[i].second;
    bytes[i].resize(reps.size);
    const replica* source = nullptr;
    for (std::uint32_t k = 0; k < reps.count && source == nullptr; ++k)
      if (reps.at[k].current && nodes_->reachable(reps.at[k].node)) source = &reps.at[k];
    if (source == nullptr)
      alone.push_back(i);  // repair_one counts it lost
    else
      from[source->node].push_back(i);
  }
  std::vector<bool> have(short_of.size(), false);
  for (std::uint32_t n = 0; n < from.size(); ++n) {
    if (from[n].empty()) continue;
    std::vector<object_location> locs;
    std::vector<std::span<std::byte>> into;
    for (std::size_t i : from[n]) {
      const replicas& reps = *short_of[i].second;
      const auto& rep = *std::find_if(reps.at.begin(), reps.at.begin() + reps.count,
                                      [&](const replica& r) { return r.current && r.node == n; });
      locs.push_back(location_of(short_of[i].first, reps.size, rep.offset, rep.version));
      into.emplace_back(bytes[i]);
    }
    if (nodes_->read(n, locs, into)) {
      for (std::size_t i : from[n]) have[i] = true;
    } else {
      alone.insert(alone.end(), from[n].begin(), from[n].end());
    }
  }
  std::size_t made_alone = 0, made = 0;  // repair_one counts its own
  for (std::size_t i : alone) made_alone += repair_one(short_of[i].first, *short_of[i].second);
  // 2. Keep the current copies on reachable nodes, free stale ones there,
  //    and place the missing copies: one allocation batch per target node.
  std::vector<replicas> kept(short_of.size());
  by_node<std::vector<std::size_t>> to;
  for (std::size_t i = 0; i < short_of.size(); ++i) {
    if (!have[i]) continue;
    const object_id id = short_of[i].first;
    kept[i] = keep_current(id, *short_of[i].second);
    const std::uint32_t live = live_copies(kept[i]);
    std::uint32_t wanted = replicas_ > live ? replicas_ - live : 0;
    for (std::uint32_t n : placement_all(id)) {
      if (wanted == 0) break;
      if (std::none_of(kept[i].at.begin(), kept[i].at.begin() + kept[i].count,
                       [&](const replica& r) { return r.node == n; })) {
        to[n].push_back(i);
        --wanted;
      }
    }
  }
  std::vector<std::size_t> retry;
  for (std::uint32_t n = 0; n < to.size(); ++n) {
    if (to[n].empty()) continue;
    std::vector<object_location> locs;
    for (std::size_t i : to[n])
      locs.push_back({.id = short_of[i].first, .size = short_of[i].second->size});
    if (!nodes_->allocate(n, locs)) {
      // One id the node refuses (it still holds a copy it had before it went
      // away, say) fails the batch: those objects are repaired one by one,
      // trying node after node.
      for (std::size_t i : to[n]) retry.push_back(i);
      continue;
    }
    for (std::size_t k = 0; k < to[n].size(); ++k) {
      const std::size_t i = to[n][k];
      auto w = location_of(locs[k].id, locs[k].size, locs[k].offset, locs[k].version);
      if (kept[i].count == max_copies || !nodes_->write(n, w, bytes[i])) {
        (void)nodes_->free(n, std::span(&locs[k].id, 1));
        continue;
      }
      kept[i].at[kept[i].count++] = {n, w.version, w.offset, true};
      ++made;
    }
  }
  for (std::size_t i = 0; i < short_of.size(); ++i)
    if (have[i]) {
      drop_leaving(short_of[i].first, kept[i]);
      *short_of[i].second = kept[i];
    }
  for (std::size_t i : retry) made_alone += repair_one(short_of[i].first, *short_of[i].second);
  repairs_.fetch_add(made, std::memory_order_relaxed);
  return made + made_alone;
}

replicated_far_store::replicas replicated_far_store::keep_current(object_id id,
                                                                  const replicas& reps) {
  replicas kept;
  kept.size = reps.size;
  kept.lost = reps.lost;
  for (std::uint32_t k = 0; k < reps.count; ++k) {
    const auto& rep = reps.at[k];
    if (nodes_->dead(rep.node)) continue;  // gone, and its copy with it
    if (!rep.current && nodes_->reachable(rep.node)) {
      (void)nodes_->free(rep.node, std::span(&id, 1));
      continue;
    }
    kept.at[kept.count++] = rep;  // current, or stale on a node that may come back
  }
  return kept;
}

std::size_t replicated_far_store::repair_one(object_id id, replicas& reps) {
  // A source: a current copy on a reachable node that reads back whole.
  std::vector<std::byte> bytes(reps.size);
  bool have = false;
  for (std::uint32_t k = 0; k < reps.count && !have; ++k) {
    const auto& rep = reps.at[k];
    if (!rep.current || !nodes_->reachable(rep.node)) continue;
    auto loc = location_of(id, reps.size, rep.offset, rep.version);
    std::span<std::byte> into(bytes);
    have = nodes_->read(rep.node, {&loc, 1}, {&into, 1}).ok();
  }
  if (!have) {
    // Nothing current to copy from now. Lost only when no current copy is
    // left on a node that may come back.
    if (live_copies(reps) > 0) {
      reps = keep_current(id, reps);
      return 0;
    }
    if (!reps.lost) {
      reps.lost = true;
      objects_lost_.fetch_add(1, std::memory_order_relaxed);
    }
    return 0;
  }
  replicas kept = keep_current(id, reps);
  std::size_t made = 0;
  for (std::uint32_t n : placement_all(id)) {
    if (live_copies(kept) >= replicas_ || kept.count == max_copies) break;
    if (std::any_of(kept.at.begin(), kept.at.begin() + kept.count,
                    [&](const replica& r) { return r.node == n; }))
      continue;
    object_location loc{.id = id, .size = reps.size};
    if (!nodes_->allocate(n, {&loc, 1})) continue;
    auto w = location_of(id, reps.size, loc.offset, loc.version);
    if (!nodes_->write(n, w, bytes)) {
      (void)nodes_->free(n, std::span(&id, 1));
      continue;
    }
    kept.at[kept.count++] = {n, w.version, w.offset, true};
    ++made;
  }
  drop_leaving(id, kept);
  reps = kept;
  repairs_.fetch_add(made, std::memory_order_relaxed);
  return made;
}

bool replicated_far_store::reachable(std::uint32_t) const {
  for (std::uint32_t n = 0; n < nodes_->nodes(); ++n)
    if (nodes_->reachable(n)) return true;
  return false;
}

bool replicated_far_store::dead(std::uint32_t) const {
  for (std::uint32_t n = 0; n < nodes_->nodes(); ++n)
    if (!nodes_->dead(n)) return false;
  return true;
}

std::string replicated_far_store::describe(std::uint32_t) const {
  std::string out = "replicas(" + std::to_string(replicas_) + ") over";
  for (std::uint32_t n = 0; n < nodes_->nodes(); ++n) out += " " + nodes_->describe(n);
  return out;
}

replicated_far_store::replicas replicated_far_store::lookup(object_id id) {
  auto& s = shard_of(id);
  transport::lock_guard held(s.mutex);
  auto it = s.objects.find(id);
  return it == s.objects.end() ? replicas{} : it->second;
}

std::vector<std::uint32_t> replicated_far_store::placement_all(object_id id) const {
  return rank_reachable(*nodes_, id);
}

std::vector<std::uint32_t> replicated_far_store::placement(object_id id) const {
  auto ranked = placement_all(id);
  if (ranked.size() > replicas_) ranked.resize(replicas_);
  return ranked;
}

result<void> replicated_far_store::allocate(std::uint32_t, std::span<object_location> where) {
  // Each object's nodes, best first (reads go to the first: placement
  // spreads them), and per node the objects placed there.
  std::vector<std::vector<std::uint32_t>> ranked(where.size());
  by_node<std::vector<std::size_t>> on;
  for (std::size_t i = 0; i < where.size(); ++i) {
    ranked[i] = placement(where[i].id);
    for (std::uint32_t n : ranked[i]) on[n].push_back(i);
  }
  // Where each object got slots: (node, location) pairs.
  std::vector<std::vector<std::pair<std::uint32_t, object_location>>> got(where.size());
  std::optional<error> last;
  for (std::uint32_t n = 0; n < on.size(); ++n) {
    if (on[n].empty()) continue;
    std::vector<object_location> locs;
    for (std::size_t i : on[n]) locs.push_back({.id = where[i].id, .size = where[i].size});
    if (auto r = nodes_->allocate(n, locs); !r) {
      last = r.err();  // those objects have one copy fewer
      continue;
    }
    for (std::size_t k = 0; k < on[n].size(); ++k) got[on[n][k]].emplace_back(n, locs[k]);
  }
  bool any = false;
  for (std::size_t i = 0; i < where.size(); ++i) {
    replicas placed;
    placed.size = where[i].size;
    for (std::uint32_t n : ranked[i])
      for (const auto& [node, l] : got[i])
        if (node == n) placed.at[placed.count++] = {n, l.version, l.offset, true};
    // Version 0 tells the object store that this object found no home.
    where[i].offset = 0;
    where[i].version = placed.count > 0 ? 1 : 0;
    if (placed.count == 0) continue;
    any = true;
    auto& s = shard_of(where[i].id);
    transport::lock_guard held(s.mutex);
    s.objects[where[i].id] = placed;
  }
  if (!any && !where.empty())
    return last ? *last : error{errc::peer_unreachable, "no memory node is reachable"};
  return {};
}

result<void> replicated_far_store::write(std::uint32_t, object_location& where,
                                         std::span<const std::byte> data) {
  // Under the shard's lock throughout: a repair copying this object must
  // not interleave with a write of it (its new copy would hold the bytes
  // from before the write). Write-backs come one at a time from the
  // tiering thread, so this serialises nothing that ran in parallel.
  auto& s = shard_of(where.id);
  transport::lock_guard held(s.mutex);
  auto it = s.objects.find(where.id);
  if (it == s.objects.end())
    return error{errc::unknown_object, "object " + std::to_string(where.id) + " has no replicas"};
  replicas& reps = it->second;
  // Every replica, stale ones too: a whole write brings one up to date.
  std::uint32_t taken = 0;
  std::optional<error> last;
  for (std::uint32_t k = 0; k < reps.count; ++k) {
    auto& rep = reps.at[k];
    rep.current = false;
    if (!nodes_->reachable(rep.node)) continue;
    auto loc = location_of(where.id, where.size, rep.offset, rep.version);
    if (auto r = nodes_->write(rep.node, loc, data); !r) {
      last = r.err();
      continue;
    }
    rep = {rep.node, loc.version, loc.offset, true};
    ++taken;
  }
  if (taken == 0)
    return last ? *last
                : error{errc::peer_unreachable, "object " + std::to_string(where.id) +
                                                    ": no replica's node is reachable (" +
                                                    describe(0) + ")"};
  where.version = 1;
  return {};
}

template <class Attempt>
result<void> replicated_far_store::read_from_any(object_location& where, Attempt attempt) {
  replicas reps = lookup(where.id);
  std::optional<error> last;
  bool passed_one = false;  // a current replica was skipped or failed
  for (std::uint32_t k = 0; k < reps.count; ++k) {
    auto& rep = reps.at[k];
    if (!rep.current) continue;
    if (!nodes_->reachable(rep.node)) {
      passed_one = true;
      continue;
    }
    auto loc = location_of(where.id, where.size, rep.offset, rep.version);
    if (auto r = attempt(rep.node, loc); !r) {
      last = r.err();
      passed_one = true;
      if (r.err().code == errc::corrupt) mark_stale(where.id, rep);
      continue;
    }
    if (passed_one) failovers_.fetch_add(1, std::memory_order_relaxed);
    if (loc.offset != rep.offset || loc.version != rep.version) {  // the node moved it
      auto& s = shard_of(where.id);
      transport::lock_guard held(s.mutex);
      auto it = s.objects.find(where.id);
      if (it != s.objects.end()) it->second.at[k] = {rep.node, loc.version, loc.offset, true};
    }
    return {};
  }
  if (last) return *last;
  if (passed_one)
    return error{errc::peer_unreachable, "object " + std::to_string(where.id) +
                                             ": the nodes of its replicas are down (" +
                                             describe(0) + ")"};
  return error{errc::unknown_object, "object " + std::to_string(where.id) +
                                         ": no replica holds its last write (" + describe(0) + ")"};
}

result<void> replicated_far_store::read(std::uint32_t, std::span<object_location> where,
                                        std::span<const std::span<std::byte>> into) {
  // Each object from its first current replica on a reachable node, in one
  // batch per node; what a batch could not read goes to the next replica.
  by_node<std::vector<std::size_t>> on;
  std::vector<std::size_t> alone;
  std::vector<replicas> reps(where.size());
  for (std::size_t i = 0; i < where.size(); ++i) {
    reps[i] = lookup(where[i].id);
    const replica* first = nullptr;
    bool skipped = false;  // a current replica whose node is down
    for (std::uint32_t k = 0; k < reps[i].count && first == nullptr; ++k) {
      if (!reps[i].at[k].current) continue;
      if (nodes_->reachable(reps[i].at[k].node))
        first = &reps[i].at[k];
      else
        skipped = true;
    }
    if (first == nullptr) {
      alone.push_back(i);
      continue;
    }
    if (skipped) failovers_.fetch_add(1, std::memory_order_relaxed);
    on[first->node].push_back(i);
  }
  for (std::uint32_t n = 0; n < on.size(); ++n) {
    if (on[n].empty()) continue;
    std::vector<object_location> locs;
    std::vector<std::span<std::byte>> to;
    for (std::size_t i : on[n]) {
      const auto& rep = *std::find_if(reps[i].at.begin(), reps[i].at.begin() + reps[i].count,
                                      [&](const replica& r) { return r.current && r.node == n; });
      locs.push_back(location_of(where[i].id, where[i].size, rep.offset, rep.version));
      to.push_back(into[i]);
    }
    if (!nodes_->read(n, locs, to)) {
      alone.insert(alone.end(), on[n].begin(), on[n].end());
      continue;
    }
  }
  for (std::size_t i : alone) {
    auto r = read_from_any(where[i], [&](std::uint32_t node, object_location& loc) {
      return nodes_->read(node, {&loc, 1}, {&into[i], 1});
    });
    if (!r) return r;
  }
  return {};
}

result<void> replicated_far_store::read_part(std::uint32_t, object_location& where,
                                             std::uint32_t from, std::span<std::byte> into) {
  return read_from_any(where, [&](std::uint32_t node, object_location& loc) {
    return nodes_->read_part(node, loc, from, into);
  });
}

void replicated_far_store::mark_stale(object_id id, const replica& bad) {
  // A copy that failed its checksum is a lost copy: no longer read, and
  // replaced (and freed) by the next repair pass.
  auto& s = shard_of(id);
  transport::lock_guard held(s.mutex);
  auto it = s.objects.find(id);
  if (it == s.objects.end()) return;
  for (std::uint32_t k = 0; k < it->second.count; ++k) {
    auto& rep = it->second.at[k];
    if (rep.node == bad.node && rep.version == bad.version) rep.current = false;
  }
}

result<void> replicated_far_store::free(std::uint32_t, std::span<const object_id> ids) {
  by_node<std::vector<object_id>> on;
  for (object_id id : ids) {
    auto& s = shard_of(id);
    transport::lock_guard held(s.mutex);
    auto it = s.objects.find(id);
    if (it == s.objects.end()) continue;
    for (std::uint32_t k = 0; k < it->second.count; ++k) on[it->second.at[k].node].push_back(id);
    s.objects.erase(it);
  }
  for (std::uint32_t n = 0; n < on.size(); ++n) frees_.free_on(n, std::move(on[n]));
  return {};
}

void replicated_far_store::copies(std::uint32_t, const object_location& where,
                                  std::vector<copy>& out) {
  const replicas reps = lookup(where.id);
  out.clear();
  for (std::uint32_t k = 0; k < reps.count; ++k)
    if (reps.at[k].current && !nodes_->dead(reps.at[k].node))
      out.push_back({reps.at[k].node, reps.at[k].offset, reps.at[k].version});
}

result<void> replicated_far_store::share(std::span<const object_id> ids) {
  for (object_id id : ids) {
    auto& s = shard_of(id);
    transport::lock_guard held(s.mutex);
    auto it = s.objects.find(id);
    if (it == s.objects.end()) continue;
    // Stale copies are not the publication's: freed now, not later.
    it->second = keep_current(id, it->second);
    it->second.views = 1;  // the publisher's record
  }
  return {};
}

void replicated_far_store::unshare(std::span<const object_id> ids) {
  for (object_id id : ids) {
    auto& s = shard_of(id);
    transport::lock_guard held(s.mutex);
    if (auto it = s.objects.find(id); it != s.objects.end()) it->second.views = 0;
  }
}

void replicated_far_store::forget(object_id id) {
  auto& s = shard_of(id);
  transport::lock_guard held(s.mutex);
  auto it = s.objects.find(id);
  if (it != s.objects.end() && it->second.views > 0 && --it->second.views == 0) s.objects.erase(it);
}

std::uint32_t replicated_far_store::adopt(const object_location& where,
                                          std::span<const copy> copies) {
  auto& s = shard_of(where.id);
  transport::lock_guard held(s.mutex);
  auto [it, made] = s.objects.try_emplace(where.id);
  replicas& reps = it->second;
  if (!made && reps.views > 0) {  // read through another record here already
    ++reps.views;
    return 0;
  }
  reps = {};
  reps.size = where.size;
  reps.views = 1;
  for (const copy& c : copies.first(std::min<std::size_t>(copies.size(), max_copies)))
    reps.at[reps.count++] = {c.node, c.version, c.offset, true};
  return 0;
}

}  // namespace remora::objects

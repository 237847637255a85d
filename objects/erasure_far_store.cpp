#include "objects/erasure_far_store.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "storage/slot.hpp"

namespace remora::objects {

using storage::object_id;
using storage::object_location;
using transport::errc;
using transport::error;
using transport::result;

namespace {

constexpr std::size_t shard_count = 64;

}  // namespace

erasure_far_store::erasure_far_store(std::unique_ptr<far_store> nodes, std::uint32_t k,
                                     std::uint32_t m, repair_options repair)
    : nodes_(std::move(nodes)),
      k_(k),
      m_(m),
      code_(static_cast<int>(k), static_cast<int>(m)),
      shards_(shard_count),
      frees_(*nodes_) {
  // Last: the thread starts once the rest is ready.
  repairer_ = std::make_unique<repair_thread>(repair, [this](const repair_options& o) {
    (void)repair_now(o.batch);
    (void)scrub_now(o.scrub_batch);
  });
}

erasure_far_store::~erasure_far_store() = default;

bool erasure_far_store::reachable(std::uint32_t) const {
  std::uint32_t up = 0;
  for (std::uint32_t n = 0; n < nodes_->nodes(); ++n) up += nodes_->reachable(n);
  return up >= k_;
}

bool erasure_far_store::dead(std::uint32_t) const {
  std::uint32_t alive = 0;
  for (std::uint32_t n = 0; n < nodes_->nodes(); ++n) alive += !nodes_->dead(n);
  return alive < k_;
}

std::string erasure_far_store::describe(std::uint32_t) const {
  std::string out = "erasure(" + std::to_string(k_) + ", " + std::to_string(m_) + ") over";
  for (std::uint32_t n = 0; n < nodes_->nodes(); ++n) out += " " + nodes_->describe(n);
  return out;
}

erasure_far_store::stripe erasure_far_store::lookup(object_id id) {
  auto& s = shard_of(id);
  std::lock_guard held(s.mutex);
  auto it = s.objects.find(id);
  return it == s.objects.end() ? stripe{} : it->second;
}

std::uint32_t erasure_far_store::live_pieces(const stripe& s) const {
  std::uint32_t live = 0;
  for (std::uint32_t j = 0; j < k_ + m_; ++j)
    live += s.at[j].node != absent && s.at[j].current && !nodes_->dead(s.at[j].node);
  return live;
}

bool erasure_far_store::needs_repair(const stripe& s) const {
  // Not before its first write: its pieces hold nothing yet. A piece on a
  // leaving node is moved (rebuilt elsewhere, then freed there).
  if (!s.written) return false;
  if (live_pieces(s) < k_ + m_) return true;
  for (std::uint32_t j = 0; j < k_ + m_; ++j)
    if (s.at[j].node != absent && nodes_->leaving(s.at[j].node)) return true;
  return false;
}

result<void> erasure_far_store::allocate(std::uint32_t, std::span<object_location> where) {
  const std::uint32_t n_pieces = k_ + m_;
  // Piece j of each object goes to its j-th ranked node; per node, the
  // (object, piece) pairs placed there.
  by_node<std::vector<std::pair<std::size_t, std::uint32_t>>> on;
  for (std::size_t i = 0; i < where.size(); ++i) {
    const auto ranked = rank_reachable(*nodes_, where[i].id);
    for (std::uint32_t j = 0; j < n_pieces && j < ranked.size(); ++j)
      on[ranked[j]].emplace_back(i, j);
  }
  std::vector<stripe> made(where.size());
  std::optional<error> last;
  for (std::uint32_t n = 0; n < on.size(); ++n) {
    if (on[n].empty()) continue;
    std::vector<object_location> locs;
    for (auto [i, j] : on[n])
      locs.push_back({.id = where[i].id, .size = piece_bytes(where[i].size)});
    if (auto r = nodes_->allocate(n, locs); !r) {
      last = r.err();  // those pieces stay absent: repair places them
      continue;
    }
    for (std::size_t x = 0; x < on[n].size(); ++x) {
      auto [i, j] = on[n][x];
      made[i].at[j] = {n, locs[x].version, locs[x].offset, false};
    }
  }
  bool any = false;
  for (std::size_t i = 0; i < where.size(); ++i) {
    made[i].size = where[i].size;
    std::uint32_t placed = 0;
    for (std::uint32_t j = 0; j < n_pieces; ++j) placed += made[i].at[j].node != absent;
    where[i].offset = 0;
    where[i].version = 0;  // version 0 tells the object store it found no home
    if (placed < k_) {     // not enough to hold it: give back what it got
      for (std::uint32_t j = 0; j < n_pieces; ++j)
        if (made[i].at[j].node != absent) frees_.free_on(made[i].at[j].node, {where[i].id});
      continue;
    }
    where[i].version = 1;
    any = true;
    auto& s = shard_of(where[i].id);
    std::lock_guard held(s.mutex);
    s.objects[where[i].id] = made[i];
  }
  if (!any && !where.empty())
    return last ? *last
                : error{errc::peer_unreachable, "fewer than " + std::to_string(k_) +
                                                    " memory nodes are reachable (" + describe(0) +
                                                    ")"};
  return {};
}

result<void> erasure_far_store::write(std::uint32_t, object_location& where,
                                      std::span<const std::byte> data) {
  const std::uint32_t len = piece_bytes(where.size);
  std::vector<std::vector<std::byte>> pieces(k_ + m_, std::vector<std::byte>(len));
  for (std::uint32_t j = 0; j < k_; ++j) {
    const std::size_t from = std::size_t{j} * len;
    if (from < data.size())
      std::memcpy(pieces[j].data(), data.data() + from,
                  std::min<std::size_t>(len, data.size() - from));
  }
  std::vector<std::byte*> p;
  for (auto& piece : pieces) p.push_back(piece.data());
  code_.encode(p, len);
  // Under the shard's lock throughout, as replicated_far_store::write: a
  // repair must not rebuild a piece from bytes a write is replacing.
  auto& s = shard_of(where.id);
  std::lock_guard held(s.mutex);
  auto it = s.objects.find(where.id);
  if (it == s.objects.end())
    return error{errc::unknown_object, "object " + std::to_string(where.id) + " has no pieces"};
  stripe& st = it->second;
  std::uint32_t taken = 0;
  std::optional<error> last;
  for (std::uint32_t j = 0; j < k_ + m_; ++j) {
    auto& pc = st.at[j];
    pc.current = false;
    if (pc.node == absent || !nodes_->reachable(pc.node)) continue;
    object_location loc{where.id, pc.offset, pc.version, len,
                        static_cast<std::uint32_t>(storage::slot_bytes(len))};
    if (auto r = nodes_->write(pc.node, loc, pieces[j]); !r) {
      last = r.err();
      continue;
    }
    pc = {pc.node, loc.version, loc.offset, true};
    ++taken;
  }
  if (taken < k_)
    return last
               ? *last
               : error{errc::peer_unreachable,
                       "object " + std::to_string(where.id) + ": fewer than " + std::to_string(k_) +
                           " of its pieces' nodes are reachable (" + describe(0) + ")"};
  st.written = true;
  where.version = 1;
  return {};
}

void erasure_far_store::mark_stale(object_id id, std::uint32_t j, std::uint32_t version) {
  auto& s = shard_of(id);
  std::lock_guard held(s.mutex);
  auto it = s.objects.find(id);
  if (it != s.objects.end() && it->second.at[j].version == version)
    it->second.at[j].current = false;
}

bool erasure_far_store::read_degraded(object_id id, const stripe& s,
                                      std::vector<std::vector<std::byte>>& pieces,
                                      std::vector<std::uint32_t>& corrupt) {
  const std::uint32_t len = piece_bytes(s.size);
  bool have[storage::rs_code::max_pieces] = {};
  std::uint32_t got = 0;
  for (std::uint32_t j = 0; j < k_ + m_ && got < k_; ++j) {  // data pieces first
    const auto& pc = s.at[j];
    if (pc.node == absent || !usable(pc)) continue;
    object_location loc{id, pc.offset, pc.version, len,
                        static_cast<std::uint32_t>(storage::slot_bytes(len))};
    std::span<std::byte> into(pieces[j]);
    if (auto r = nodes_->read(pc.node, {&loc, 1}, {&into, 1}); !r) {
      if (r.err().code == errc::corrupt) corrupt.push_back(j);  // a lost piece
      continue;
    }
    have[j] = true;
    ++got;
  }
  if (got < k_) return false;
  std::vector<std::byte*> p;
  for (auto& piece : pieces) p.push_back(piece.data());
  return code_.decode(p, std::span<const bool>(have, k_ + m_), len);
}

result<void> erasure_far_store::read(std::uint32_t, std::span<object_location> where,
                                     std::span<const std::span<std::byte>> into) {
  // Each object's k data pieces in one batch per node; an object any of
  // whose data pieces cannot be had so is read degraded, alone.
  std::vector<stripe> stripes(where.size());
  std::vector<std::vector<std::byte>> data(where.size());
  by_node<std::vector<std::pair<std::size_t, std::uint32_t>>> on;
  std::vector<bool> degraded(where.size(), false);
  for (std::size_t i = 0; i < where.size(); ++i) {
    stripes[i] = lookup(where[i].id);
    data[i].resize(std::size_t{k_} * piece_bytes(where[i].size));
    for (std::uint32_t j = 0; j < k_; ++j)
      if (stripes[i].at[j].node == absent || !usable(stripes[i].at[j])) degraded[i] = true;
    if (!degraded[i])
      for (std::uint32_t j = 0; j < k_; ++j) on[stripes[i].at[j].node].emplace_back(i, j);
  }
  for (std::uint32_t n = 0; n < on.size(); ++n) {
    std::erase_if(on[n], [&](const auto& ij) { return degraded[ij.first]; });
    if (on[n].empty()) continue;
    std::vector<object_location> locs;
    std::vector<std::span<std::byte>> to;
    for (auto [i, j] : on[n]) {
      const auto& pc = stripes[i].at[j];
      const std::uint32_t len = piece_bytes(where[i].size);
      locs.push_back({where[i].id, pc.offset, pc.version, len,
                      static_cast<std::uint32_t>(storage::slot_bytes(len))});
      to.emplace_back(data[i].data() + std::size_t{j} * len, len);
    }
    if (!nodes_->read(n, locs, to))
      for (auto [i, j] : on[n]) degraded[i] = true;
  }
  for (std::size_t i = 0; i < where.size(); ++i) {
    if (degraded[i]) {
      if (stripes[i].size == 0)
        return error{errc::unknown_object, "object " + std::to_string(where[i].id) +
                                               " has no pieces (" + describe(0) + ")"};
      std::vector<std::vector<std::byte>> pieces(
          k_ + m_, std::vector<std::byte>(piece_bytes(where[i].size)));
      std::vector<std::uint32_t> corrupt;
      const bool decoded = read_degraded(where[i].id, stripes[i], pieces, corrupt);
      for (std::uint32_t j : corrupt) mark_stale(where[i].id, j, stripes[i].at[j].version);
      if (!decoded)
        return error{errc::unknown_object,
                     "object " + std::to_string(where[i].id) + ": fewer than " +
                         std::to_string(k_) + " of its pieces could be read (" + describe(0) + ")"};
      failovers_.fetch_add(1, std::memory_order_relaxed);
      for (std::uint32_t j = 0; j < k_; ++j)
        std::memcpy(data[i].data() + std::size_t{j} * pieces[j].size(), pieces[j].data(),
                    pieces[j].size());
    }
    std::memcpy(into[i].data(), data[i].data(), where[i].size);
  }
  return {};
}

result<void> erasure_far_store::read_part(std::uint32_t, object_location& where, std::uint32_t from,
                                          std::span<std::byte> into) {
  std::vector<std::byte> whole(where.size);
  std::span<std::byte> to(whole);
  if (auto r = read(0, {&where, 1}, {&to, 1}); !r) return r;
  std::memcpy(into.data(), whole.data() + from, into.size());
  return {};
}

result<void> erasure_far_store::free(std::uint32_t, std::span<const object_id> ids) {
  by_node<std::vector<object_id>> on;
  for (object_id id : ids) {
    auto& s = shard_of(id);
    std::lock_guard held(s.mutex);
    auto it = s.objects.find(id);
    if (it == s.objects.end()) continue;
    for (const auto& pc : it->second.at)
      if (pc.node != absent) on[pc.node].push_back(id);
    s.objects.erase(it);
  }
  for (std::uint32_t n = 0; n < on.size(); ++n) frees_.free_on(n, std::move(on[n]));
  return {};
}

std::size_t erasure_far_store::repair_now(std::size_t max_objects) {
  frees_.flush();
  std::size_t made = 0, looked = 0;
  for (auto& s : shards_) {
    std::lock_guard held(s.mutex);
    std::vector<std::pair<object_id, stripe*>> group;
    std::size_t group_bytes = 0;
    for (auto& [id, st] : s.objects) {
      if (looked >= max_objects) break;
      if (!needs_repair(st)) continue;
      ++looked;
      group.emplace_back(id, &st);
      group_bytes += std::size_t{k_ + m_} * piece_bytes(st.size);
      if (group_bytes >= repair_group_bytes) {  // bounds the rebuilt bytes held at once
        made += repair_group(group);
        group.clear();
        group_bytes = 0;
      }
    }
    if (!group.empty()) made += repair_group(group);
    if (looked >= max_objects) break;
  }
  repairs_.fetch_add(made, std::memory_order_relaxed);
  return made;
}

std::size_t erasure_far_store::scrub_now(std::size_t max_objects) {
  return scrub_walk(shards_, scrub_, max_objects, [&](object_id id, stripe& st) {
    std::size_t damaged = 0;
    const std::uint32_t len = piece_bytes(st.size);
    std::vector<std::byte> bytes(len);
    for (std::uint32_t j = 0; j < k_ + m_; ++j) {
      auto& pc = st.at[j];
      if (pc.node == absent || !usable(pc)) continue;
      object_location loc{id, pc.offset, pc.version, len,
                          static_cast<std::uint32_t>(storage::slot_bytes(len))};
      std::span<std::byte> into(bytes);
      if (auto r = nodes_->read(pc.node, {&loc, 1}, {&into, 1}); r) {
        pc.offset = loc.offset;  // the node may have moved it
        pc.version = loc.version;
      } else if (r.err().code == errc::corrupt) {
        pc.current = false;  // a lost piece: the next repair pass rebuilds it
        ++damaged;
      }
    }
    return damaged;
  });
}

std::size_t erasure_far_store::repair_group(std::vector<std::pair<object_id, stripe*>>& group) {
  // 1. Each object decoded whole, its bad pieces dropped, and a target node
  //    chosen for each missing piece: a reachable node holding none of it.
  struct rebuild {
    std::size_t object;  // in `group`
    std::uint32_t piece;
  };
  std::vector<std::vector<std::vector<std::byte>>> pieces(group.size());
  by_node<std::vector<rebuild>> to;
  for (std::size_t i = 0; i < group.size(); ++i) {
    const object_id id = group[i].first;
    stripe& s = *group[i].second;
    const std::uint32_t len = piece_bytes(s.size);
    pieces[i].assign(k_ + m_, std::vector<std::byte>(len));
    std::vector<std::uint32_t> corrupt;
    const bool decoded = read_degraded(id, s, pieces[i], corrupt);
    for (std::uint32_t j : corrupt) s.at[j].current = false;
    // Forget pieces on dead nodes; free stale ones (at once, or when their
    // node is back): each is rebuilt elsewhere. Current pieces on nodes
    // that are only unreachable stay: those may come back.
    for (std::uint32_t j = 0; j < k_ + m_; ++j) {
      auto& pc = s.at[j];
      if (pc.node == absent || (pc.current && !nodes_->dead(pc.node))) continue;
      if (!nodes_->dead(pc.node)) frees_.free_on(pc.node, {id});
      pc = piece{};
    }
    if (!decoded) {
      if (live_pieces(s) < k_ && !s.lost) {  // too few left, even on nodes that may come back
        s.lost = true;
        objects_lost_.fetch_add(1, std::memory_order_relaxed);
      }
      continue;
    }
    std::vector<std::uint32_t> taken;  // nodes holding or about to hold a piece of it
    for (std::uint32_t j = 0; j < k_ + m_; ++j)
      if (s.at[j].node != absent) taken.push_back(s.at[j].node);
    const auto ranked = rank_reachable(*nodes_, id);
    auto next = ranked.begin();
    for (std::uint32_t j = 0; j < k_ + m_; ++j) {
      if (s.at[j].node != absent && !nodes_->leaving(s.at[j].node)) continue;
      while (next != ranked.end() && std::find(taken.begin(), taken.end(), *next) != taken.end())
        ++next;
      if (next == ranked.end()) break;  // no node without a piece of it
      taken.push_back(*next);
      to[*next].push_back({i, j});
    }
  }
  // 2. One allocation batch per target node, then the pieces' writes.
  std::size_t made = 0;
  for (std::uint32_t n = 0; n < to.size(); ++n) {
    if (to[n].empty()) continue;
    std::vector<object_location> locs;
    for (const auto& r : to[n])
      locs.push_back(
          {.id = group[r.object].first, .size = piece_bytes(group[r.object].second->size)});
    if (!nodes_->allocate(n, locs)) continue;  // the next pass tries again
    for (std::size_t x = 0; x < to[n].size(); ++x) {
      const auto& r = to[n][x];
      auto& loc = locs[x];
      loc.slot_bytes = static_cast<std::uint32_t>(storage::slot_bytes(loc.size));
      if (!nodes_->write(n, loc, pieces[r.object][r.piece])) {
        frees_.free_on(n, {loc.id});
        continue;
      }
      auto& pc = group[r.object].second->at[r.piece];
      if (pc.node != absent) frees_.free_on(pc.node, {loc.id});  // it was on a leaving node
      pc = {n, loc.version, loc.offset, true};
      ++made;
    }
  }
  return made;
}

}  // namespace remora::objects

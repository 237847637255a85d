// erasure_far_store's background half: decoding a span from any k of its
// columns, repair (rebuilding the columns that are stale, lost with a dead
// node, on a leaving node, or never placed) and scrubbing.
#include <algorithm>
#include <optional>

#include "objects/erasure_far_store.hpp"
#include "storage/slot.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

using storage::object_id;
using storage::object_location;
using transport::errc;

bool erasure_far_store::needs_repair(const span& s) const {
  for (std::uint32_t j = 0; j < k_ + m_; ++j) {
    const column& col = s.at[j];
    if (col.id == 0) continue;            // a hole
    if (col.node == absent) return true;  // parity never placed
    if (!col.current || nodes_->dead(col.node) || nodes_->leaving(col.node)) return true;
  }
  return false;
}

bool erasure_far_store::read_span(span& s, std::vector<std::vector<std::byte>>& columns,
                                  std::vector<std::uint32_t>& corrupt) {
  bool have[storage::rs_code::max_pieces] = {};
  std::uint32_t got = 0;
  for (std::uint32_t j = 0; j < k_ + m_; ++j)
    if (zeroes(s.at[j])) {  // its buffer is zeroes already
      have[j] = true;
      ++got;
    }
  for (std::uint32_t j = 0; j < k_ + m_ && got < k_; ++j) {  // members first: no decoding
    if (have[j] || !readable(s.at[j])) continue;
    if (own_bytes(s.at[j], columns[j])) {
      have[j] = true;
      ++got;
    } else if (!s.at[j].current) {
      corrupt.push_back(j);
    }
  }
  if (got < k_) return false;
  std::vector<std::byte*> p;
  for (auto& c : columns) p.push_back(c.data());
  return code_.decode(p, std::span<const bool>(have, k_ + m_), s.length);
}

std::size_t erasure_far_store::repair_now(std::size_t max_spans) {
  frees_.flush();
  std::size_t made = 0, looked = 0;
  for (auto& shard : spans_) {
    transport::lock_guard held(shard.mutex);
    std::vector<std::pair<std::uint64_t, span*>> group;
    std::size_t group_bytes = 0;
    for (auto& [id, s] : shard.objects) {
      if (looked >= max_spans) break;
      if (!needs_repair(s)) continue;
      ++looked;
      group.emplace_back(id, &s);
      group_bytes += std::size_t{k_ + m_} * s.length;
      if (group_bytes >= repair_group_bytes) {  // bounds the decoded bytes held at once
        made += repair_group(group);
        group.clear();
        group_bytes = 0;
      }
    }
    if (!group.empty()) made += repair_group(group);
    if (looked >= max_spans) break;
  }
  repairs_.fetch_add(made, std::memory_order_relaxed);
  return made;
}

std::size_t erasure_far_store::scrub_now(std::size_t max_spans) {
  return scrub_walk(spans_, scrub_, max_spans, [&](std::uint64_t, span& s) {
    std::size_t damaged = 0;
    std::vector<std::byte> bytes(s.length);
    for (std::uint32_t j = 0; j < k_ + m_; ++j)
      if (readable(s.at[j]) && !own_bytes(s.at[j], bytes) && !s.at[j].current)
        ++damaged;  // marked stale: the next repair pass rebuilds it
    return damaged;
  });
}

std::size_t erasure_far_store::repair_group(std::vector<std::pair<std::uint64_t, span*>>& group) {
  by_node<std::vector<object_id>> frees;  // old copies and failed writes, a request a node
  // 1. Each span decoded whole, and for each column to rebuild a place: its
  //    own slot when its node is fine and it only missed a write, else a
  //    reachable node holding none of the span.
  struct rebuild {
    std::size_t span;  // in `group`
    std::uint32_t column;
  };
  std::vector<std::vector<std::vector<std::byte>>> columns(group.size());
  by_node<std::vector<rebuild>> to;
  std::vector<rebuild> in_place;
  for (std::size_t i = 0; i < group.size(); ++i) {
    span& s = *group[i].second;
    columns[i].assign(k_ + m_, std::vector<std::byte>(s.length));
    std::vector<std::uint32_t> corrupt;
    if (!read_span(s, columns[i], corrupt)) {
      if (live_columns(s) < k_ && !s.lost) {  // too few left, even on nodes that may come back
        // Lost: the members whose own copy went too (the others still read).
        s.lost = true;
        std::uint32_t lost = 0;
        for (std::uint32_t j = 0; j < k_; ++j)
          lost += s.at[j].id != 0 && !zeroes(s.at[j]) &&
                  (!s.at[j].current || nodes_->dead(s.at[j].node));
        objects_lost_.fetch_add(lost, std::memory_order_relaxed);
      }
      continue;
    }
    std::vector<std::uint32_t> taken;  // nodes holding or about to hold a column of it
    for (std::uint32_t j = 0; j < k_ + m_; ++j)
      if (s.at[j].id != 0 && s.at[j].node != absent && !nodes_->dead(s.at[j].node))
        taken.push_back(s.at[j].node);
    const auto ranked = rank_reachable(*nodes_, group[i].first);
    auto next = ranked.begin();
    for (std::uint32_t j = 0; j < k_ + m_; ++j) {
      const column& col = s.at[j];
      if (col.id == 0) continue;
      const bool placed = col.node != absent && !nodes_->dead(col.node);
      if (placed && col.current && !nodes_->leaving(col.node)) continue;
      if (placed && !nodes_->leaving(col.node) && nodes_->reachable(col.node)) {
        in_place.push_back({i, j});
        continue;
      }
      while (next != ranked.end() && std::find(taken.begin(), taken.end(), *next) != taken.end())
        ++next;
      if (next == ranked.end()) continue;  // no node without a column of it: a later pass
      taken.push_back(*next);
      to[*next].push_back({i, j});
    }
  }
  std::size_t made = 0;
  auto bytes_of = [&](const rebuild& r) {
    const column& col = group[r.span].second->at[r.column];
    return std::span<const std::byte>(columns[r.span][r.column].data(), col.size);
  };
  // 2. Columns that only missed a write: written again where they are.
  for (const auto& r : in_place) {
    column& col = group[r.span].second->at[r.column];
    object_location loc = location_of(col);
    if (!nodes_->write(col.node, loc, bytes_of(r))) continue;  // the next pass tries again
    col.offset = loc.offset;
    col.version = loc.version;
    col.current = col.written = true;
    ++made;
  }
  // 3. One allocation batch per target node, then the columns' writes; the
  //    old copies are freed (on a leaving node, or one that comes back).
  for (std::uint32_t n = 0; n < to.size(); ++n) {
    if (to[n].empty()) continue;
    std::vector<object_location> locs;
    for (const auto& r : to[n]) {
      const column& col = group[r.span].second->at[r.column];
      locs.push_back({.id = col.id, .size = col.size});
    }
    if (!nodes_->allocate(n, locs)) continue;  // the next pass tries again
    for (std::size_t x = 0; x < to[n].size(); ++x) {
      const auto& r = to[n][x];
      column& col = group[r.span].second->at[r.column];
      auto& loc = locs[x];
      loc.slot_bytes = static_cast<std::uint32_t>(storage::slot_bytes(loc.size));
      if (!nodes_->write(n, loc, bytes_of(r))) {
        frees[n].push_back(loc.id);
        continue;
      }
      if (col.node != absent && !nodes_->dead(col.node)) frees[col.node].push_back(col.id);
      col.node = n;
      col.offset = loc.offset;
      col.version = loc.version;
      col.current = col.written = true;
      ++made;
    }
  }
  frees_.free_on(frees);
  return made;
}

std::size_t erasure_far_store::rebalance_now(std::size_t max_spans, bool& complete) {
  complete = true;
  std::size_t moved = 0;
  by_node<std::vector<object_id>> frees;  // the moved columns' old copies, a request a node
  for (auto& shard : spans_) {
    transport::lock_guard held(shard.mutex);
    struct move {
      span* s;
      std::uint32_t column, to;
    };
    by_node<std::vector<move>> by_target;
    std::size_t planned = 0;
    for (auto& entry : shard.objects) {
      // (Named apart: a lambda below uses them, and clang 14 cannot capture
      // structured bindings.)
      const std::uint64_t id = entry.first;
      span& s = entry.second;
      const auto belong = owners(*nodes_, id, k_ + m_);
      auto has = [&](std::uint32_t n) {
        return std::any_of(s.at.begin(), s.at.begin() + k_ + m_,
                           [&](const column& c) { return c.id != 0 && c.node == n; });
      };
      std::optional<std::uint32_t> to, from;
      for (std::uint32_t n : belong)
        if (!to && !has(n) && nodes_->reachable(n)) to = n;
      for (std::uint32_t j = 0; j < k_ + m_ && !from; ++j)
        if ((readable(s.at[j]) || (zeroes(s.at[j]) && s.at[j].id != 0)) &&
            std::find(belong.begin(), belong.end(), s.at[j].node) == belong.end())
          from = j;
      if (!to || !from) continue;
      if (moved + planned >= max_spans) {
        complete = false;
        break;
      }
      by_target[*to].push_back({&s, *from, *to});
      ++planned;
    }
    // Each column's own bytes (no decoding: it is healthy, only misplaced),
    // one allocation batch per target node; the old copy is freed once the
    // new one is written.
    for (std::uint32_t n = 0; n < by_target.size(); ++n) {
      auto& batch = by_target[n];
      if (batch.empty()) continue;
      std::vector<std::vector<std::byte>> bytes;
      std::vector<move> ready;
      for (const move& mv : batch) {
        std::vector<std::byte> b(mv.s->length);
        if (!zeroes(mv.s->at[mv.column]) && !own_bytes(mv.s->at[mv.column], b)) {
          complete = false;
          continue;
        }
        bytes.push_back(std::move(b));
        ready.push_back(mv);
      }
      if (ready.empty()) continue;
      std::vector<object_location> locs;
      for (const move& mv : ready)
        locs.push_back({.id = mv.s->at[mv.column].id, .size = mv.s->at[mv.column].size});
      if (!nodes_->allocate(n, locs)) {
        complete = false;
        continue;
      }
      for (std::size_t x = 0; x < ready.size(); ++x) {
        column& col = ready[x].s->at[ready[x].column];
        auto& loc = locs[x];
        loc.slot_bytes = static_cast<std::uint32_t>(storage::slot_bytes(loc.size));
        if (!nodes_->write(n, loc, std::span<const std::byte>(bytes[x].data(), col.size))) {
          frees[n].push_back(loc.id);
          complete = false;
          continue;
        }
        frees[col.node].push_back(col.id);
        col.node = n;
        col.offset = loc.offset;
        col.version = loc.version;
        col.written = true;
        ++moved;
        rebalanced_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (moved >= max_spans) {
      complete = false;
      break;
    }
  }
  frees_.free_on(frees);
  return moved;
}

}  // namespace remora::objects

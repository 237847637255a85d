// Sharing in an erasure-coded store: a published array's objects leave
// their spans for whole copies on m + 1 nodes (erasure_far_store.hpp says
// why), and another runtime's shared objects are read from their copies.
#include <algorithm>
#include <cstring>

#include "objects/erasure_far_store.hpp"
#include "storage/slot.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

using storage::object_id;
using storage::object_location;
using transport::errc;
using transport::error;
using transport::result;

object_location erasure_far_store::whole_location(object_id id, std::uint32_t size, const copy& c) {
  return {id, c.offset, c.version, size, static_cast<std::uint32_t>(storage::slot_bytes(size))};
}

namespace {

// Objects taken out of their spans at once: bounded, as their bytes are
// held in memory meanwhile.
constexpr std::size_t share_group_bytes = 32 << 20;

}  // namespace

std::optional<erasure_far_store::whole> erasure_far_store::find_whole(object_id id) {
  auto& s = whole_shard_of(id);
  transport::lock_guard held(s.mutex);
  auto it = s.objects.find(id);
  if (it == s.objects.end()) return std::nullopt;
  return it->second;
}

std::size_t erasure_far_store::wholes() {
  std::size_t count = 0;
  for (auto& s : wholes_) {
    transport::lock_guard held(s.mutex);
    count += s.objects.size();
  }
  return count;
}

void erasure_far_store::copies(std::uint32_t, const object_location& where,
                               std::vector<copy>& out) {
  out.clear();
  if (auto w = find_whole(where.id)) {
    for (const copy& c : w->at)
      if (!nodes_->dead(c.node)) out.push_back(c);
    return;
  }
  const member at = find(where.id);
  if (at.span == 0) return;
  auto& shard = span_shard_of(at.span);
  transport::lock_guard held(shard.mutex);
  if (auto it = shard.objects.find(at.span); it != shard.objects.end()) {
    const column& col = it->second.at[at.column];
    if (readable(col)) out.push_back({col.node, col.offset, col.version});
  }
}

result<void> erasure_far_store::share(std::span<const object_id> ids) {
  std::vector<object_id> in_spans;
  for (object_id id : ids)
    if (!find_whole(id)) in_spans.push_back(id);
  if (auto r = make_whole(in_spans); !r) return r;
  for (object_id id : ids) {
    auto& s = whole_shard_of(id);
    transport::lock_guard held(s.mutex);
    if (auto it = s.objects.find(id); it != s.objects.end())
      it->second.views = 1;  // the publisher's
  }
  return {};
}

result<void> erasure_far_store::make_whole(std::span<const object_id> ids) {
  struct taken {
    object_id id = 0;
    member at;
    std::uint32_t size = 0;
    std::vector<std::byte> bytes;    // as the code has the column: the span's length
    std::vector<copy> copies;        // the column's own copy first, when it is readable
    std::size_t own = 0;             // 1: copies[0] is the column's
    std::uint32_t at_node = absent;  // the column's node
  };
  by_node<std::vector<object_id>> frees;  // columns no longer needed, sent after each group
  std::size_t next = 0;
  while (next < ids.size()) {
    // 1. The bytes of a group of objects, as their spans hold them now.
    std::vector<taken> group;
    std::size_t held_bytes = 0;
    for (; next < ids.size() && held_bytes < share_group_bytes; ++next) {
      taken t;
      t.id = ids[next];
      t.at = find(ids[next]);
      auto& shard = span_shard_of(t.at.span);
      transport::lock_guard held(shard.mutex);
      auto it = t.at.span == 0 ? shard.objects.end() : shard.objects.find(t.at.span);
      if (it == shard.objects.end())
        return error{errc::unknown_object,
                     "object " + std::to_string(t.id) + " has no span (" + describe(0) + ")"};
      span& s = it->second;
      column& col = s.at[t.at.column];
      t.size = col.size;
      t.at_node = col.node;
      t.bytes.resize(s.length);
      if (!current_bytes(s, t.at.column, t.bytes))
        return error{errc::unknown_object,
                     "object " + std::to_string(t.id) + ": fewer than " + std::to_string(k_) +
                         " columns of its span could be read (" + describe(0) + ")"};
      if (readable(col)) {
        t.copies.push_back({col.node, col.offset, col.version});
        t.own = 1;
      }
      held_bytes += t.bytes.size();
      group.push_back(std::move(t));
    }
    // 2. The other copies: on the best-ranked reachable nodes without one,
    // one allocation batch per node, then written.
    by_node<std::vector<std::size_t>> on;  // indices into group
    for (std::size_t g = 0; g < group.size(); ++g) {
      taken& t = group[g];
      std::uint32_t wanted = m_ + 1 - static_cast<std::uint32_t>(t.copies.size());
      for (std::uint32_t n : rank_reachable(*nodes_, t.id)) {
        if (wanted == 0) break;
        if (n == t.at_node) continue;  // its column's, readable or not
        on[n].push_back(g);
        --wanted;
      }
      if (wanted != 0)
        return error{errc::peer_unreachable,
                     "object " + std::to_string(t.id) + " needs whole copies on " +
                         std::to_string(m_ + 1) +
                         " nodes to be shared, and too few are reachable (" + describe(0) + ")"};
    }
    std::optional<error> failed;
    for (std::uint32_t n = 0; n < on.size() && !failed; ++n) {
      if (on[n].empty()) continue;
      std::vector<object_location> locs;
      for (std::size_t g : on[n]) locs.push_back({.id = group[g].id, .size = group[g].size});
      if (auto r = nodes_->allocate(n, locs); !r) {
        failed = r.err();
        break;
      }
      for (std::size_t x = 0; x < on[n].size() && !failed; ++x) {
        taken& t = group[on[n][x]];
        auto w = nodes_->write(n, locs[x], {t.bytes.data(), t.size});
        if (!w) failed = w.err();
        t.copies.push_back({n, locs[x].offset, locs[x].version});  // freed below on failure
      }
    }
    if (failed) {
      for (const taken& t : group)
        for (std::size_t c = t.own; c < t.copies.size(); ++c)
          frees_.free_on(t.copies[c].node, {t.id});
      return *failed;
    }
    // 3. Each object is whole now: its bytes leave its span's parity, and
    // its column (when it was one of the copies) stays as a copy.
    for (taken& t : group) {
      {
        auto& s = whole_shard_of(t.id);
        transport::lock_guard held(s.mutex);
        s.objects[t.id] = whole{.size = t.size, .views = 0, .at = t.copies};
      }
      whole_count_.fetch_add(1, std::memory_order_relaxed);
      {
        auto& s = member_shard_of(t.id);
        transport::lock_guard held(s.mutex);
        s.objects.erase(t.id);
      }
      auto& shard = span_shard_of(t.at.span);
      transport::lock_guard held(shard.mutex);
      auto it = shard.objects.find(t.at.span);
      if (it == shard.objects.end()) continue;
      span& s = it->second;
      column& col = s.at[t.at.column];
      // The column's object is a copy now, unless it could not be read
      // (then it goes; a repair may have moved it meanwhile: its new place
      // is not one of the copies either).
      const bool kept = t.own == 1 && col.node == t.copies.front().node;
      if (!kept && col.node != absent) frees[col.node].push_back(col.id);
      remove_member(s, t.at.column, &t.bytes);
      if (s.members == 0) {
        free_span(s, frees);  // its parity alone now
        shard.objects.erase(it);
      }
    }
    frees_.free_on(frees);  // before the next group, which may fail
  }
  return {};
}

void erasure_far_store::unshare(std::span<const object_id> ids) {
  for (object_id id : ids) {
    auto& s = whole_shard_of(id);
    transport::lock_guard held(s.mutex);
    if (auto it = s.objects.find(id); it != s.objects.end()) it->second.views = 0;  // ours again
  }
}

void erasure_far_store::forget(object_id id) {
  auto& s = whole_shard_of(id);
  transport::lock_guard held(s.mutex);
  auto it = s.objects.find(id);
  if (it != s.objects.end() && it->second.views > 0 && --it->second.views == 0) {
    s.objects.erase(it);  // the publication's copies: not freed from here
    whole_count_.fetch_sub(1, std::memory_order_relaxed);
  }
}

std::uint32_t erasure_far_store::adopt(const object_location& where, std::span<const copy> copies) {
  auto& s = whole_shard_of(where.id);
  transport::lock_guard held(s.mutex);
  auto [it, made] = s.objects.try_emplace(where.id);
  if (made) whole_count_.fetch_add(1, std::memory_order_relaxed);
  if (!made && it->second.views > 0) {  // read through another record here already
    ++it->second.views;
    return 0;
  }
  it->second = whole{.size = where.size, .views = 1, .at = {copies.begin(), copies.end()}};
  return 0;
}

bool erasure_far_store::free_whole(object_id id, by_node<std::vector<object_id>>& frees) {
  auto& s = whole_shard_of(id);
  transport::lock_guard held(s.mutex);
  auto it = s.objects.find(id);
  if (it == s.objects.end()) return false;
  if (it->second.views > 0) return true;  // the publication's: it frees them
  for (const copy& c : it->second.at) frees[c.node].push_back(id);
  s.objects.erase(it);
  whole_count_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

result<void> erasure_far_store::read_whole(object_id id, const whole& w,
                                           std::span<std::byte> into) {
  for (std::size_t k = 0; k < w.at.size(); ++k) {
    const copy& c = w.at[k];
    if (!nodes_->reachable(c.node)) continue;
    object_location loc = whole_location(id, w.size, c);
    if (!nodes_->read(c.node, {&loc, 1}, {&into, 1})) continue;
    if (k > 0) failovers_.fetch_add(1, std::memory_order_relaxed);
    return {};
  }
  return error{errc::unknown_object, "object " + std::to_string(id) +
                                         ": none of its whole copies could be read (" +
                                         describe(0) + ")"};
}

result<void> erasure_far_store::read_wholes(std::span<object_location> where,
                                            std::span<const std::span<std::byte>> into,
                                            std::span<const whole> found) {
  // Each from its first reachable copy, batched per node; a batch that
  // fails is read again object by object, from any copy.
  by_node<std::vector<std::size_t>> on;
  std::vector<std::size_t> alone;
  for (std::size_t i = 0; i < where.size(); ++i) {
    const auto up = std::find_if(found[i].at.begin(), found[i].at.end(),
                                 [&](const copy& c) { return nodes_->reachable(c.node); });
    if (up == found[i].at.begin())
      on[up->node].push_back(i);
    else
      alone.push_back(i);
  }
  for (std::uint32_t n = 0; n < on.size(); ++n) {
    if (on[n].empty()) continue;
    std::vector<object_location> locs;
    std::vector<std::span<std::byte>> to;
    for (std::size_t i : on[n]) {
      locs.push_back(whole_location(where[i].id, found[i].size, found[i].at.front()));
      to.push_back(into[i]);
    }
    if (!nodes_->read(n, locs, to)) alone.insert(alone.end(), on[n].begin(), on[n].end());
  }
  for (std::size_t i : alone)
    if (auto r = read_whole(where[i].id, found[i], into[i]); !r) return r;
  return {};
}

result<void> erasure_far_store::write_whole(object_id id, std::span<const std::byte> data) {
  // Every copy, or the copy goes: a copy that missed a write must never be
  // read. The object stays while one copy took it.
  auto& s = whole_shard_of(id);
  transport::lock_guard held(s.mutex);
  auto it = s.objects.find(id);
  if (it == s.objects.end())
    return error{errc::unknown_object, "object " + std::to_string(id) + " is gone"};
  whole& w = it->second;
  std::vector<copy> kept;
  for (const copy& c : w.at) {
    object_location loc = whole_location(id, w.size, c);
    if (nodes_->reachable(c.node) && nodes_->write(c.node, loc, data))
      kept.push_back({c.node, loc.offset, loc.version});
    else
      frees_.free_on(c.node, {id});
  }
  w.at = std::move(kept);
  if (w.at.empty())
    return error{
        errc::peer_unreachable,
        "object " + std::to_string(id) + ": no whole copy could be written (" + describe(0) + ")"};
  return {};
}

}  // namespace remora::objects

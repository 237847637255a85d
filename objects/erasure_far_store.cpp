#include "objects/erasure_far_store.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <string>

#include "objects/random_id.hpp"
#include "storage/slot.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

using storage::object_id;
using storage::object_location;
using transport::errc;
using transport::error;
using transport::result;

namespace {

constexpr std::size_t erasure_shards = 64;

// Members of one span are within a factor of two of each other.
unsigned size_class(std::uint32_t size) {
  return static_cast<unsigned>(std::bit_width(size == 0 ? 0u : size - 1));
}

}  // namespace

erasure_far_store::erasure_far_store(std::unique_ptr<far_store> nodes, std::uint32_t k,
                                     std::uint32_t m, repair_options repair)
    : nodes_(std::move(nodes)),
      k_(k),
      m_(m),
      code_(static_cast<int>(k), static_cast<int>(m)),
      spans_(erasure_shards),
      members_(erasure_shards),
      wholes_(erasure_shards),
      frees_(*nodes_),
      rebalanced_to_(nodes_->epoch()) {
  // Last: the thread starts once the rest is ready.
  repairer_ = std::make_unique<repair_thread>(repair, [this](const repair_options& o) {
    maintenance_pass(*this, *nodes_, rebalanced_to_, o);
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

std::size_t erasure_far_store::spans() {
  std::size_t count = 0;
  for (auto& s : spans_) {
    transport::lock_guard held(s.mutex);
    count += s.objects.size();
  }
  return count;
}

object_location erasure_far_store::location_of(const column& c) {
  return {c.id, c.offset, c.version, c.size,
          static_cast<std::uint32_t>(storage::slot_bytes(c.size))};
}

erasure_far_store::member erasure_far_store::find(object_id id) {
  auto& s = member_shard_of(id);
  transport::lock_guard held(s.mutex);
  auto it = s.objects.find(id);
  return it == s.objects.end() ? member{} : it->second;
}

result<void> erasure_far_store::allocate(std::uint32_t, std::span<object_location> where) {
  // Spans of up to k objects of one size class, the batch sorted by size.
  std::vector<std::size_t> order(where.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return where[a].size < where[b].size; });
  struct planned {
    std::uint64_t id;
    span s;
    std::vector<std::size_t> objects;  // indices into `where`, column by column
  };
  std::vector<planned> plans;
  for (std::size_t i : order) {
    if (plans.empty() || plans.back().objects.size() == k_ ||
        size_class(where[plans.back().objects.front()].size) != size_class(where[i].size))
      plans.push_back({random_id(), {}, {}});
    plans.back().objects.push_back(i);
  }
  // Each span's columns on its best-ranked reachable nodes, one each; one
  // allocation batch per node. A span that finds fewer than k nodes holds
  // nothing: its objects find no home (version 0).
  by_node<std::vector<std::pair<std::size_t, std::uint32_t>>> on;  // (plan, column)
  for (std::size_t p = 0; p < plans.size(); ++p) {
    auto& plan = plans[p];
    const auto ranked = rank_reachable(*nodes_, plan.id);
    if (ranked.size() < k_) continue;
    for (std::size_t i : plan.objects) plan.s.length = std::max(plan.s.length, where[i].size);
    std::uint32_t next = 0;
    for (std::uint32_t c = 0; c < plan.objects.size(); ++c) {
      auto& col = plan.s.at[c];
      col.id = where[plan.objects[c]].id;
      col.size = where[plan.objects[c]].size;
      col.node = ranked[next++];
      on[col.node].emplace_back(p, c);
    }
    for (std::uint32_t j = k_; j < k_ + m_; ++j) {
      auto& col = plan.s.at[j];
      col.id = random_id();
      col.size = plan.s.length;
      if (next < ranked.size()) {  // else not placed yet: repair places it
        col.node = ranked[next++];
        on[col.node].emplace_back(p, j);
      }
    }
  }
  std::optional<error> last;
  for (std::uint32_t n = 0; n < on.size(); ++n) {
    if (on[n].empty()) continue;
    std::vector<object_location> locs;
    for (auto [p, c] : on[n])
      locs.push_back({.id = plans[p].s.at[c].id, .size = plans[p].s.at[c].size});
    auto r = nodes_->allocate(n, locs);
    for (std::size_t x = 0; x < on[n].size(); ++x) {
      auto [p, c] = on[n][x];
      auto& col = plans[p].s.at[c];
      if (!r) {
        col.node = absent;  // a member without a slot fails; parity waits for repair
        continue;
      }
      col.offset = locs[x].offset;
      col.version = locs[x].version;
      col.current = true;  // zeroes, as the code expects of a column never written
    }
    if (!r) last = r.err();
  }
  bool any = false;
  for (auto& plan : plans) {
    for (std::uint32_t c = 0; c < plan.objects.size(); ++c) {
      auto& col = plan.s.at[c];
      auto& w = where[plan.objects[c]];
      w.offset = 0;
      w.version = 0;  // version 0 tells the object store it found no home
      if (col.node == absent) {
        col = column{};  // a hole
        col.current = true;
        continue;
      }
      w.version = 1;
      ++plan.s.members;
    }
    if (plan.s.members == 0) {
      for (std::uint32_t j = k_; j < k_ + m_; ++j)
        if (plan.s.at[j].node != absent) frees_.free_on(plan.s.at[j].node, {plan.s.at[j].id});
      continue;
    }
    any = true;
    {
      auto& s = span_shard_of(plan.id);
      transport::lock_guard held(s.mutex);
      s.objects[plan.id] = plan.s;
    }
    for (std::uint32_t c = 0; c < plan.objects.size(); ++c) {
      if (plan.s.at[c].id == 0) continue;
      auto& s = member_shard_of(plan.s.at[c].id);
      transport::lock_guard held(s.mutex);
      s.objects[plan.s.at[c].id] = {plan.id, c};
    }
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
  if (whole_count_.load(std::memory_order_relaxed) != 0 && find_whole(where.id)) {
    if (auto r = write_whole(where.id, data); !r) return r;
    where.version = 1;
    return {};
  }
  const member at = find(where.id);
  auto& shard = span_shard_of(at.span);
  transport::lock_guard held(shard.mutex);
  auto it = at.span == 0 ? shard.objects.end() : shard.objects.find(at.span);
  if (it == shard.objects.end())
    return error{errc::unknown_object, "object " + std::to_string(where.id) + " has no span"};
  span& s = it->second;
  column& col = s.at[at.column];
  // The change the parity must take in: what the code holds for this
  // column now, XOR the new bytes.
  std::vector<std::byte> delta(s.length);
  const bool old_known = current_bytes(s, at.column, delta);
  for (std::size_t i = 0; i < data.size(); ++i) delta[i] ^= data[i];
  bool own = false;
  if (col.node != absent && nodes_->reachable(col.node)) {
    object_location loc = location_of(col);
    own = nodes_->write(col.node, loc, data).ok();
    if (own) {
      col.offset = loc.offset;
      col.version = loc.version;
    }
  }
  col.current = own;
  col.written = true;
  if (old_known) {
    update_parity(s, at.column, delta);
  } else {
    // What the parity holds of this column is unknown: it cannot be
    // updated, only rebuilt from the members (repair).
    for (std::uint32_t j = k_; j < k_ + m_; ++j) s.at[j].current = false;
  }
  // Readable: its own copy, or k other columns to decode it from.
  if (!own && live_columns(s, at.column) < k_)
    return error{errc::peer_unreachable, "object " + std::to_string(where.id) +
                                             ": its node and too many of its span's " +
                                             "are unreachable (" + describe(0) + ")"};
  where.version = 1;
  return {};
}

void erasure_far_store::update_parity(span& s, std::uint32_t c,
                                      const std::vector<std::byte>& delta) {
  std::vector<std::vector<std::byte>> parity(m_, std::vector<std::byte>(s.length));
  std::vector<bool> have(m_, false);
  for (std::uint32_t j = 0; j < m_; ++j) {
    column& p = s.at[k_ + j];
    if (!p.current || p.node == absent || !nodes_->reachable(p.node)) {
      p.current = false;
      continue;
    }
    if (!p.written) {
      have[j] = true;  // zeroes
      continue;
    }
    object_location loc = location_of(p);
    std::span<std::byte> into(parity[j]);
    if (nodes_->read(p.node, {&loc, 1}, {&into, 1})) {
      p.offset = loc.offset;
      p.version = loc.version;
      have[j] = true;
    } else {
      p.current = false;  // unreadable, or damaged: repair rebuilds it
    }
  }
  std::vector<std::byte*> ptrs;
  for (auto& b : parity) ptrs.push_back(b.data());
  code_.update(static_cast<int>(c), delta.data(), ptrs, s.length);
  for (std::uint32_t j = 0; j < m_; ++j) {
    if (!have[j]) continue;
    column& p = s.at[k_ + j];
    object_location loc = location_of(p);
    if (nodes_->write(p.node, loc, parity[j])) {
      p.offset = loc.offset;
      p.version = loc.version;
      p.written = true;
    } else {
      p.current = false;
    }
  }
}

std::uint32_t erasure_far_store::live_columns(const span& s, std::uint32_t except) const {
  std::uint32_t live = 0;
  for (std::uint32_t j = 0; j < k_ + m_; ++j)
    if (j != except && (zeroes(s.at[j]) ||
                        (s.at[j].current && s.at[j].node != absent && !nodes_->dead(s.at[j].node))))
      ++live;
  return live;
}

bool erasure_far_store::own_bytes(column& col, std::vector<std::byte>& bytes) {
  if (!readable(col)) return false;
  object_location loc = location_of(col);
  std::span<std::byte> into(bytes.data(), col.size);
  auto r = nodes_->read(col.node, {&loc, 1}, {&into, 1});
  if (!r) {
    if (r.err().code == errc::corrupt) col.current = false;  // a lost copy: repair rebuilds it
    return false;
  }
  col.offset = loc.offset;  // the node may have moved it
  col.version = loc.version;
  return true;
}

bool erasure_far_store::current_bytes(span& s, std::uint32_t c, std::vector<std::byte>& bytes,
                                      bool* decoded) {
  std::fill(bytes.begin(), bytes.end(), std::byte{0});
  if (decoded != nullptr) *decoded = false;
  if (zeroes(s.at[c]) || own_bytes(s.at[c], bytes)) return true;
  std::vector<std::vector<std::byte>> columns(k_ + m_, std::vector<std::byte>(s.length));
  std::vector<std::uint32_t> corrupt;
  const bool ok = read_span(s, columns, corrupt);
  for (std::uint32_t j : corrupt) s.at[j].current = false;
  if (!ok) return false;
  bytes = std::move(columns[c]);
  if (decoded != nullptr) *decoded = true;
  return true;
}

result<void> erasure_far_store::read(std::uint32_t, std::span<object_location> where,
                                     std::span<const std::span<std::byte>> into) {
  if (whole_count_.load(std::memory_order_relaxed) == 0) return read_spans(where, into);
  // Whole objects (shared) apart from those in spans.
  std::vector<object_location> in_spans, wholes;
  std::vector<std::span<std::byte>> to_spans, to_wholes;
  std::vector<whole> found;
  for (std::size_t i = 0; i < where.size(); ++i) {
    if (auto w = find_whole(where[i].id)) {
      wholes.push_back(where[i]);
      to_wholes.push_back(into[i]);
      found.push_back(std::move(*w));
    } else {
      in_spans.push_back(where[i]);
      to_spans.push_back(into[i]);
    }
  }
  if (!wholes.empty())
    if (auto r = read_wholes(wholes, to_wholes, found); !r) return r;
  if (in_spans.empty()) return {};
  return read_spans(in_spans, to_spans);
}

result<void> erasure_far_store::read_spans(std::span<object_location> where,
                                           std::span<const std::span<std::byte>> into) {
  // Each object from its own node, in one batch per node; one whose copy
  // cannot be had so is read degraded, alone.
  struct found {
    member at;
    column col;
  };
  std::vector<found> objects(where.size());
  std::vector<bool> degraded(where.size(), false);
  by_node<std::vector<std::size_t>> on;
  for (std::size_t i = 0; i < where.size(); ++i) {
    objects[i].at = find(where[i].id);
    if (objects[i].at.span != 0) {
      auto& shard = span_shard_of(objects[i].at.span);
      transport::lock_guard held(shard.mutex);
      if (auto it = shard.objects.find(objects[i].at.span); it != shard.objects.end())
        objects[i].col = it->second.at[objects[i].at.column];
    }
    const column& col = objects[i].col;
    if (col.id != where[i].id) {
      return error{errc::unknown_object,
                   "object " + std::to_string(where[i].id) + " has no span (" + describe(0) + ")"};
    }
    if (zeroes(col)) {
      std::memset(into[i].data(), 0, into[i].size());  // never written: zeroes
      continue;
    }
    if (readable(col))
      on[col.node].push_back(i);
    else
      degraded[i] = true;
  }
  for (std::uint32_t n = 0; n < on.size(); ++n) {
    if (on[n].empty()) continue;
    std::vector<object_location> locs;
    std::vector<std::span<std::byte>> to;
    for (std::size_t i : on[n]) {
      locs.push_back(location_of(objects[i].col));
      to.push_back(into[i]);
    }
    if (nodes_->read(n, locs, to)) continue;
    for (std::size_t i : on[n]) degraded[i] = true;  // one by one, decoding
  }
  for (std::size_t i = 0; i < where.size(); ++i) {
    if (!degraded[i]) continue;
    auto& shard = span_shard_of(objects[i].at.span);
    transport::lock_guard held(shard.mutex);
    auto it = shard.objects.find(objects[i].at.span);
    if (it == shard.objects.end())
      return error{errc::unknown_object, "object " + std::to_string(where[i].id) + " is gone"};
    std::vector<std::byte> bytes(it->second.length);
    // The own copy first (the batch may have failed for another object, or
    // it was repaired meanwhile), then decoding.
    bool decoded = false;
    if (!current_bytes(it->second, objects[i].at.column, bytes, &decoded))
      return error{errc::unknown_object,
                   "object " + std::to_string(where[i].id) + ": fewer than " + std::to_string(k_) +
                       " columns of its span could be read (" + describe(0) + ")"};
    if (decoded) failovers_.fetch_add(1, std::memory_order_relaxed);
    std::memcpy(into[i].data(), bytes.data(), into[i].size());
  }
  return {};
}

result<void> erasure_far_store::read_part(std::uint32_t, object_location& where, std::uint32_t from,
                                          std::span<std::byte> into) {
  if (whole_count_.load(std::memory_order_relaxed) != 0) {
    if (auto w = find_whole(where.id)) {
      for (const copy& c : w->at) {
        object_location loc = whole_location(where.id, w->size, c);
        if (nodes_->reachable(c.node) && nodes_->read_part(c.node, loc, from, into)) return {};
      }
      return error{errc::unknown_object, "object " + std::to_string(where.id) +
                                             ": none of its whole copies could be read (" +
                                             describe(0) + ")"};
    }
  }
  const member at = find(where.id);
  column col;
  if (at.span != 0) {
    auto& shard = span_shard_of(at.span);
    transport::lock_guard held(shard.mutex);
    if (auto it = shard.objects.find(at.span); it != shard.objects.end())
      col = it->second.at[at.column];
  }
  if (readable(col)) {
    object_location loc = location_of(col);
    if (nodes_->read_part(col.node, loc, from, into)) return {};
  }
  std::vector<std::byte> whole(where.size);
  std::span<std::byte> to(whole);
  if (auto r = read(0, {&where, 1}, {&to, 1}); !r) return r;
  std::memcpy(into.data(), whole.data() + from, into.size());
  return {};
}

void erasure_far_store::free_span(const span& s, by_node<std::vector<object_id>>& frees) {
  for (std::uint32_t j = 0; j < k_ + m_; ++j) {
    const column& col = s.at[j];
    if (col.id != 0 && col.node != absent) frees[col.node].push_back(col.id);
  }
}

result<void> erasure_far_store::free(std::uint32_t, std::span<const object_id> ids) {
  // By span: a span losing every member it has is freed whole; otherwise
  // each member's bytes leave the parity first (its column becomes zeroes).
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_span;
  by_node<std::vector<object_id>> frees;  // sent at the end, with no lock held
  for (object_id id : ids) {
    if (whole_count_.load(std::memory_order_relaxed) != 0 && free_whole(id, frees)) continue;
    auto& s = member_shard_of(id);
    transport::lock_guard held(s.mutex);
    auto it = s.objects.find(id);
    if (it == s.objects.end()) continue;  // already gone
    by_span[it->second.span].push_back(it->second.column);
    s.objects.erase(it);
  }
  for (auto& [id, columns] : by_span) {
    auto& shard = span_shard_of(id);
    transport::lock_guard held(shard.mutex);
    auto it = shard.objects.find(id);
    if (it == shard.objects.end()) continue;
    span& s = it->second;
    if (columns.size() >= s.members) {
      free_span(s, frees);
      shard.objects.erase(it);
      continue;
    }
    for (std::uint32_t c : columns) {
      column& col = s.at[c];
      std::vector<std::byte> old(s.length);
      const bool known = zeroes(col) || current_bytes(s, c, old);
      if (col.node != absent) frees[col.node].push_back(col.id);
      remove_member(s, c, known ? &old : nullptr);
    }
  }
  frees_.free_on(frees);
  return {};
}

void erasure_far_store::remove_member(span& s, std::uint32_t c, const std::vector<std::byte>* old) {
  if (!zeroes(s.at[c])) {
    if (old != nullptr)
      update_parity(s, c, *old);  // old XOR zeroes
    else
      for (std::uint32_t j = k_; j < k_ + m_; ++j) s.at[j].current = false;
  }
  s.at[c] = column{};
  s.at[c].current = true;  // a hole: zeroes
  --s.members;
}

}  // namespace remora::objects

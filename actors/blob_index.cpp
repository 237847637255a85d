#include "actors/blob_index.hpp"

namespace remora::actors {

blob_index::owner_id blob_index::owner_of(tenant_id tenant, const std::string& name,
                                          owner_id fresh) {
  store& s = stores_[{tenant, name}];
  if (s.owner == 0) s.owner = fresh;
  return s.owner;
}

std::optional<blob_index::owner_id> blob_index::find(tenant_id tenant,
                                                     const std::string& name) const {
  auto it = stores_.find({tenant, name});
  if (it == stores_.end()) return std::nullopt;
  return it->second.owner;
}

blob_index::replaced blob_index::put(tenant_id tenant, const std::string& name,
                                     const std::string& key, value v, std::uint64_t capacity,
                                     clock::time_point pinned_until) {
  store& s = stores_[{tenant, name}];
  replaced out;
  auto it = s.keys.find(key);
  if (it != s.keys.end()) {
    out.old = std::move(it->second.v.ids);
    s.counts.bytes -= it->second.v.bytes;
    s.lru.erase(it->second.recent);
    s.keys.erase(it);
  }
  s.counts.bytes += v.bytes;
  ++s.counts.puts;
  s.lru.push_front(key);
  s.keys.emplace(key, entry{std::move(v), s.lru.begin(), pinned_until});
  while (capacity != 0 && s.counts.bytes > capacity) {
    auto gone = evict_one(s, &key);
    if (!gone) break;
    out.evicted.insert(out.evicted.end(), gone->ids.begin(), gone->ids.end());
    ++out.evicted_keys;
  }
  s.counts.keys = s.keys.size();
  return out;
}

const blob_index::value* blob_index::get(tenant_id tenant, const std::string& name,
                                         const std::string& key, bool count) {
  auto st = stores_.find({tenant, name});
  if (st == stores_.end()) return nullptr;
  store& s = st->second;
  auto it = s.keys.find(key);
  if (it == s.keys.end()) {
    s.counts.misses += count;
    return nullptr;
  }
  if (count) {
    ++s.counts.hits;
    s.lru.splice(s.lru.begin(), s.lru, it->second.recent);
  }
  return &it->second.v;
}

std::optional<std::vector<std::uint64_t>> blob_index::erase(tenant_id tenant,
                                                            const std::string& name,
                                                            const std::string& key) {
  auto st = stores_.find({tenant, name});
  if (st == stores_.end()) return std::nullopt;
  store& s = st->second;
  auto it = s.keys.find(key);
  if (it == s.keys.end()) return std::nullopt;
  auto ids = std::move(it->second.v.ids);
  s.counts.bytes -= it->second.v.bytes;
  s.lru.erase(it->second.recent);
  s.keys.erase(it);
  s.counts.keys = s.keys.size();
  return ids;
}

std::vector<std::pair<blob_index::owner_id, std::uint64_t>> blob_index::evict_for(
    tenant_id tenant, std::uint64_t bytes) {
  std::vector<std::pair<owner_id, std::uint64_t>> dead;
  std::uint64_t freed = 0;
  bool any = true;
  while (freed < bytes && any) {
    any = false;  // a key from each store in turn, so that no store is emptied first
    for (auto& [where, s] : stores_) {
      if (where.first != tenant || freed >= bytes) continue;
      auto gone = evict_one(s, nullptr);
      if (!gone) continue;
      any = true;
      freed += gone->bytes;
      for (std::uint64_t id : gone->ids) dead.emplace_back(s.owner, id);
    }
  }
  return dead;
}

std::optional<blob_index::value> blob_index::evict_one(store& s, const std::string* keep) {
  const auto now = clock::now();
  for (auto r = s.lru.rbegin(); r != s.lru.rend(); ++r) {
    if (keep != nullptr && *r == *keep) continue;
    auto it = s.keys.find(*r);
    if (it->second.pinned_until > now) continue;
    value v = std::move(it->second.v);
    s.counts.bytes -= v.bytes;
    ++s.counts.evictions;
    s.lru.erase(std::next(r).base());
    s.keys.erase(it);
    s.counts.keys = s.keys.size();
    return v;
  }
  return std::nullopt;
}

blob_store_stats blob_index::stats(tenant_id tenant, const std::string& name) const {
  auto it = stores_.find({tenant, name});
  return it == stores_.end() ? blob_store_stats{} : it->second.counts;
}

}  // namespace remora::actors

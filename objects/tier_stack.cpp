#include "objects/tier_stack.hpp"

#include <algorithm>

namespace remora::objects {

using namespace detail;

tier_stack::tier_stack(std::vector<std::unique_ptr<local_cache>> tiers) : tiers_(std::move(tiers)) {
  for (std::size_t i = 0; i < tiers_.size(); ++i)
    if (tiers_[i]->memory().host_accessible()) last_host_ = i;
}

std::size_t tier_stack::index_of(const void* p) const {
  for (std::size_t i = 0; i < tiers_.size(); ++i)
    if (tiers_[i]->holds(p)) return i;
  return tiers_.size();
}

local_cache* tier_stack::find(storage::tier_kind kind) const {
  for (const auto& t : tiers_)
    if (t->memory().kind() == kind) return t.get();
  return nullptr;
}

std::pair<std::byte*, std::size_t> tier_stack::allocate_host(std::uint32_t size,
                                                             bool from_reserve) {
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    if (!tiers_[i]->memory().host_accessible()) continue;
    if (std::byte* slot = tiers_[i]->allocate(size, from_reserve && i == last_host_))
      return {slot, i};
  }
  return {nullptr, tiers_.size()};
}

std::size_t tier_stack::allocate_host_many(std::span<const std::uint32_t> sizes, std::byte** out) {
  std::size_t given = 0;
  for (std::size_t i = 0; i < tiers_.size() && given < sizes.size(); ++i)
    if (tiers_[i]->memory().host_accessible())
      given += tiers_[i]->allocate_many(sizes.subspan(given), out + given);
  return given;
}

void tier_stack::add_residents(std::span<object_record* const> records,
                               std::span<std::byte* const> slots) {
  for (std::size_t first = 0; first < records.size();) {
    const std::size_t tier = index_of(slots[first]);
    std::size_t end = first + 1;
    while (end < records.size() && index_of(slots[end]) == tier) ++end;
    tiers_[tier]->add_residents(records.subspan(first, end - first));
    first = end;
  }
}

bool tier_stack::could_fit_beside(std::span<const object_record* const> pinned,
                                  std::uint32_t size, std::size_t tier) const {
  std::vector<std::uint64_t> held(tiers_.size());
  for (const object_record* r : pinned) {
    const meta_state m = r->meta().load();
    if (!m.present()) continue;
    const std::size_t i = index_of(m.address());
    if (i < tiers_.size()) held[i] += tiers_[i]->footprint(r->size);
  }
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    const bool candidate = tier == tiers_.size() ? tiers_[i]->memory().host_accessible() : i == tier;
    if (candidate && held[i] + tiers_[i]->footprint(size) <= tiers_[i]->capacity()) return true;
  }
  return false;
}

void tier_stack::free_slot(std::byte* slot, std::uint32_t size) {
  tiers_[index_of(slot)]->free_slot(slot, size);
}

bool tier_stack::forget(object_record* r) {
  // An absent object is in no tier; a present one may move between the load
  // and the lock, which forget() then reports.
  for (;;) {
    const meta_state m = r->meta().load();
    const std::size_t i = m.present() ? index_of(m.address()) : last_host_;
    switch (tiers_[i == tiers_.size() ? last_host_ : i]->forget(r)) {
      case local_cache::forgotten::deletable: return true;
      case local_cache::forgotten::held: return false;
      case local_cache::forgotten::elsewhere: continue;
    }
  }
}

transport::result<tier_stack::moved> tier_stack::move(std::size_t from, std::size_t to,
                                                      const std::vector<object_record*>& victims,
                                                      detail::arrival flags) {
  std::vector<object_record*> fits, left;
  std::vector<std::byte*> slots;
  for (object_record* r : victims) {
    if (std::byte* slot = tiers_[to]->allocate(r->size)) {
      fits.push_back(r);
      slots.push_back(slot);
    } else {
      left.push_back(r);
    }
  }
  auto out = move_into(from, to, fits, slots, flags);
  if (out) out->left = std::move(left);
  return out;
}

transport::result<tier_stack::moved> tier_stack::move_into(
    std::size_t from, std::size_t to, const std::vector<object_record*>& victims,
    const std::vector<std::byte*>& slots, detail::arrival flags) {
  moved out;
  local_cache& source = *tiers_[from];
  local_cache& target = *tiers_[to];
  const bool out_of_device = !source.memory().host_accessible();
  std::vector<storage::tier_memory::copy> copies;
  for (std::size_t i = 0; i < victims.size(); ++i) {
    std::byte* at = local_cache::slot_of(victims[i]);
    copies.push_back(out_of_device ? storage::tier_memory::copy{at, slots[i], victims[i]->size}
                                   : storage::tier_memory::copy{slots[i], at, victims[i]->size});
  }
  auto copied = out_of_device ? source.memory().copy_out(copies) : target.memory().copy_in(copies);
  if (!copied) {
    for (std::size_t i = 0; i < slots.size(); ++i) target.free_slot(slots[i], victims[i]->size);
    return copied.err();
  }
  out.dead = local_cache::move(source, target, victims, slots, flags);
  out.done = victims;
  std::erase_if(out.done, [&](object_record* r) {
    return std::find(out.dead.begin(), out.dead.end(), r) != out.dead.end();
  });
  return out;
}

std::uint64_t tier_stack::used(storage::tier_kind kind) const {
  const local_cache* t = find(kind);
  return t ? t->used() : 0;
}

std::uint64_t tier_stack::capacity(storage::tier_kind kind) const {
  const local_cache* t = find(kind);
  return t ? t->capacity() : 0;
}

std::uint64_t tier_stack::host_capacity() const {
  std::uint64_t bytes = 0;
  for (const auto& t : tiers_)
    if (t->memory().host_accessible()) bytes += t->capacity();
  return bytes;
}

std::uint32_t tier_stack::max_object_size() const {
  std::uint32_t most = tiers_[last_host_]->max_object_size();
  for (const auto& t : tiers_)
    if (t->memory().host_accessible()) most = std::min(most, t->max_object_size());
  return most;
}

}  // namespace remora::objects

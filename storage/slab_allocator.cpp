#include "storage/slab_allocator.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <unordered_map>

namespace remora::storage {

std::vector<std::size_t> power_of_two_classes(std::size_t smallest, std::size_t largest) {
  std::vector<std::size_t> sizes;
  for (std::size_t bytes = std::bit_ceil(smallest); bytes <= largest; bytes *= 2)
    sizes.push_back(bytes);
  return sizes;
}

slab_allocator::slab_allocator(std::span<std::byte> memory, std::size_t page_size,
                               std::chrono::nanoseconds reuse_delay, std::size_t min_slot_bytes,
                               std::span<const std::size_t> exact_classes)
    : page_size_(page_size), reuse_delay_(reuse_delay), pages_(memory.size() / page_size) {
  assert(page_size % 8 == 0 && page_size >= 64 && page_size < (std::size_t{1} << 32));
  assert(!pages_.empty());
  // Rounding the 1.25x step down keeps every class at most 1.25x the one
  // below, so a request just above a class wastes under 20 % of its slot.
  // Small classes step by 8 bytes until 1.25x is a bigger step.
  assert(min_slot_bytes % 8 == 0 && min_slot_bytes >= 8 && min_slot_bytes <= page_size);
  for (std::size_t bytes = min_slot_bytes;;
       bytes = std::min(page_size, std::max(bytes + 8, bytes * 5 / 4 / 8 * 8))) {
    classes_.push_back(size_class{static_cast<std::uint32_t>(bytes), 0, {}});
    if (bytes == page_size) break;
  }
  // Classes of their own, in order among the others (a class between two
  // only narrows the step).
  for (const std::size_t bytes : exact_classes) {
    assert(bytes % 8 == 0);
    if (bytes < min_slot_bytes || bytes > page_size) continue;
    const auto at = std::ranges::lower_bound(classes_, bytes, {}, &size_class::bytes);
    if (at->bytes != bytes)
      classes_.insert(at, size_class{static_cast<std::uint32_t>(bytes), 0, {}});
  }
  // Lowest offsets first: pages are taken from the back.
  for (std::size_t i = pages_.size(); i-- > 0;)
    free_pages_.push_back(static_cast<std::uint32_t>(i));
}

std::optional<slot_ref> slab_allocator::allocate(std::size_t bytes, clock::time_point now) {
  if (bytes > page_size_) return std::nullopt;
  reclaim(now);
  const std::uint32_t c = class_of(bytes);
  size_class& cls = classes_[c];
  if (cls.open_pages.empty()) {
    if (free_pages_.empty()) return std::nullopt;
    const std::uint32_t fresh = free_pages_.back();
    free_pages_.pop_back();
    page& p = pages_[fresh];
    p.size_class = c;
    p.slots = static_cast<std::uint32_t>(page_size_ / cls.bytes);
    p.live.assign(p.slots, false);
    ++cls.pages;
    open(fresh);
  }
  const std::uint32_t index = cls.open_pages.back();
  page& p = pages_[index];
  std::uint32_t slot = p.carved;
  if (p.ready.empty()) {
    ++p.carved;
  } else {
    slot = p.ready.back();
    p.ready.pop_back();
  }
  if (p.ready.empty() && p.carved == p.slots) close(index);
  p.live[slot] = true;
  ++p.allocated;
  used_ += cls.bytes;
  return slot_ref{std::uint64_t{index} * page_size_ + std::uint64_t{slot} * cls.bytes, cls.bytes};
}

void slab_allocator::release(slot_ref slot, clock::time_point now) {
  ++unallocate(slot).quarantined;
  quarantine_.push_back(released_slot{slot.offset, now});
  reclaim(now);
}

slab_allocator::page& slab_allocator::unallocate(slot_ref slot) {
  assert(slot.offset / page_size_ < pages_.size());
  page& p = pages_[slot.offset / page_size_];
  const std::uint64_t within = slot.offset % page_size_;
  assert(p.size_class != no_class && classes_[p.size_class].bytes == slot.bytes &&
         within % slot.bytes == 0 && p.live[within / slot.bytes]);
  p.live[within / slot.bytes] = false;
  --p.allocated;
  used_ -= slot.bytes;
  return p;
}

bool slab_allocator::class_has_pages(std::size_t bytes) const {
  return classes_[class_of(bytes)].pages > 0;
}

std::optional<slab_allocator::clock::time_point> slab_allocator::ready_at(std::size_t bytes) const {
  if (bytes > page_size_) return std::nullopt;
  const std::uint32_t c = class_of(bytes);
  // The FIFO is in release order, so the first slot found is the soonest.
  // A page with nothing allocated returns when its last quarantined slot
  // matures: count its slots down as they pass.
  std::unordered_map<std::uint32_t, std::uint32_t> waiting;  // page -> its slots not yet passed
  for (std::size_t i = quarantine_head_; i < quarantine_.size(); ++i) {
    const auto index = static_cast<std::uint32_t>(quarantine_[i].offset / page_size_);
    const page& p = pages_[index];
    const clock::time_point at = quarantine_[i].at + reuse_delay_;
    if (p.size_class == c) return at;
    if (p.allocated == 0 && --waiting.try_emplace(index, p.quarantined).first->second == 0)
      return at;
  }
  return std::nullopt;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> slab_allocator::sparsest_page(
    std::span<const std::uint64_t> avoid) const {
  std::optional<std::size_t> best;
  auto avoided = [&](std::size_t page) {
    return std::any_of(avoid.begin(), avoid.end(),
                       [&](std::uint64_t offset) { return offset / page_size_ == page; });
  };
  for (std::size_t i = 0; i < pages_.size(); ++i) {
    if (pages_[i].allocated > 0 && (!best || pages_[i].allocated < pages_[*best].allocated) &&
        !avoided(i))
      best = i;
  }
  if (!best) return std::nullopt;
  return std::pair{std::uint64_t{*best} * page_size_, std::uint64_t{*best + 1} * page_size_};
}

std::uint32_t slab_allocator::class_of(std::size_t bytes) const {
  const auto it = std::ranges::lower_bound(classes_, bytes, {}, &size_class::bytes);
  assert(it != classes_.end());
  return static_cast<std::uint32_t>(it - classes_.begin());
}

void slab_allocator::open(std::uint32_t page_index) {
  page& p = pages_[page_index];
  auto& open_pages = classes_[p.size_class].open_pages;
  p.open_index = static_cast<std::uint32_t>(open_pages.size());
  open_pages.push_back(page_index);
}

void slab_allocator::close(std::uint32_t page_index) {
  page& p = pages_[page_index];
  auto& open_pages = classes_[p.size_class].open_pages;
  open_pages[p.open_index] = open_pages.back();
  pages_[open_pages.back()].open_index = p.open_index;
  open_pages.pop_back();
  p.open_index = not_open;
}

void slab_allocator::give_back(slot_ref slot) {
  unallocate(slot);
  make_free(slot.offset);
}

void slab_allocator::make_free(std::uint64_t offset) {
  const auto index = static_cast<std::uint32_t>(offset / page_size_);
  page& p = pages_[index];
  if (p.allocated == 0 && p.quarantined == 0) {
    if (p.open_index != not_open) close(index);
    --classes_[p.size_class].pages;
    p.size_class = no_class;
    p.carved = 0;
    p.ready.clear();
    free_pages_.push_back(index);
  } else {
    p.ready.push_back(
        static_cast<std::uint32_t>(offset % page_size_ / classes_[p.size_class].bytes));
    if (p.open_index == not_open) open(index);
  }
}

void slab_allocator::reclaim(clock::time_point now) {
  while (quarantine_head_ < quarantine_.size() &&
         quarantine_[quarantine_head_].at + reuse_delay_ <= now) {
    const std::uint64_t offset = quarantine_[quarantine_head_++].offset;
    --pages_[offset / page_size_].quarantined;
    make_free(offset);
  }
  // Dropping the consumed prefix only once it is at least half the FIFO keeps
  // the copying amortised O(1) per released slot.
  if (quarantine_head_ > 0 && quarantine_head_ * 2 >= quarantine_.size()) {
    quarantine_.erase(quarantine_.begin(), quarantine_.begin() + quarantine_head_);
    quarantine_head_ = 0;
  }
}

}  // namespace remora::storage

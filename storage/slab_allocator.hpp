// slab_allocator: a size-class slab allocator over a fixed byte range (a
// memory node's arena, or a tier's memory). It never touches that memory: all
// its bookkeeping lives on the heap, so the range may be remotely readable or
// device memory. Offsets are relative to the range's start.
//
// The range is cut into pages of page_size bytes (a trailing partial page is
// unused). A page is handed to one size class on demand and carved into slots
// of that class's size; it returns to the free page pool once all its slots
// are free and out of quarantine. Class sizes grow geometrically by at most
// 1.25x, 8-byte aligned, from min_slot_bytes (64 by default) to page_size, so a slot wastes under
// 20 % of itself (for requests of 64 bytes or more). Sizes a caller knows to
// be common (an Array's chunks) can have classes of their own: their slots
// then sit back to back, with no gap between one and the next.
//
// Quarantine: a slot released at time t is handed out again no earlier than
// t + reuse_delay, so a one-sided reader that raced the free still finds the
// invalidated slot (slot.hpp) rather than a new object's bytes. Released slots
// wait in one FIFO, in release order, which allocate and release drain: a
// matured slot becomes free in its page, and a page left with no allocated or
// quarantined slot goes back to the pool whatever its class. Times passed in
// should not go backwards; if they do, slots come back late, never early.
//
// allocate and release are O(1) amortised and allocate nothing on the heap
// beyond vector growth. sparsest_page is O(pages), for eviction decisions.
//
// Thread-safety: none. One owner (the memory node's actor) calls everything.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace remora::storage {

/// A slot handed out by slab_allocator.
struct slot_ref {
  std::uint64_t offset;  // from the start of the allocator's range; a multiple of 8
  std::uint32_t bytes;   // the class size reserved (>= the bytes asked for)
};

/// The powers of two from `smallest` to `largest`: classes of their own
/// (exact_classes below) for slots of Arrays' chunks.
std::vector<std::size_t> power_of_two_classes(std::size_t smallest, std::size_t largest);

class slab_allocator {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t default_page_size = 2 << 20;

  /// REQUIRES: page_size is a multiple of 8, at least 64 and below 4 GiB;
  /// memory holds at least one page. `exact_classes` adds a class of each
  /// of those sizes (multiples of 8; those past page_size or below
  /// min_slot_bytes are left out).
  explicit slab_allocator(std::span<std::byte> memory, std::size_t page_size = default_page_size,
                          std::chrono::nanoseconds reuse_delay = std::chrono::milliseconds(5),
                          std::size_t min_slot_bytes = 64,
                          std::span<const std::size_t> exact_classes = {});

  /// A slot of class_bytes(bytes) bytes, or nullopt when that class has no
  /// free slot and no page is free, or when bytes > max_slot_bytes().
  std::optional<slot_ref> allocate(std::size_t bytes, clock::time_point now);
  /// allocate(bytes, now), reading the clock only while slots wait in
  /// quarantine (with none, as in a cache that reuses slots at once, the
  /// time is not looked at).
  std::optional<slot_ref> allocate(std::size_t bytes) {
    return allocate(bytes,
                    quarantine_head_ < quarantine_.size() ? clock::now() : clock::time_point{});
  }

  /// Puts `slot` into quarantine until now + reuse_delay.
  /// REQUIRES: `slot` came from allocate and has not been released since.
  void release(slot_ref slot, clock::time_point now = clock::now());

  /// Frees `slot` at once, without quarantine: for a slot no reader has been
  /// told of (an allocation undone before its reply left).
  /// REQUIRES: as release.
  void give_back(slot_ref slot);

  /// Bytes in whole pages.
  std::size_t capacity() const { return pages_.size() * page_size_; }
  /// Bytes of the slots currently allocated, counted by class size.
  std::size_t used() const { return used_; }
  std::size_t page_size() const { return page_size_; }
  std::size_t max_slot_bytes() const { return page_size_; }
  std::chrono::nanoseconds reuse_delay() const { return reuse_delay_; }
  /// The slot size allocate(bytes) reserves. REQUIRES: bytes <= max_slot_bytes().
  std::size_t class_bytes(std::size_t bytes) const { return classes_[class_of(bytes)].bytes; }
  /// The slot handed out at `offset`, its size from its page's class (so
  /// that its holder need keep only the offset). REQUIRES: the slot is
  /// allocated.
  slot_ref slot_at(std::uint64_t offset) const {
    const page& p = pages_[offset / page_size_];
    return {offset, classes_[p.size_class].bytes};
  }

  /// Whether the class serving `bytes` holds any page (so evicting objects of
  /// that class can make room for it without a free page).
  /// REQUIRES: bytes <= max_slot_bytes().
  bool class_has_pages(std::size_t bytes) const;
  /// [begin, end) offsets of the page with the fewest allocated slots among
  /// pages with at least one; releasing every slot in it frees the page
  /// (after reuse_delay). Pages holding any offset in `avoid` (slots that
  /// cannot be released now) are passed over. nullopt when no page is left.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> sparsest_page(
      std::span<const std::uint64_t> avoid = {}) const;
  /// Pages in the free pool, as of the latest allocate or release.
  std::size_t free_pages() const { return free_pages_.size(); }
  /// When allocate(bytes) will succeed by waiting alone, if it fails now:
  /// the time the first quarantined slot of bytes' class matures, or a page
  /// with nothing allocated in it returns to the pool, whichever is sooner.
  /// nullopt when nothing in quarantine would serve it (or bytes is too big).
  /// O(slots in quarantine): for the slow path.
  std::optional<clock::time_point> ready_at(std::size_t bytes) const;

 private:
  static constexpr std::uint32_t no_class = ~std::uint32_t{0};
  static constexpr std::uint32_t not_open = ~std::uint32_t{0};

  struct page {
    std::uint32_t size_class = no_class;
    std::uint32_t slots = 0;   // slots of the class that fit in the page
    std::uint32_t carved = 0;  // slots [0, carved) have been handed out before
    std::uint32_t allocated = 0;
    std::uint32_t quarantined = 0;
    std::uint32_t open_index = not_open;  // position in its class's open_pages
    std::vector<std::uint32_t> ready;     // released, matured slot indices
    // Per slot: allocated. Only asserts read it, but it exists in release
    // builds too so that the class layout does not depend on NDEBUG.
    std::vector<bool> live;
  };

  struct size_class {
    std::uint32_t bytes;
    std::uint32_t pages = 0;                // pages held
    std::vector<std::uint32_t> open_pages;  // pages with a free or uncarved slot
  };

  struct released_slot {
    std::uint64_t offset;
    clock::time_point at;
  };

  std::uint32_t class_of(std::size_t bytes) const;
  void open(std::uint32_t page_index);
  void close(std::uint32_t page_index);
  // Marks `slot` no longer allocated (REQUIRES: as release); its page.
  page& unallocate(slot_ref slot);
  // The slot at `offset`, neither allocated nor quarantined any more, is
  // free in its page; a page left empty returns to the pool.
  void make_free(std::uint64_t offset);
  void reclaim(clock::time_point now);

  std::size_t page_size_;
  std::chrono::nanoseconds reuse_delay_;
  std::vector<size_class> classes_;
  std::vector<page> pages_;
  std::vector<std::uint32_t> free_pages_;
  std::vector<released_slot> quarantine_;  // FIFO: [quarantine_head_, end) waits
  std::size_t quarantine_head_ = 0;
  std::size_t used_ = 0;
};

}  // namespace remora::storage

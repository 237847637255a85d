#include "storage/slab_allocator.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <vector>

using namespace remora::storage;
using namespace std::chrono_literals;
using clock_point = slab_allocator::clock::time_point;

namespace {

constexpr std::size_t MiB = std::size_t{1} << 20;
constexpr clock_point t0{};

/// Sorted sweep: every slot 8-aligned, inside [0, capacity), none overlapping.
void check_disjoint_inside(std::vector<slot_ref> slots, std::size_t capacity) {
  std::sort(slots.begin(), slots.end(),
            [](const slot_ref& a, const slot_ref& b) { return a.offset < b.offset; });
  std::uint64_t end = 0;
  std::size_t bad = 0;
  for (const slot_ref& s : slots) {
    bad += s.offset % 8 != 0 || s.offset < end;
    end = s.offset + s.bytes;
  }
  CHECK(bad == 0);
  CHECK(end <= capacity);
}

std::size_t sum_bytes(const std::vector<slot_ref>& slots) {
  std::size_t sum = 0;
  for (const slot_ref& s : slots) sum += s.bytes;
  return sum;
}

}  // namespace

TEST_CASE("a 64 MiB arena fills with mixed sizes, empties, and fills again", "[storage][slab]") {
  std::vector<std::byte> memory(64 * MiB);
  slab_allocator slabs(memory);
  REQUIRE(slabs.capacity() == 64 * MiB);
  REQUIRE(slabs.free_pages() == 32);

  // Log-uniform sizes from 64 B to 1 MiB; stop once every class that has a
  // page is full and no page is free (many failures in a row).
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> log_size(std::log(64.0), std::log(double(MiB)));
  std::vector<slot_ref> slots;
  int failures_in_a_row = 0;
  while (failures_in_a_row < 1000) {
    const auto bytes = static_cast<std::size_t>(std::exp(log_size(rng)));
    const auto slot = slabs.allocate(bytes, t0);
    if (!slot) {
      ++failures_in_a_row;
      REQUIRE(slabs.free_pages() == 0);
      continue;
    }
    failures_in_a_row = 0;
    REQUIRE(slot->bytes >= bytes);
    REQUIRE(slot->bytes == slabs.class_bytes(bytes));
    REQUIRE(slabs.slot_at(slot->offset).bytes == slot->bytes);  // its size from its page
    slots.push_back(*slot);
  }
  INFO(slots.size() << " slots, " << slabs.used() << " bytes used");
  check_disjoint_inside(slots, slabs.capacity());
  CHECK(slabs.used() == sum_bytes(slots));
  CHECK(slabs.used() > slabs.capacity() / 2);

  const clock_point t1 = t0 + 1s;
  for (const slot_ref& s : slots) slabs.release(s, t1);
  CHECK(slabs.used() == 0);
  CHECK(slabs.free_pages() == 0);  // all quarantined
  CHECK_FALSE(slabs.allocate(64, t1 + 5ms - 1ns));

  const clock_point t2 = t1 + 5ms;
  std::vector<slot_ref> pages;
  while (auto page = slabs.allocate(slabs.max_slot_bytes(), t2)) pages.push_back(*page);
  CHECK(pages.size() == 32);
  CHECK(slabs.used() == slabs.capacity());
  check_disjoint_inside(pages, slabs.capacity());
}

TEST_CASE("a released slot is quarantined for reuse_delay", "[storage][slab]") {
  std::vector<std::byte> memory(4096);
  slab_allocator slabs(memory, 4096, 10ms);

  SECTION("the only slot of the arena") {
    const auto a = slabs.allocate(4096, t0);
    REQUIRE(a);
    CHECK(a->offset == 0);
    CHECK(a->bytes == 4096);
    CHECK_FALSE(slabs.allocate(4096, t0));
    slabs.release(*a, t0 + 1s);
    CHECK_FALSE(slabs.allocate(4096, t0 + 1s));
    CHECK_FALSE(slabs.allocate(4096, t0 + 1s + 10ms - 1ns));
    const auto again = slabs.allocate(4096, t0 + 1s + 10ms);
    REQUIRE(again);
    CHECK(again->offset == 0);
  }

  SECTION("slots of a full page come back in release order, each after its delay") {
    std::vector<slot_ref> slots;
    while (auto s = slabs.allocate(64, t0)) slots.push_back(*s);
    REQUIRE(slots.size() == 4096 / 64);
    const clock_point t1 = t0 + 1s;
    slabs.release(slots[5], t1);
    slabs.release(slots[9], t1 + 5ms);
    CHECK_FALSE(slabs.allocate(64, t1 + 10ms - 1ns));
    const auto first = slabs.allocate(64, t1 + 10ms);
    REQUIRE(first);
    CHECK(first->offset == slots[5].offset);
    CHECK_FALSE(slabs.allocate(64, t1 + 15ms - 1ns));
    const auto second = slabs.allocate(64, t1 + 15ms);
    REQUIRE(second);
    CHECK(second->offset == slots[9].offset);
  }

  SECTION("a page with room carves a fresh slot instead") {
    const auto a = slabs.allocate(100, t0);
    REQUIRE(a);
    slabs.release(*a, t0);
    const auto b = slabs.allocate(100, t0);
    REQUIRE(b);
    CHECK(b->offset != a->offset);
    CHECK(slabs.used() == b->bytes);
  }
}

TEST_CASE("a slot given back is free at once, and an emptied page returns to the pool",
          "[storage][slab]") {
  std::vector<std::byte> memory(2 * 4096);
  slab_allocator slabs(memory, 4096, 10ms);
  std::vector<slot_ref> small;
  while (auto s = slabs.allocate(64, t0)) small.push_back(*s);
  REQUIRE(small.size() == 2 * 4096 / 64);
  slabs.give_back(small[7]);
  CHECK(slabs.used() == (small.size() - 1) * 64);
  const auto again = slabs.allocate(64, t0);  // no time has passed
  REQUIRE(again);
  CHECK(again->offset == small[7].offset);
  // A whole page given back goes to any class, with no delay either.
  CHECK_FALSE(slabs.allocate(4096, t0));
  for (const slot_ref& s : small)
    if (s.offset < 4096) slabs.give_back(s);
  const auto page = slabs.allocate(4096, t0);
  REQUIRE(page);
  CHECK(page->offset == 0);
  // Released slots still wait out their delay beside given-back ones.
  slabs.release(small.back(), t0);
  slabs.give_back(small[small.size() - 2]);
  const auto next = slabs.allocate(64, t0);
  REQUIRE(next);
  CHECK(next->offset == small[small.size() - 2].offset);
  CHECK_FALSE(slabs.allocate(64, t0 + 10ms - 1ns));
  CHECK(slabs.allocate(64, t0 + 10ms));
}

TEST_CASE("evacuating the sparsest page frees a whole page", "[storage][slab]") {
  constexpr std::size_t page = 64 * 1024;
  std::vector<std::byte> memory(8 * page);
  slab_allocator slabs(memory, page, 1ms);
  CHECK_FALSE(slabs.sparsest_page());

  std::map<std::uint64_t, std::vector<slot_ref>> by_page;
  while (auto s = slabs.allocate(1000, t0)) by_page[s->offset / page].push_back(*s);
  REQUIRE(by_page.size() == 8);
  REQUIRE(slabs.free_pages() == 0);

  // Page k keeps k + 2 slots, except page 5, which keeps one.
  const clock_point t1 = t0 + 1s;
  for (auto& [index, slots] : by_page) {
    const std::size_t keep = index == 5 ? 1 : index + 2;
    for (std::size_t i = keep; i < slots.size(); ++i) slabs.release(slots[i], t1);
    slots.resize(keep);
  }
  const auto sparsest = slabs.sparsest_page();
  REQUIRE(sparsest);
  CHECK(sparsest->first == 5 * page);
  CHECK(sparsest->second == 6 * page);
  // A page with a slot that cannot go now (pinned) is passed over: the next
  // sparsest is page 0, with two slots.
  const std::uint64_t pinned[] = {by_page[5][0].offset};
  CHECK(slabs.sparsest_page(pinned)->first == 0);

  const clock_point t2 = t1 + 1s;
  for (const slot_ref& s : by_page[5]) {
    REQUIRE(s.offset >= sparsest->first);
    REQUIRE(s.offset + s.bytes <= sparsest->second);
    slabs.release(s, t2);
  }
  CHECK_FALSE(slabs.allocate(page, t2));
  const auto whole = slabs.allocate(page, t2 + 1ms);
  REQUIRE(whole);
  CHECK(whole->offset == 5 * page);
  slabs.release(*whole, t2 + 1ms);
  CHECK(slabs.sparsest_page()->first == 0);  // its 2 slots are now the fewest
}

TEST_CASE("class sizes waste at most 25 % and grow 8-byte aligned up to the page",
          "[storage][slab]") {
  std::vector<std::byte> memory(2 * MiB);
  slab_allocator slabs(memory);
  CHECK(slabs.page_size() == 2 * MiB);
  CHECK(slabs.max_slot_bytes() == 2 * MiB);
  CHECK(slabs.class_bytes(1) == 64);
  CHECK(slabs.class_bytes(64) == 64);
  CHECK(slabs.class_bytes(65) == 80);
  CHECK(slabs.class_bytes(2 * MiB) == 2 * MiB);

  double worst = 0;
  std::size_t misfits = 0, classes = 0, previous = 0;
  for (std::size_t bytes = 64; bytes <= slabs.max_slot_bytes(); ++bytes) {
    const std::size_t c = slabs.class_bytes(bytes);
    misfits += c < bytes || c % 8 != 0 || (previous != 0 && c != previous && c > previous * 5 / 4);
    worst = std::max(worst, double(c - bytes) / double(c));
    if (c != previous) ++classes;
    previous = c;
  }
  CHECK(misfits == 0);
  CHECK(worst <= 0.25);
  CHECK(classes < 60);
}

TEST_CASE("exact classes: slots of those sizes lie back to back, and the steps stay within 1.25x",
          "[storage][slab]") {
  std::vector<std::byte> memory(4 * MiB);
  const auto exact = power_of_two_classes(4096, 2 * MiB);
  REQUIRE(exact.size() == 10);  // 4 KiB .. 2 MiB
  CHECK(exact.front() == 4096);
  CHECK(exact.back() == 2 * MiB);
  CHECK(power_of_two_classes(3000, 5000) == std::vector<std::size_t>{4096});
  slab_allocator plain(memory);
  slab_allocator slabs(memory, 2 * MiB, 0ns, 64, exact);
  CHECK(plain.class_bytes(16384) == 17376);  // the geometric class: 992 bytes between chunks
  CHECK(slabs.class_bytes(16384) == 16384);
  CHECK(slabs.class_bytes(16385) == 17376);
  CHECK(slabs.class_bytes(16383) == 16384);
  CHECK(slabs.class_bytes(65) == 80);  // the others as before

  // 128 slots of 16 KiB in a 2 MiB page (120 of 17,376 bytes without), each
  // at the end of the one before.
  std::vector<std::uint64_t> offsets;
  for (int i = 0; i < 128; ++i) {
    const auto slot = slabs.allocate(16384, t0);
    REQUIRE(slot);
    CHECK(slot->bytes == 16384);
    offsets.push_back(slot->offset);
  }
  std::ranges::sort(offsets);
  for (std::size_t i = 1; i < offsets.size(); ++i) CHECK(offsets[i] - offsets[i - 1] == 16384);
  CHECK(slabs.used() == 128 * 16384);
  CHECK(slabs.free_pages() == 1);

  std::size_t misfits = 0, previous = 0;
  for (std::size_t bytes = 64; bytes <= slabs.max_slot_bytes(); ++bytes) {
    const std::size_t c = slabs.class_bytes(bytes);
    misfits += c < bytes || c % 8 != 0 || (previous != 0 && c != previous && c > previous * 5 / 4);
    previous = c;
  }
  CHECK(misfits == 0);
}

TEST_CASE("capacity is whole pages, and pages go back and forth between classes",
          "[storage][slab]") {
  std::vector<std::byte> memory(5 * 4096 / 2);
  slab_allocator slabs(memory, 4096, 0ns);
  CHECK(slabs.capacity() == 2 * 4096);
  CHECK(slabs.free_pages() == 2);
  CHECK_FALSE(slabs.class_has_pages(200));
  CHECK_FALSE(slabs.allocate(4097, t0));

  const auto a = slabs.allocate(200, t0);
  REQUIRE(a);
  CHECK(slabs.class_has_pages(200));
  CHECK(slabs.class_has_pages(slabs.class_bytes(200)));
  CHECK_FALSE(slabs.class_has_pages(64));
  CHECK(slabs.free_pages() == 1);
  CHECK(slabs.used() == a->bytes);

  slabs.release(*a, t0);  // no reuse delay: the page returns at once
  CHECK_FALSE(slabs.class_has_pages(200));
  CHECK(slabs.free_pages() == 2);
  CHECK(slabs.used() == 0);
}

TEST_CASE("ready_at says when waiting alone lets an allocation succeed", "[storage][slab]") {
  std::vector<std::byte> memory(2 * 4096);
  slab_allocator slabs(memory, 4096, 10ms);
  // Two pages: one of 64-byte slots, one of 4 KiB.
  std::vector<slot_ref> small;
  while (small.size() < 4096 / 64) small.push_back(*slabs.allocate(64, t0));
  const auto big = slabs.allocate(4096, t0);
  REQUIRE(big);
  CHECK_FALSE(slabs.allocate(64, t0));
  CHECK_FALSE(slabs.ready_at(64));  // nothing in quarantine
  CHECK_FALSE(slabs.ready_at(4096));
  CHECK_FALSE(slabs.ready_at(2 * 4096));  // never fits

  const clock_point t1 = t0 + 1s;
  slabs.release(small[3], t1);
  slabs.release(small[7], t1 + 2ms);
  CHECK(slabs.ready_at(64) == t1 + 10ms);  // the first of its class
  CHECK(slabs.ready_at(40) == t1 + 10ms);  // the same class
  // The 4 KiB class: the small page still holds slots, so it never returns.
  CHECK_FALSE(slabs.ready_at(4096));

  // The big page emptied: it returns to the pool when its slot matures, and
  // then serves any class.
  slabs.release(*big, t1 + 3ms);
  CHECK(slabs.ready_at(4096) == t1 + 13ms);
  CHECK(slabs.ready_at(2000) == t1 + 13ms);
  CHECK(slabs.ready_at(64) == t1 + 10ms);
  const auto again = slabs.allocate(64, t1 + 10ms);
  REQUIRE(again);
  CHECK(again->offset == small[3].offset);
  CHECK(slabs.ready_at(64) == t1 + 12ms);  // the next one
  CHECK_FALSE(slabs.allocate(4096, t1 + 13ms - 1ns));
  CHECK(slabs.allocate(4096, *slabs.ready_at(4096)));
}

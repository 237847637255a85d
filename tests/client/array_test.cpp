// Array<T> round trips through a cache ten times smaller than its data, and
// prefetchers follow declared orders (and detected ones) ahead of the
// reader.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "remora/remora.hpp"

namespace {

constexpr std::size_t n = 8'000'000;  // 64 MB of uint64_t against a 6 MiB cache

std::uint64_t value_for(std::size_t i) {
  return i * 2654435761u + 17;
}

// Prefetching on threads of its own, whatever the machine's cores (its
// default on fewer than 3 cores is the reader's thread, tested below too).
remora::Options on_prefetcher_threads() {
  return remora::Options{}.prefetch_on_reader(false).dram_cache(6 << 20).embedded_capacity(512ull
                                                                                           << 20);
}

remora::Array<std::uint64_t> filled(remora::Runtime& rt) {
  auto a = rt.make_array<std::uint64_t>(n);
  for (std::size_t i = 0; i < n; ++i) a.write(i, value_for(i));
  return a;
}

struct chunk_counts {
  std::uint64_t touched, prefetch_hits, misses, issued, wasted;
  // Of the chunk touches that needed bytes from far memory, the share a
  // prefetch had already brought.
  double coverage() const {
    return prefetch_hits + misses == 0 ? 1.0
                                       : double(prefetch_hits) / double(prefetch_hits + misses);
  }
};

// Prefetched chunks not read yet, nor evicted unread, in the whole run.
std::uint64_t prefetched_ahead(const remora::Stats& s) {
  const std::uint64_t used = s.prefetch_hits + s.prefetch_wasted;
  return s.prefetch_issued > used ? s.prefetch_issued - used : 0;
}

// Reads `order` (element indices) one scope per element and counts what the
// prefetcher did meanwhile; the chunks touched are the distinct chunks in order.
// `work` stands for what a program does with each element: prefetching hides
// far memory behind compute, and a reader that does none is bound by the
// fetch bandwidth whatever is declared. With `paced`, the reader entering a
// chunk first waits (up to 20 ms) until the prefetcher has something ready
// ahead of it: what is counted is whether the prefetcher fetches along the
// order, not whether it wins a race for a loaded machine's cores.
template <class Order>
chunk_counts read_in(remora::Runtime& rt, remora::Array<std::uint64_t>& a, const Order& order,
                     std::size_t& wrong, std::chrono::nanoseconds work = {}, bool paced = false) {
  const auto before = rt.stats();
  std::uint64_t touched = 0;
  std::size_t last_chunk = static_cast<std::size_t>(-1);
  const std::size_t per = remora::array_chunk_bytes / sizeof(std::uint64_t);
  for (std::size_t i : order) {
    if (paced && i / per != last_chunk)
      for (auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
           prefetched_ahead(rt.stats()) == 0 && std::chrono::steady_clock::now() < until;)
        std::this_thread::yield();
    wrong += a.read(i) != value_for(i);
    for (auto until = std::chrono::steady_clock::now() + work;
         work.count() > 0 && std::chrono::steady_clock::now() < until;) {
    }
    if (i / per != last_chunk) ++touched;
    last_chunk = i / per;
  }
  const auto after = rt.stats();
  return {touched, after.prefetch_hits - before.prefetch_hits, after.misses - before.misses,
          after.prefetch_issued - before.prefetch_issued,
          after.prefetch_wasted - before.prefetch_wasted};
}

// Nearly every chunk entry that needed bytes from far memory (95 %) found
// them prefetched.
void check_prefetched(const chunk_counts& c) {
  INFO("touched " << c.touched << " hits " << c.prefetch_hits << " misses " << c.misses
                  << " issued " << c.issued << " wasted " << c.wasted);
  CHECK(c.coverage() >= 0.95);
}

}  // namespace

TEST_CASE("an array ten times the cache round-trips", "[client][array]") {
  remora::Runtime rt(remora::Options{}.dram_cache(6 << 20).embedded_capacity(512ull << 20));
  auto a = filled(rt);
  CHECK(a.size() == n);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < n; ++i) wrong += a.read(i) != value_for(i);
  std::mt19937_64 rng(1);
  for (int k = 0; k < 100'000; ++k) {
    const std::size_t i = rng() % n;
    wrong += a.read(i) != value_for(i);
  }
  std::size_t scanned = 0;
  for (const std::uint64_t& v : a.scan()) wrong += v != value_for(scanned++);
  CHECK(scanned == n);
  CHECK(wrong == 0);
  CHECK_THROWS_AS(a.read(n), remora::InvalidObject);
  CHECK(rt.stats().evictions > 0);
}

TEST_CASE(
    "a table of 256-byte rows goes home thousands at a time, and rows never written read zeros",
    "[client][array]") {
  // 262,144 rows (64 MiB) written through a 16 MiB cache: each eviction writes
  // thousands of rows home (allocated a part at a time while the part
  // before is written); a quarter more rows are never written.
  remora::Runtime rt(remora::Options{}.dram_cache(16 << 20).embedded_capacity(512ull << 20));
  constexpr std::size_t per_row = 32, written = 262'144, rows = written + written / 4;
  auto a = rt.make_array<std::uint64_t>(rows * per_row, per_row * sizeof(std::uint64_t));
  CHECK(rt.stats().dram_used == 0);  // made, not yet anywhere
  for (std::size_t i = 0; i < written * per_row;) {
    remora::DerefScope scope;
    for (std::uint64_t& v : a.span_mut(scope, i)) v = value_for(i++);
  }
  const auto filled = rt.stats();
  CHECK(filled.writebacks > written / 2);
  CHECK(filled.writeback_failures == 0);
  CHECK(filled.misses == 0);  // nothing was read back to be written
  // Rows never written: zeros, read from nowhere.
  std::size_t zeros = 0;
  for (std::size_t i = written * per_row; i < a.size(); ++i) zeros += a.read(i) == 0;
  CHECK(zeros == (rows - written) * per_row);
  CHECK(rt.stats().misses == 0);
  CHECK(rt.stats().bytes_in == 0);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < written * per_row; ++i) wrong += a.read(i) != value_for(i);
  CHECK(wrong == 0);
  CHECK(rt.stats().misses > 0);
  // Each written row went home once at most; none of the others did.
  CHECK(rt.stats().writebacks <= written);
}

TEST_CASE("spans reach every element once, through a cache ten times smaller", "[client][array]") {
  remora::Runtime rt(remora::Options{}.dram_cache(6 << 20).embedded_capacity(512ull << 20));
  const std::size_t odd = n - 3;  // the last chunk is a partial one
  auto a = rt.make_array<std::uint64_t>(odd);
  for (std::size_t i = 0; i < odd;) {
    remora::DerefScope scope;
    auto s = a.span_mut(scope, i);
    for (auto& v : s) v = value_for(i++);
  }
  std::size_t seen = 0, wrong = 0;
  a.prefetch(remora::order::sequential());
  for (std::size_t i = 0; i < odd;) {
    remora::DerefScope scope;
    auto s = a.span(scope, i);
    REQUIRE(!s.empty());
    for (std::uint64_t v : s) wrong += v != value_for(i++);
    seen += s.size();
  }
  CHECK(seen == odd);
  CHECK(wrong == 0);
  remora::DerefScope scope;
  CHECK(a.span(scope, odd - 1).size() == 1);
  CHECK(a.span(scope, 5).size() == remora::array_chunk_bytes / sizeof(std::uint64_t) - 5);
  CHECK_THROWS_AS(a.span(scope, odd), remora::InvalidObject);
  CHECK(rt.stats().evictions > 0);
}

TEST_CASE("declared orders are followed: prefetch hits for nearly every chunk",
          "[client][array][prefetch]") {
  remora::Runtime rt(on_prefetcher_threads());
  auto a = filled(rt);
  std::size_t wrong = 0;
  const std::size_t per = remora::array_chunk_bytes / sizeof(std::uint64_t);

  SECTION("sequential") {
    a.prefetch(remora::order::sequential());
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    check_prefetched(read_in(rt, a, order, wrong, std::chrono::nanoseconds(200), true));
  }
  SECTION("strided") {
    const std::size_t stride = per + 5;  // every touch a different chunk
    a.prefetch(remora::order::strided(7, stride));
    std::vector<std::size_t> order;
    for (std::size_t i = 7; i < n; i += stride) order.push_back(i);
    check_prefetched(read_in(rt, a, order, wrong, std::chrono::microseconds(20), true));
  }
  SECTION("indices") {
    std::mt19937_64 rng(4);
    std::vector<std::size_t> order(20'000);
    for (auto& i : order) i = rng() % n;
    a.prefetch(remora::order::indices(order));
    check_prefetched(read_in(rt, a, order, wrong, std::chrono::microseconds(20), true));
  }
  SECTION("generator") {  // an order known only as it unfolds
    std::mt19937_64 rng(6);
    std::vector<std::size_t> order(20'000);
    for (auto& i : order) i = rng() % n;
    std::size_t next = 0;
    a.prefetch(remora::order::generator([&order, next]() mutable -> std::optional<std::size_t> {
      if (next == order.size()) return std::nullopt;
      return order[next++];
    }));
    check_prefetched(read_in(rt, a, order, wrong, std::chrono::microseconds(20), true));
  }
  CHECK(wrong == 0);
}

TEST_CASE("prefetching on the reader's own thread fetches ahead along declared orders",
          "[client][array][prefetch]") {
  // No prefetcher thread: the reader fetches half a window at a time when
  // it nears the end of what was fetched, so nearly every chunk it enters
  // is a prefetch hit, whatever else the machine is doing.
  remora::Runtime rt(remora::Options{}
                         .dram_cache(6 << 20)
                         .embedded_capacity(512ull << 20)
                         .prefetch_on_reader(true));
  auto a = filled(rt);
  std::size_t wrong = 0;
  SECTION("sequential") {
    a.prefetch(remora::order::sequential());
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    check_prefetched(read_in(rt, a, order, wrong));
  }
  SECTION("indices") {
    std::mt19937_64 rng(5);
    std::vector<std::size_t> order(20'000);
    for (auto& i : order) i = rng() % n;
    a.prefetch(remora::order::indices(order));
    check_prefetched(read_in(rt, a, order, wrong));
  }
  CHECK(wrong == 0);
}

TEST_CASE("sequential access is detected, random access prefetches nothing",
          "[client][array][prefetch]") {
  remora::Runtime rt(on_prefetcher_threads());
  auto a = filled(rt);
  std::size_t wrong = 0;
  std::mt19937_64 rng(8);
  std::vector<std::size_t> random(50'000);
  for (auto& i : random) i = rng() % n;
  auto r = read_in(rt, a, random, wrong);
  INFO("random: touched " << r.touched << " issued " << r.issued << " wasted " << r.wasted);
  CHECK(r.issued <= r.touched / 100);
  std::vector<std::size_t> sequential(n / 2);
  for (std::size_t i = 0; i < sequential.size(); ++i) sequential[i] = n / 4 + i;
  auto s = read_in(rt, a, sequential, wrong, std::chrono::nanoseconds(200), true);
  INFO("sequential: touched " << s.touched << " hits " << s.prefetch_hits << " misses " << s.misses
                              << " wasted " << s.wasted);
  CHECK(s.coverage() >= 0.95);
  CHECK(wrong == 0);
}

TEST_CASE("a prefetcher replaced mid-scan, or whose array dies mid-scan, ends cleanly",
          "[client][array][prefetch][threads]") {
  remora::Runtime rt(on_prefetcher_threads());
  {
    auto a = filled(rt);
    a.prefetch(remora::order::sequential());
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n / 4; ++i) wrong += a.read(i) != value_for(i);
    a.prefetch(remora::order::strided(n / 2, 1000));
    for (std::size_t i = n / 2; i < n; i += 1000) wrong += a.read(i) != value_for(i);
    a.prefetch(remora::order::none());
    a.prefetch(remora::order::sequential(n / 2));
    for (std::size_t i = n / 2; i < n / 2 + 10'000; ++i) wrong += a.read(i) != value_for(i);
    CHECK(wrong == 0);
  }  // destroyed while its prefetcher runs ahead
  auto b = rt.make_array<std::uint64_t>(1000);
  b.write(999, 5);
  CHECK(b.read(999) == 5);
}

TEST_CASE("a vector grows past the cache and reads back, with an order declared",
          "[client][array]") {
  remora::Runtime rt(on_prefetcher_threads());
  auto v = rt.make_vector<std::uint64_t>();
  v.prefetch(remora::order::sequential());
  constexpr std::size_t count = 3'000'000;  // 24 MB
  for (std::size_t i = 0; i < count; ++i) v.push_back(value_for(i));
  CHECK(v.size() == count);
  std::size_t wrong = 0, scanned = 0;
  for (const std::uint64_t& x : v.scan()) wrong += x != value_for(scanned++);
  CHECK(scanned == count);
  v.write(17, 3);
  CHECK(v.read(17) == 3);
  CHECK(wrong == 0);
  CHECK_THROWS_AS(v.read(count), remora::InvalidObject);
}

TEST_CASE("fetch brings a gather's chunks in one batch, and nothing under order::off()",
          "[client][array][prefetch]") {
  remora::Runtime rt(remora::Options{}.dram_cache(6 << 20).embedded_capacity(512ull << 20));
  auto a = filled(rt);  // its first chunks have long been evicted
  const std::size_t per = remora::array_chunk_bytes / sizeof(std::uint64_t);
  std::vector<std::size_t> wanted;
  for (std::size_t c = 0; c < 64; ++c) wanted.push_back(c * per);

  a.prefetch(remora::order::off());
  auto before = rt.stats();
  a.fetch(wanted);
  CHECK(rt.stats().prefetch_issued == before.prefetch_issued);

  a.prefetch(remora::order::none());
  before = rt.stats();
  a.fetch(wanted);
  CHECK(rt.stats().prefetch_issued - before.prefetch_issued == wanted.size());
  std::size_t wrong = 0;
  for (std::size_t i : wanted) wrong += a.read(i) != value_for(i);
  CHECK(wrong == 0);
}

TEST_CASE("random reads of an array four times the cache fetch elements, not chunks",
          "[client][array]") {
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20).embedded_capacity(512ull << 20));
  const std::size_t elements = (16 << 20) / sizeof(std::uint64_t);
  auto a = rt.make_array<std::uint64_t>(elements);
  for (std::size_t i = 0; i < elements; ++i) a.write(i, value_for(i));
  std::mt19937_64 rng(21);
  std::size_t wrong = 0;
  for (int k = 0; k < 2'000; ++k) {  // long enough for the reads to go apart
    const std::size_t i = rng() % elements;
    wrong += a.read(i) != value_for(i);
  }
  const auto before = rt.stats();
  constexpr int reads = 20'000;
  for (int k = 0; k < reads; ++k) {
    const std::size_t i = rng() % elements;
    wrong += a.read(i) != value_for(i);
  }
  const auto after = rt.stats();
  CHECK(wrong == 0);
  // Whole chunks would move 16 KiB a miss; elements move 8 bytes (and one
  // miss in 64 still brings its chunk in).
  const double per_read = double(after.bytes_in - before.bytes_in) / reads;
  INFO("bytes in per read: " << per_read);
  CHECK(per_read < remora::array_chunk_bytes / 8);
  // A walk afterwards is still seen as one: whole chunks, prefetched.
  std::vector<std::size_t> walk(elements / 2);
  for (std::size_t i = 0; i < walk.size(); ++i) walk[i] = elements / 4 + i;
  auto s = read_in(rt, a, walk, wrong, std::chrono::nanoseconds(200), true);
  INFO("walk: touched " << s.touched << " hits " << s.prefetch_hits << " misses " << s.misses);
  CHECK(s.coverage() >= 0.9);
  CHECK(wrong == 0);
}

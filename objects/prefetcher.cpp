#include "objects/prefetcher.hpp"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <limits>
#include <optional>
#include <vector>

#include "transport/mutex.hpp"
#include "transport/stop_flag.hpp"

namespace remora::objects {

namespace {

using order_kind = order::declared::kind;

// Chunks ahead of the reader, and in one batch of gets. The cap (8 MiB of
// 16 KiB chunks) keeps enough in flight for a tcp link, where each batch
// pays a round of requests through the node's progress: PageRank at scale
// 20 over UCX tcp took 0.71-0.81 s with it against 0.85-0.93 s with a cap
// of 128 chunks in batches of 64 (over shared memory, no change). In a
// cache smaller than the window, prefetched chunks are evicted unused and
// the window halves; and it never passes half the cache.
constexpr std::size_t min_window = 4, max_window = 512, initial_window = 64;
constexpr std::size_t batch_chunks = 256;
// A link that brings a chunk in less than this (shared memory: 2-5 us for
// 16 KiB here, against 20+ us over tcp) needs little lead: its window
// stays within memory_link_window chunks, so what it brings is still in the
// CPU's caches when the reader gets there. PageRank pulling at scale 20
// over shared memory, 30 iterations: 1.41 s with this bound against 2.01 s
// without on 2 threads, 1.47 s against 1.53 s on one.
constexpr auto memory_link_chunk = std::chrono::microseconds(8);
constexpr std::size_t memory_link_window = 32;
// How long a prefetcher whose last batch found the cache full waits before
// trying again, unless the reader moves first.
constexpr auto full_retry = std::chrono::milliseconds(1);

}  // namespace

struct prefetcher::follower {
  follower(detail::prefetch_plan p, prefetcher::hooks h) : plan(std::move(p)), hooks(std::move(h)) {
    if (hooks.cache_bytes != 0 && !plan.chunks->empty()) {
      const std::uint64_t chunk = std::max<std::uint32_t>(1, (*plan.chunks)[0]->size);
      cap = static_cast<std::size_t>(
          std::clamp<std::uint64_t>(hooks.cache_bytes / chunk / 2, min_window, max_window));
    }
    if (hooks.chunk_ns != nullptr)
      per_chunk = std::chrono::nanoseconds(hooks.chunk_ns->load(std::memory_order_relaxed));
    window = std::min(initial_window, bound());
  }

  detail::prefetch_plan plan;
  prefetcher::hooks hooks;
  bool cache_full = false;       // the last batch was cut short
  std::size_t cap = max_window;  // the window's bound for this cache
  // The time a chunk took to come in, averaged over batches (a moving
  // average, 1/8 each); zero until a batch of several was measured.
  std::chrono::nanoseconds per_chunk{0};
  std::size_t window = initial_window;
  std::uint64_t issued_pos = 0;  // order positions handed out so far
  std::size_t last_chunk = static_cast<std::size_t>(-1);
  std::uint64_t last_wasted = 0;
  std::deque<std::size_t> generated;  // generator orders: indices from issued_pos on
  bool ended = false;

  // The element at order position `pos`, or nullopt past the order's end.
  std::optional<std::size_t> element_at(std::uint64_t pos) {
    const auto& o = plan.order;
    const std::size_t end = std::min(o.end, plan.size);
    switch (o.what) {
      case order_kind::sequential:
      case order_kind::strided: {
        const std::uint64_t e = o.begin + pos * o.stride;
        if (e >= end) return std::nullopt;
        return static_cast<std::size_t>(e);
      }
      case order_kind::indices:
        if (pos >= o.list->size()) return std::nullopt;
        return std::min((*o.list)[pos], plan.size - 1);
      case order_kind::generator: {
        while (generated.size() <= pos - issued_pos) {
          auto next = o.next();
          if (!next || *next >= plan.size) return std::nullopt;
          generated.push_back(*next);
        }
        return generated[pos - issued_pos];
      }
      case order_kind::none:
      case order_kind::off:
        return std::nullopt;
    }
    return std::nullopt;
  }

  // The reader's position in the order, from its cursor.
  std::uint64_t reader_pos() const {
    const std::uint64_t c = plan.cursor->load(std::memory_order_relaxed);
    const auto& o = plan.order;
    if (o.what == order_kind::sequential || o.what == order_kind::strided)
      return c < o.begin ? 0 : (c - o.begin) / o.stride;
    return c;
  }

  // The cursor value of order position `pos` (reader_pos's inverse).
  std::uint64_t cursor_at(std::uint64_t pos) const {
    const auto& o = plan.order;
    if (o.what == order_kind::sequential || o.what == order_kind::strided)
      return o.begin + pos * o.stride;
    return pos;
  }

  // Where the reader's cursor must get before an idle thread is worth
  // waking: half a window behind what was issued, so that each wake-up
  // issues half a window in one batch rather than a chunk at a time.
  std::uint64_t wake_cursor() const {
    const std::uint64_t half = window * positions_per_chunk() / 2;
    const std::uint64_t reader = reader_pos();
    return cursor_at(std::max(reader + 1, issued_pos > half ? issued_pos - half : 0));
  }

  // The next position worth looking at after `pos`, whose element is in
  // `chunk`: sequential and strided orders jump to the next chunk at once.
  std::uint64_t next_position(std::uint64_t pos, std::size_t chunk) const {
    const auto& o = plan.order;
    if (o.what != order_kind::sequential && o.what != order_kind::strided) return pos + 1;
    const std::uint64_t next_chunk_start = (chunk + 1) * plan.elements_per_chunk;
    if (next_chunk_start <= o.begin) return pos + 1;
    const std::uint64_t jump = (next_chunk_start - o.begin + o.stride - 1) / o.stride;
    return std::max(pos + 1, jump);
  }

  // The window's bound: the cache's, and a memory-speed link's.
  std::size_t bound() const {
    if (per_chunk.count() != 0 && per_chunk < memory_link_chunk)
      return std::max(min_window, std::min(cap, memory_link_window));
    return cap;
  }

  // Positions one chunk of window stands for.
  std::uint64_t positions_per_chunk() const {
    const auto& o = plan.order;
    if (o.what == order_kind::sequential) return plan.elements_per_chunk;
    if (o.what == order_kind::strided)
      return std::max<std::uint64_t>(1, plan.elements_per_chunk / o.stride);
    return 1;
  }

  // One round: returns whether it issued anything.
  bool run() {
    const std::uint64_t reader = reader_pos();
    const std::uint64_t wasted = hooks.wasted();
    if (wasted > last_wasted)
      window = std::max(min_window, window / 2);
    else if (reader >= issued_pos && issued_pos > 0)
      window = std::min(bound(), window * 2);
    window = std::min(window, bound());
    last_wasted = wasted;
    // Fell behind: skip what the reader has passed. A generator's indices
    // are consumed, not skipped, so its positions stay in step.
    while (issued_pos < reader) {
      if (plan.order.what == order_kind::generator) {
        if (!element_at(issued_pos)) {
          ended = true;
          break;
        }
        generated.pop_front();
      }
      issued_pos = plan.order.what == order_kind::generator ? issued_pos + 1 : reader;
    }
    const std::uint64_t until = reader + window * positions_per_chunk();
    std::vector<detail::object_record*> batch;
    std::vector<std::uint64_t> positions;  // where each batch entry's chunk starts in the order
    std::uint64_t pos = issued_pos;
    std::size_t chunk_seen = last_chunk;
    while (pos < until && batch.size() < batch_chunks) {
      auto e = element_at(pos);
      if (!e) {
        ended = true;
        break;
      }
      const std::size_t chunk = *e / plan.elements_per_chunk;
      if (chunk != chunk_seen) {
        chunk_seen = chunk;
        batch.push_back((*plan.chunks)[chunk]);
        positions.push_back(pos);
      }
      pos = next_position(pos, chunk);
    }
    const auto started = std::chrono::steady_clock::now();
    std::size_t fetched = 0;
    const std::size_t handled = batch.empty() ? 0 : hooks.fetch(batch, fetched);
    if (fetched >= 4) {  // time per chunk brought in
      const std::chrono::nanoseconds each =
          (std::chrono::steady_clock::now() - started) / static_cast<std::int64_t>(fetched);
      per_chunk = per_chunk.count() == 0 ? each : per_chunk + (each - per_chunk) / 8;
      if (hooks.chunk_ns != nullptr)
        hooks.chunk_ns->store(per_chunk.count(), std::memory_order_relaxed);
    }
    // Advance past what was dealt with; a full cache leaves the rest for later.
    const std::uint64_t next = handled < batch.size() ? positions[handled] : pos;
    if (plan.order.what == order_kind::generator)
      for (std::uint64_t p = issued_pos; p < next && !generated.empty(); ++p) generated.pop_front();
    cache_full = handled < batch.size();
    if (cache_full) {
      ended = false;
      last_chunk = handled == 0 ? last_chunk : static_cast<std::size_t>(-1);
    } else {
      last_chunk = chunk_seen;
    }
    issued_pos = next;
    return handled > 0;
  }
};

prefetcher::prefetcher(detail::prefetch_plan plan, hooks h)
    : work_(std::make_unique<follower>(std::move(plan), std::move(h))) {
  work_->last_wasted = work_->hooks.wasted();
  if (work_->hooks.on_reader) {  // no thread: reader_moved() runs the rounds
    idle_.store(true, std::memory_order_relaxed);
    return;
  }
  thread_ = std::thread([this] {
    transport::stop_flag_scope stoppable(&stop_);
    if (work_->hooks.connect) work_->hooks.connect();
    run();
  });
  ::pthread_setname_np(thread_.native_handle(), "remora.prefetch");
}

prefetcher::~prefetcher() {
  if (!thread_.joinable()) return;
  {
    transport::lock_guard lock(mutex_);
    stop_.store(true, std::memory_order_release);
  }
  wake_.notify_one();
  thread_.join();
}

void prefetcher::reader_moved() {
  // Seq_cst with the thread's own idle store and cursor load: either it
  // sees the reader's new position, or the reader sees it idle (and where
  // it wants waking) and wakes it.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!idle_.load(std::memory_order_relaxed)) return;
  if (work_->plan.cursor->load(std::memory_order_relaxed) <
      wake_at_.load(std::memory_order_relaxed))
    return;
  if (work_->hooks.on_reader) {
    rounds();
    return;
  }
  transport::lock_guard lock(mutex_);
  wake_.notify_one();
}

void prefetcher::rounds() {
  follower& w = *work_;
  while (!w.ended && w.run()) {
  }
  wake_at_.store(w.ended        ? std::numeric_limits<std::uint64_t>::max()
                 : w.cache_full ? w.cursor_at(w.reader_pos() + 1)
                                : w.wake_cursor(),
                 std::memory_order_relaxed);
}

void prefetcher::run() {
  follower& w = *work_;
  for (;;) {
    const bool busy = w.run();
    if (busy) {
      if (stop_.load(std::memory_order_acquire)) return;
      continue;
    }
    const std::uint64_t wake_at = w.cache_full ? w.cursor_at(w.reader_pos() + 1) : w.wake_cursor();
    wake_at_.store(wake_at, std::memory_order_relaxed);
    idle_.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    transport::unique_lock lock(mutex_);
    auto moved = [&] {
      return stop_.load(std::memory_order_relaxed) ||
             w.plan.cursor->load(std::memory_order_relaxed) >= wake_at;
    };
    if (w.ended)  // the order is done: nothing more to follow
      wake_.wait(lock, [&] { return stop_.load(std::memory_order_relaxed); });
    else if (w.cache_full)
      wake_.wait_for(lock, full_retry, moved);
    else
      wake_.wait(lock, moved);
    idle_.store(false, std::memory_order_relaxed);
    if (stop_.load(std::memory_order_relaxed)) return;
  }
}

}  // namespace remora::objects

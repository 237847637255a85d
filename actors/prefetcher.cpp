#include "actors/prefetcher.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <thread>
#include <vector>

#include "actors/control_plane_impl.hpp"

namespace remora::actors {

namespace {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using order_kind = order::declared::kind;

// Chunks ahead of the reader. The cap keeps what is prefetched and not yet
// read well inside a small cache.
constexpr std::size_t min_window = 4, max_window = 128, initial_window = 64;
constexpr std::size_t batch_chunks = 64;
// How long an idle prefetcher sleeps before looking at the cursor again;
// shorter than a reader takes for a few chunks.
constexpr auto idle_poll = std::chrono::microseconds(20);

struct follower {
  detail::prefetch_plan plan;
  prefetcher::hooks hooks;
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
    if (wasted > last_wasted) window = std::max(min_window, window / 2);
    else if (reader >= issued_pos && issued_pos > 0) window = std::min(max_window, window * 2);
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
    const std::size_t handled = batch.empty() ? 0 : hooks.fetch(batch);
    // Advance past what was dealt with; a full cache leaves the rest for later.
    const std::uint64_t next = handled < batch.size() ? positions[handled] : pos;
    if (plan.order.what == order_kind::generator)
      for (std::uint64_t p = issued_pos; p < next && !generated.empty(); ++p) generated.pop_front();
    if (handled < batch.size()) {
      ended = false;
      last_chunk = handled == 0 ? last_chunk : static_cast<std::size_t>(-1);
    } else {
      last_chunk = chunk_seen;
    }
    issued_pos = next;
    return handled > 0;
  }
};

struct prefetcher_state {
  follower* work = nullptr;
  static inline const char* name = "remora.prefetcher";
};

caf::behavior prefetch_actor(caf::stateful_actor<prefetcher_state>* self, follower* work) {
  self->state.work = work;
  self->send(self, tick_atom::value);
  return {
      [self](tick_atom) {
        follower& w = *self->state.work;
        const bool busy = w.run();
        if (w.ended && !busy) return;  // the order is done: nothing more to follow
        // A detached actor has its thread to itself: a short sleep here polls
        // the cursor more finely than a timer message could.
        if (!busy) std::this_thread::sleep_for(idle_poll);
        self->send(self, tick_atom::value);
      },
  };
}

}  // namespace

struct prefetcher::impl {
  control_plane::impl& cp;
  follower work;
  caf::actor actor;
};

prefetcher::prefetcher(control_plane& cp, detail::prefetch_plan plan, hooks h)
    : impl_(new impl{cp.internals(), follower{std::move(plan), std::move(h)}, {}}) {
  impl_->work.last_wasted = impl_->work.hooks.wasted();
  impl_->actor = cp.internals().system.spawn<caf::detached>(prefetch_actor, &impl_->work);
}

prefetcher::~prefetcher() {
  caf::scoped_actor self{impl_->cp.system};
  self->send_exit(impl_->actor, caf::exit_reason::user_shutdown);
  self->wait_for(impl_->actor);
}

}  // namespace remora::actors

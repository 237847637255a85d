// prefetcher: the actor that follows one declared iteration order of one
// array, ahead of its reader. It polls the reader's cursor, works out which
// chunks the next `window` positions of the order touch, and has them fetched
// in batches (through the runtime, on the actor's own thread, so through its
// own UCX workers). The window adapts: it doubles while the reader catches
// up with what was issued (prefetches arrive late) and halves when prefetched
// chunks are evicted unused. It stops when the order ends or when the
// prefetcher is destroyed (the order was replaced, or the array is gone).
//
// Thread-safety: construct and destroy from one thread; the actor runs detached.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "actors/control_plane.hpp"
#include "remora/detail/object_record.hpp"

namespace remora::actors {

class prefetcher final : public detail::prefetch_session {
 public:
  struct hooks {
    /// Fetches those of `chunks` that are absent, in order; returns how many
    /// of them it dealt with (fewer than all when the cache is full).
    std::function<std::size_t(std::span<detail::object_record* const> chunks)> fetch;
    /// Prefetched chunks evicted unused so far (runtime-wide).
    std::function<std::uint64_t()> wasted;
  };

  prefetcher(control_plane& cp, detail::prefetch_plan plan, hooks h);
  ~prefetcher() override;  // stops the actor and waits for it

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace remora::actors

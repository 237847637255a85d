// tiering_manager: decides when the local tiers evacuate (demote, evict) and
// promote. The mechanics (sweep, claim, move, write back, finish) are the
// runtime's and the tiers'; the
// manager owns the schedule. Its actor ticks every few milliseconds and takes
// nudges from threads that saw pressure; when the cache is under pressure (or
// housekeeping is due) it hands a round to the manager's worker thread, which
// runs rounds until the pressure is gone. Rounds block (on open scopes, on
// write-backs), so they run on that thread of their own, never in an actor.
//
// Thread-safety: nudge() may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

#include "actors/control_plane.hpp"

namespace remora::actors {

class tiering_manager {
 public:
  struct hooks {
    std::function<bool()> under_pressure;     // free room below the low watermark
    std::function<std::size_t()> evacuate;    // one round; how many objects left
    std::function<void()> housekeeping;       // e.g. flush queued frees, promote
  };

  tiering_manager(control_plane& cp, hooks h);
  ~tiering_manager();  // stops the actor and waits for it
  tiering_manager(const tiering_manager&) = delete;
  tiering_manager& operator=(const tiering_manager&) = delete;

  /// Asks for a round soon. Cheap; calls before that round coalesce.
  void nudge();

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace remora::actors

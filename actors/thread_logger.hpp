// drop_thread_logger: CAF 0.17 keeps a reference to an actor system's logger
// in a thread-local of every thread that makes the system or spawns an actor,
// until that thread ends, and the system's destructor waits for the logger
// to go. An application thread that lives on (a pool's worker that once
// asked a node something, or the thread that made a Runtime that another
// thread ends) would hold that destructor, and the Runtime's, for good.
// Remora logs nothing through CAF: wherever a caller's thread makes a system
// or spawns an actor, the reference is dropped at once.
#pragma once

#include <caf/logger.hpp>

namespace remora::actors {

inline void drop_thread_logger() {
  caf::logger::set_current_actor_system(nullptr);
}

}  // namespace remora::actors

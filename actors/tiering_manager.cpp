#include "actors/tiering_manager.hpp"

#include <chrono>

#include "actors/control_plane_impl.hpp"

namespace remora::actors {

namespace {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using nudge_atom = caf::atom_constant<caf::atom("nudge")>;

constexpr auto tick_interval = std::chrono::milliseconds(5);
// A round that frees nothing (everything pinned, nodes slow) backs off.
constexpr int max_rounds_per_wake = 64;

struct manager_state {
  tiering_manager::hooks hooks;
  std::atomic<bool>* nudged = nullptr;
  static inline const char* name = "remora.tiering_manager";
};

void run_rounds(manager_state& st) {
  st.nudged->store(false, std::memory_order_release);
  for (int round = 0; round < max_rounds_per_wake && st.hooks.under_pressure(); ++round)
    if (st.hooks.evacuate() == 0) break;
  st.hooks.housekeeping();
}

caf::behavior tiering_actor(caf::stateful_actor<manager_state>* self, tiering_manager::hooks h,
                            std::atomic<bool>* nudged) {
  self->state.hooks = std::move(h);
  self->state.nudged = nudged;
  self->send(self, tick_atom::value);
  return {
      [self](tick_atom) {
        run_rounds(self->state);
        self->delayed_send(self, tick_interval, tick_atom::value);
      },
      [self](nudge_atom) { run_rounds(self->state); },
  };
}

}  // namespace

struct tiering_manager::impl {
  control_plane::impl& cp;
  std::atomic<bool> nudged{false};
  caf::actor actor;
};

tiering_manager::tiering_manager(control_plane& cp, hooks h)
    : impl_(new impl{cp.internals(), {}, {}}) {
  impl_->actor = cp.internals().system.spawn<caf::detached>(tiering_actor, std::move(h),
                                                             &impl_->nudged);
}

tiering_manager::~tiering_manager() {
  caf::scoped_actor self{impl_->cp.system};
  self->send_exit(impl_->actor, caf::exit_reason::user_shutdown);
  self->wait_for(impl_->actor);
}

void tiering_manager::nudge() {
  if (!impl_->nudged.exchange(true, std::memory_order_acq_rel))
    caf::anon_send(impl_->actor, nudge_atom::value);
}

}  // namespace remora::actors

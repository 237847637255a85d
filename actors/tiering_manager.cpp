#include "actors/tiering_manager.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "actors/control_plane_impl.hpp"

namespace remora::actors {

namespace {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using nudge_atom = caf::atom_constant<caf::atom("nudge")>;

constexpr auto tick_interval = std::chrono::milliseconds(5);
// A round that frees nothing (everything pinned, nodes slow) ends the burst.
constexpr int max_rounds_per_wake = 64;

// The thread that runs rounds when asked.
class round_runner {
 public:
  explicit round_runner(tiering_manager::hooks h)
      : hooks_(std::move(h)), thread_([this] { run(); }) {}
  ~round_runner() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  void request() {
    {
      std::lock_guard lock(mutex_);
      requested_ = true;
    }
    wake_.notify_one();
  }
  bool under_pressure() const { return hooks_.under_pressure(); }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return requested_ || stop_; });
      if (stop_) return;
      requested_ = false;
      lock.unlock();
      for (int round = 0; round < max_rounds_per_wake && hooks_.under_pressure(); ++round)
        if (hooks_.evacuate() == 0) break;
      hooks_.housekeeping();
      lock.lock();
    }
  }

  tiering_manager::hooks hooks_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;  // GUARDED_BY(mutex_)
  bool stop_ = false;       // GUARDED_BY(mutex_)
  std::thread thread_;
};

struct manager_state {
  round_runner* runner = nullptr;
  std::atomic<bool>* nudged = nullptr;
  int ticks = 0;
  static inline const char* name = "remora.tiering_manager";
};

caf::behavior tiering_actor(caf::stateful_actor<manager_state>* self, round_runner* runner,
                            std::atomic<bool>* nudged) {
  self->state.runner = runner;
  self->state.nudged = nudged;
  self->send(self, tick_atom::value);
  return {
      [self](tick_atom) {
        auto& st = self->state;
        // Under pressure: a round now. Otherwise housekeeping every 10 ticks.
        if (st.runner->under_pressure() || ++st.ticks % 10 == 0) st.runner->request();
        self->delayed_send(self, tick_interval, tick_atom::value);
      },
      [self](nudge_atom) {
        self->state.nudged->store(false, std::memory_order_release);
        self->state.runner->request();
      },
  };
}

}  // namespace

struct tiering_manager::impl {
  impl(control_plane::impl& c, hooks h) : cp(c), runner(std::move(h)) {}
  control_plane::impl& cp;
  round_runner runner;
  std::atomic<bool> nudged{false};
  caf::actor actor;
};

tiering_manager::tiering_manager(control_plane& cp, hooks h)
    : impl_(std::make_unique<impl>(cp.internals(), std::move(h))) {
  impl_->actor = cp.internals().system.spawn(tiering_actor, &impl_->runner, &impl_->nudged);
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

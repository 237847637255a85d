#include "transport/progress_thread.hpp"

namespace remora::transport {

namespace {
// How long an idle sleep lasts before the stop flag is looked at again.
constexpr int idle_sleep_ms = 20;
}  // namespace

progress_thread::progress_thread(worker& w, unsigned spin_rounds)
    : worker_(w), thread_([this, spin_rounds] { run(spin_rounds); }) {}

progress_thread::~progress_thread() {
  stop_.store(true, std::memory_order_relaxed);
  thread_.join();
}

void progress_thread::run(unsigned spin_rounds) {
  unsigned idle = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    if (worker_.progress() != 0) {
      idle = 0;
    } else if (++idle >= spin_rounds) {
      worker_.wait_for_events(idle_sleep_ms);
      idle = 0;
    }
  }
}

}  // namespace remora::transport

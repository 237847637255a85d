#include "transport/progress_thread.hpp"

#include <chrono>

namespace remora::transport {

namespace {
// How long an idle sleep lasts before the stop flag is looked at again.
constexpr int idle_sleep_ms = 20;
}  // namespace

progress_thread::progress_thread(worker& w, std::chrono::microseconds spin)
    : worker_(w), thread_([this, spin] { run(spin); }) {}

progress_thread::~progress_thread() {
  stop_.store(true, std::memory_order_relaxed);
  thread_.join();
}

void progress_thread::run(std::chrono::microseconds spin) {
  using clock = std::chrono::steady_clock;
  auto last_event = clock::now();
  unsigned idle = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    if (worker_.progress() != 0) {
      idle = 0;
      continue;
    }
    // The clock is read every few idle rounds, not every round.
    if (++idle % 16 != 0) continue;
    const auto now = clock::now();
    if (idle == 16) last_event = now;
    if (now - last_event >= spin) {
      worker_.wait_for_events(idle_sleep_ms);
      idle = 0;
    }
  }
}

}  // namespace remora::transport

#include "transport/progress_thread.hpp"

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
  idle_rounds idle(spin);
  while (!stop_.load(std::memory_order_relaxed)) {
    if (worker_.progress() != 0)
      idle.note_events();
    else
      idle.idle_round(worker_, idle_sleep_ms);
  }
}

}  // namespace remora::transport

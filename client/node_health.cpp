#include "client/node_health.hpp"

#include <pthread.h>

#include <algorithm>

namespace remora::client {

using clock = std::chrono::steady_clock;

node_health::node_health(std::vector<std::uint64_t> ids, heartbeat beat, options o)
    : ids_(std::move(ids)),
      beat_(std::move(beat)),
      opts_(o),
      down_(std::make_unique<std::atomic<bool>[]>(ids_.size())),
      dead_(std::make_unique<std::atomic<bool>[]>(ids_.size())),
      last_answer_(ids_.size(), clock::now()),
      backoff_(ids_.size(), o.interval),
      thread_([this] { loop(); }) {}

node_health::~node_health() {
  {
    std::lock_guard held(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void node_health::loop() {
  pthread_setname_np(pthread_self(), "remora.health");
  std::vector<clock::time_point> due(ids_.size(), clock::now() + opts_.interval);
  std::unique_lock held(mutex_);
  while (!stop_) {
    const auto next = *std::min_element(due.begin(), due.end());
    if (wake_.wait_until(held, next, [&] { return stop_; })) break;
    held.unlock();
    for (std::uint32_t n = 0; n < ids_.size(); ++n)
      if (!dead(n) && clock::now() >= due[n]) due[n] = beat(n);
    held.lock();
    for (std::uint32_t n = 0; n < ids_.size(); ++n)
      if (dead(n)) due[n] = clock::time_point::max();
    if (std::all_of(due.begin(), due.end(), [](auto t) { return t == clock::time_point::max(); }))
      wake_.wait(held, [&] { return stop_; });
  }
}

clock::time_point node_health::beat(std::uint32_t n) {
  auto answer = beat_(n, down_[n]);
  const auto now = clock::now();
  if (answer && *answer == ids_[n]) {
    last_answer_[n] = now;
    backoff_[n] = opts_.interval;
    down_[n].store(false, std::memory_order_release);
    return now + opts_.interval;
  }
  down_[n].store(true, std::memory_order_release);
  if (answer || now - last_answer_[n] >= opts_.dead_after) {  // another node, or gone too long
    dead_[n].store(true, std::memory_order_release);
    return clock::time_point::max();
  }
  // Unanswered: try again, less and less often (at most once a second).
  backoff_[n] = std::min<std::chrono::milliseconds>(backoff_[n] * 2, std::chrono::seconds(1));
  return now + backoff_[n];
}

}  // namespace remora::client

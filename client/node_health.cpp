#include "client/node_health.hpp"

#include <pthread.h>

#include <algorithm>

namespace remora::client {

using clock = std::chrono::steady_clock;

node_health::node_health(std::vector<std::uint64_t> ids, heartbeat beat, options o)
    : ids_([&] {
        auto all = std::make_unique<std::uint64_t[]>(max_nodes);
        std::copy_n(ids.begin(), std::min<std::size_t>(ids.size(), max_nodes), all.get());
        return all;
      }()),
      count_(static_cast<std::uint32_t>(std::min<std::size_t>(ids.size(), max_nodes))),
      beat_(std::move(beat)),
      opts_(o),
      timeout_ns_(std::chrono::nanoseconds(o.timeout).count()),
      signals_(std::make_shared<signals>()),
      dead_(std::make_unique<std::atomic<bool>[]>(max_nodes)),
      leaving_(std::make_unique<std::atomic<bool>[]>(max_nodes)),
      beat_since_(std::make_unique<std::atomic<std::int64_t>[]>(max_nodes)),
      last_answer_(max_nodes, clock::now()),
      backoff_(max_nodes, o.interval),
      unanswered_(max_nodes, 0),
      thread_([this] { loop(); }) {}

std::uint32_t node_health::add(std::uint64_t id) {
  std::uint32_t n;
  {
    transport::lock_guard held(signals_->mutex);
    n = count_.load(std::memory_order_relaxed);
    ids_[n] = id;
    signals_->urgent[n] = true;  // its first heartbeat at once
    count_.store(n + 1, std::memory_order_release);
  }
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  signals_->wake.notify_all();
  return n;
}

node_health::~node_health() {
  {
    transport::lock_guard held(signals_->mutex);
    signals_->stop = true;
  }
  signals_->wake.notify_all();
  thread_.join();
}

void node_health::signals::lost(std::uint32_t node) {
  down[node].store(true, std::memory_order_release);
  {
    transport::lock_guard held(mutex);
    urgent[node] = true;
  }
  wake.notify_all();
}

void node_health::loop() {
  pthread_setname_np(pthread_self(), "remora.health");
  auto& sig = *signals_;
  std::vector<clock::time_point> due(max_nodes, clock::time_point::max());
  for (std::uint32_t n = 0; n < nodes(); ++n) due[n] = clock::now();  // the first at once
  std::uint32_t known = nodes();
  transport::unique_lock held(sig.mutex);
  while (!sig.stop) {
    const auto next = *std::min_element(due.begin(), due.end());
    const bool woken = sig.wake.wait_until(held, next, [&]() REMORA_REQUIRES(sig.mutex) {
      return sig.stop || std::find(sig.urgent.begin(), sig.urgent.end(), true) != sig.urgent.end();
    });
    if (sig.stop) break;
    const std::uint32_t count = nodes();
    for (; known < count; ++known) last_answer_[known] = clock::now();  // joined
    if (woken)
      for (std::uint32_t n = 0; n < count; ++n)
        if (sig.urgent[n]) {
          sig.urgent[n] = false;
          // A lost connection is made again now; a node that joined has
          // its first heartbeat.
          if (!dead(n)) due[n] = std::min(due[n], clock::now());
        }
    held.unlock();
    for (std::uint32_t n = 0; n < count; ++n)
      if (!dead(n) && clock::now() >= due[n]) due[n] = beat(n);
    held.lock();
    for (std::uint32_t n = 0; n < count; ++n)
      if (dead(n)) due[n] = clock::time_point::max();
  }
}

clock::time_point node_health::beat(std::uint32_t n) {
  beat_since_[n].store(now_ns(), std::memory_order_release);
  auto got = beat_(n, [sig = signals_, n] { sig->lost(n); });
  const auto now = clock::now();
  beat_since_[n].store(0, std::memory_order_release);
  if (got && got->id == ids_[n]) {
    if (leaving_[n].exchange(got->leaving, std::memory_order_acq_rel) != got->leaving)
      epoch_.fetch_add(1, std::memory_order_acq_rel);
    last_answer_[n] = now;
    unanswered_[n] = 0;
    backoff_[n] = opts_.interval;
    signals_->down[n].store(false, std::memory_order_release);
    return now + opts_.interval;
  }
  signals_->down[n].store(true, std::memory_order_release);
  ++unanswered_[n];
  if (got ||  // another node at its address
      (opts_.left && opts_.left(n)) ||
      (now - last_answer_[n] >= opts_.dead_after && unanswered_[n] >= dead_beats)) {
    dead_[n].store(true, std::memory_order_release);
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    return clock::time_point::max();
  }
  // Unanswered: try again, less and less often (at most once a second).
  backoff_[n] = std::min<std::chrono::milliseconds>(backoff_[n] * 2, std::chrono::seconds(1));
  return now + backoff_[n];
}

}  // namespace remora::client

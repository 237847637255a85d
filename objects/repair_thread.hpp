// repair_thread: the background half of a store that keeps several copies or
// pieces of each object (replicated_far_store, erasure_far_store): a plain
// thread, remora.repair, that runs one bounded pass every `interval` until
// it is stopped. A pass repairs, then scrubs: reads every copy of a few
// objects, so that damage no read came across is found (and repaired by a
// later pass) before it is needed.
//
// Thread-safety: constructed and destroyed by the store's owner.
#pragma once

#include <pthread.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>

#include "transport/mutex.hpp"

namespace remora::objects {

struct repair_options {
  bool background = true;  // false: only the store's repair_now() repairs (tests)
  std::chrono::milliseconds interval{100};
  std::size_t batch = 1024;       // objects repaired a pass: the rate limit
  std::size_t scrub_batch = 256;  // objects whose every copy is read a pass
};

/// Where a scrub goes on from: a shard, and how many of its objects it has
/// checked. The repair thread's own.
struct scrub_cursor {
  std::size_t shard = 0, done = 0;
};

/// Calls `check(id, entry)` (which returns how many damaged copies it
/// found) on up to `max_objects` objects of `shards` (each a mutex and an
/// `objects` map), each under its shard's lock, going on from `cursor` and
/// at most once round; the sum of what `check` found.
template <class Shards, class Check>
std::size_t scrub_walk(Shards& shards, scrub_cursor& cursor, std::size_t max_objects, Check check) {
  std::size_t checked = 0, damaged = 0;
  for (std::size_t seen = 0; checked < max_objects && seen < shards.size();) {
    auto& s = shards[cursor.shard];
    transport::lock_guard held(s.mutex);
    std::size_t index = 0;
    bool finished = true;
    for (auto& [id, entry] : s.objects) {
      if (index++ < cursor.done) continue;
      if (checked == max_objects) {
        finished = false;
        break;
      }
      ++checked;
      ++cursor.done;
      damaged += check(id, entry);
    }
    if (finished) {
      cursor = {(cursor.shard + 1) % shards.size(), 0};
      ++seen;
    }
  }
  return damaged;
}

/// Follows a far store's epoch (far_store::epoch: its node list changed):
/// step() runs a pass while the epoch differs from the one the last complete
/// pass saw; `pass` returns whether it was complete.
class epoch_follower {
 public:
  explicit epoch_follower(std::uint64_t epoch) : done_(epoch) {}
  template <class Pass>
  void step(std::uint64_t epoch, Pass pass) {
    if (epoch != done_ && pass()) done_ = epoch;
  }

 private:
  std::uint64_t done_;
};

/// One background pass of a store that keeps copies or pieces: repairs,
/// scrubs, and (when its far store's epoch changed) moves what the node
/// list now places elsewhere. `Store` has repair_now, scrub_now and
/// rebalance_now; `nodes` is the far store it spreads over.
template <class Store, class Nodes>
void maintenance_pass(Store& store, const Nodes& nodes, epoch_follower& rebalanced_to,
                      const repair_options& o) {
  (void)store.repair_now(o.batch);
  (void)store.scrub_now(o.scrub_batch);
  rebalanced_to.step(nodes.epoch(), [&] {
    bool complete = false;
    (void)store.rebalance_now(o.batch, complete);
    return complete;
  });
}

class repair_thread {
 public:
  /// Runs `pass(o)` every `o.interval` (when o.background).
  repair_thread(repair_options o, std::function<void(const repair_options&)> pass)
      : pass_(std::move(pass)), options_(o) {
    if (o.background) thread_ = std::thread([this] { loop(); });
  }
  ~repair_thread() {
    {
      transport::lock_guard held(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  repair_thread(const repair_thread&) = delete;
  repair_thread& operator=(const repair_thread&) = delete;

 private:
  void loop() {
    pthread_setname_np(pthread_self(), "remora.repair");
    transport::unique_lock held(mutex_);
    while (!stop_) {
      held.unlock();
      pass_(options_);
      held.lock();
      wake_.wait_for(held, options_.interval, [&]() REMORA_REQUIRES(mutex_) { return stop_; });
    }
  }

  const std::function<void(const repair_options&)> pass_;
  const repair_options options_;
  transport::mutex mutex_;
  transport::condition_variable wake_;
  bool stop_ REMORA_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace remora::objects

// node_health: which memory nodes may be asked now, and which are dead — the
// failure detector of a fixed node list. A thread of its own (remora.health)
// sends each node a heartbeat every `interval`:
//
//   up           the last heartbeat was answered in time;
//   unreachable  the control connection was lost (a watch says so at once),
//                or a heartbeat went unanswered. Reads go elsewhere or
//                wait; heartbeats go on, with backoff, and each one that
//                finds the connection lost makes it again. An answer makes
//                the node up again: a lost connection is never by itself a
//                death;
//   dead         unreachable for `dead_after` without a break, or a
//                different node answers at its address (it restarted, and
//                what it held is gone). Final: copies there are rebuilt
//                elsewhere.
//
// Thread-safety: reachable() and dead() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "transport/result.hpp"

namespace remora::client {

class node_health {
 public:
  struct options {
    std::chrono::milliseconds interval{200};  // between heartbeats of an up node
    std::chrono::milliseconds timeout{1000};  // for an answer to one
    std::chrono::milliseconds dead_after{10000};
  };
  // Sends `node` a heartbeat: the id of the node that answered. `lost` is
  // the flag for a watch on the connection that answered.
  using heartbeat =
      std::function<transport::result<std::uint64_t>(std::uint32_t node, std::atomic<bool>& lost)>;

  /// `ids`: each node's id when first connected. Starts with every node up.
  node_health(std::vector<std::uint64_t> ids, heartbeat beat, options o);
  ~node_health();  // stops the thread
  node_health(const node_health&) = delete;
  node_health& operator=(const node_health&) = delete;

  bool reachable(std::uint32_t node) const { return !down_[node].load(std::memory_order_acquire); }
  bool dead(std::uint32_t node) const { return dead_[node].load(std::memory_order_acquire); }
  /// The flag a watch on `node`'s control connection sets when it is lost.
  std::atomic<bool>& lost_flag(std::uint32_t node) { return down_[node]; }

 private:
  void loop();
  // One heartbeat to `node`; when the next one is due.
  std::chrono::steady_clock::time_point beat(std::uint32_t node);

  const std::vector<std::uint64_t> ids_;
  const heartbeat beat_;
  const options opts_;
  std::unique_ptr<std::atomic<bool>[]> down_, dead_;
  // The health thread's own: when each node last answered, and its backoff.
  std::vector<std::chrono::steady_clock::time_point> last_answer_;
  std::vector<std::chrono::milliseconds> backoff_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;   // GUARDED_BY(mutex_)
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace remora::client

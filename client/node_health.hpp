// node_health: which memory nodes may be asked now, which are leaving, and
// which are dead — the failure detector of the runtime's node list (nodes
// join it with add(); none is ever removed). A thread of its own
// (remora.health) sends each node a heartbeat every `interval`:
//
//   up           the last heartbeat was answered in time;
//   unreachable  the control connection was lost (a watch says so at once),
//                or a heartbeat went unanswered (from the moment it is
//                `timeout` overdue, not when it gives up). Reads go elsewhere or
//                wait; heartbeats go on, with backoff, and each one that
//                finds the connection lost makes it again. An answer makes
//                the node up again: a lost connection is never by itself a
//                death;
//   dead         unreachable and gone from the membership (etcd) when there
//                is one; else unreachable for `dead_after` without a break
//                (and at least `dead_beats` heartbeats in a row unanswered); or a
//                different node answers at its address (it restarted, and
//                what it held is gone). Final: copies there are rebuilt
//                elsewhere.
// Each answer also says whether the node is leaving (being drained): then
// nothing new goes there, and what it holds moves away.
//
// Thread-safety: every member from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "transport/mutex.hpp"
#include "transport/result.hpp"

namespace remora::client {

class node_health {
 public:
  static constexpr int dead_beats = 3;
  static constexpr std::uint32_t max_nodes = 64;  // joins beyond are refused

  struct options {
    std::chrono::milliseconds interval{200};  // between heartbeats of an up node
    std::chrono::milliseconds timeout{1000};  // for an answer to one
    std::chrono::milliseconds dead_after{10000};
    // Whether membership says the node left; then an unanswered heartbeat
    // makes it dead at once. Empty: no membership (dead_after decides).
    std::function<bool(std::uint32_t node)> left;
  };
  struct answer {
    std::uint64_t id = 0;  // of the node that answered
    bool leaving = false;
  };
  // Sends `node` a heartbeat. `lost` is for a watch on the connection: it
  // may be called from any thread, at any time, even after the node_health
  // is gone.
  using heartbeat = std::function<transport::result<answer>(std::uint32_t node,
                                                            const std::function<void()>& lost)>;

  /// `ids`: each node's id when first connected (at most max_nodes). Starts
  /// with every node up.
  node_health(std::vector<std::uint64_t> ids, heartbeat beat, options o);
  ~node_health();  // stops the thread
  node_health(const node_health&) = delete;
  node_health& operator=(const node_health&) = delete;

  bool reachable(std::uint32_t node) const {
    if (signals_->down[node].load(std::memory_order_acquire)) return false;
    const auto since = beat_since_[node].load(std::memory_order_acquire);
    return since == 0 || now_ns() - since < timeout_ns_;
  }
  bool dead(std::uint32_t node) const { return dead_[node].load(std::memory_order_acquire); }
  std::uint64_t id(std::uint32_t node) const { return ids_[node]; }
  bool leaving(std::uint32_t node) const { return leaving_[node].load(std::memory_order_acquire); }
  /// How many nodes there are (indices 0 .. nodes() - 1).
  std::uint32_t nodes() const { return count_.load(std::memory_order_acquire); }
  /// A node joins, up, with id `id`; its index. REQUIRES: nodes() < max_nodes.
  std::uint32_t add(std::uint64_t id);
  /// Counts changes that move objects: joins, and nodes starting or
  /// stopping to leave.
  std::uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

 private:
  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  // What a watch sets, shared with the watchers: a node whose connection
  // was lost is unreachable at once, and its next heartbeat goes out now.
  struct signals {
    signals() : down(std::make_unique<std::atomic<bool>[]>(max_nodes)), urgent(max_nodes, false) {}
    std::unique_ptr<std::atomic<bool>[]> down;
    transport::mutex mutex;
    transport::condition_variable wake;
    std::vector<bool> urgent REMORA_GUARDED_BY(mutex);
    bool stop REMORA_GUARDED_BY(mutex) = false;
    void lost(std::uint32_t node);
  };

  void loop();
  // One heartbeat to `node`; when the next one is due.
  std::chrono::steady_clock::time_point beat(std::uint32_t node);

  std::unique_ptr<std::uint64_t[]> ids_;  // each written before count_ counts it
  std::atomic<std::uint32_t> count_;
  std::atomic<std::uint64_t> epoch_{0};
  const heartbeat beat_;
  const options opts_;
  const std::int64_t timeout_ns_;
  const std::shared_ptr<signals> signals_;
  std::unique_ptr<std::atomic<bool>[]> dead_, leaving_;
  // When the heartbeat in flight to each node was sent (now_ns); 0: none.
  std::unique_ptr<std::atomic<std::int64_t>[]> beat_since_;
  // The health thread's own (max_nodes each): when each node last answered,
  // and its backoff.
  std::vector<std::chrono::steady_clock::time_point> last_answer_;
  std::vector<std::chrono::milliseconds> backoff_;
  std::vector<int> unanswered_;  // heartbeats in a row
  std::thread thread_;           // last: starts once the rest is ready
};

}  // namespace remora::client

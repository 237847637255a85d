// member_watch: keeps a runtime's memory nodes in step with the members
// registered in etcd (actors/membership.hpp). A thread of its own
// (remora.members) lists them every `interval` and adds each new one to the
// far store, which connects to it; from then on new objects are placed on
// it too, and the object store moves the objects it now owns
// (objects/rebalance.cpp). A member that is gone is not removed here:
// node_health finds it dead (its lease ended) when it stops answering.
//
// Thread-safety: construct and destroy from one thread; joined() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "actors/etcd_client.hpp"
#include "client/node_far_store.hpp"
#include "transport/mutex.hpp"

namespace remora::client {

class member_watch {
 public:
  /// REQUIRES: `far` outlives the watch.
  member_watch(actors::etcd_client etcd, node_far_store& far,
               std::chrono::milliseconds interval = std::chrono::milliseconds(500));
  ~member_watch();  // stops the thread
  member_watch(const member_watch&) = delete;
  member_watch& operator=(const member_watch&) = delete;

  /// Nodes added since the start.
  std::uint64_t joined() const { return joined_.load(std::memory_order_relaxed); }

 private:
  void loop();

  const actors::etcd_client etcd_;
  node_far_store& far_;
  const std::chrono::milliseconds interval_;
  std::atomic<std::uint64_t> joined_{0};
  transport::mutex mutex_;
  transport::condition_variable wake_;
  bool stop_ REMORA_GUARDED_BY(mutex_) = false;
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace remora::client

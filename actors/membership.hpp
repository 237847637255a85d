// membership: memory nodes listed in etcd. A node registers its address
// under PREFIX/members/ with a lease it keeps alive (a thread of its own,
// remora.member); when it stops, or dies and stops renewing, the lease ends
// and the entry goes (within the lease's TTL). Clients and remora-ctl read
// the list.
//
// Thread-safety: registration's members from its owner's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "actors/etcd_client.hpp"
#include "transport/mutex.hpp"
#include "transport/result.hpp"

namespace remora::actors {

/// The memory nodes registered under `etcd`'s prefix ("HOST:PORT" each).
transport::result<std::vector<std::string>> list_members(const etcd_client& etcd);

class registration {
 public:
  static constexpr int ttl_seconds = 3;  // a dead node leaves the list within this

  /// Registers `address` ("HOST:PORT") under a fresh lease and keeps it
  /// alive (again after etcd was away and the lease expired).
  static transport::result<std::unique_ptr<registration>> start(etcd_client etcd,
                                                                std::string address);
  ~registration();  // stops renewing and leaves the list at once

 private:
  registration(etcd_client etcd, std::string address, std::int64_t lease);
  void loop();

  const etcd_client etcd_;
  const std::string key_, address_;
  std::int64_t lease_;  // the thread's, after start
  transport::mutex mutex_;
  transport::condition_variable wake_;
  bool stop_ REMORA_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace remora::actors

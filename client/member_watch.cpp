#include "client/member_watch.hpp"

#include <pthread.h>

#include "actors/membership.hpp"
#include "transport/mutex.hpp"

namespace remora::client {

member_watch::member_watch(actors::etcd_client etcd, node_far_store& far,
                           std::chrono::milliseconds interval)
    : etcd_(std::move(etcd)), far_(far), interval_(interval), thread_([this] { loop(); }) {}

member_watch::~member_watch() {
  {
    transport::lock_guard held(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void member_watch::loop() {
  pthread_setname_np(pthread_self(), "remora.members");
  transport::unique_lock held(mutex_);
  while (!wake_.wait_for(held, interval_, [this]() REMORA_REQUIRES(mutex_) { return stop_; })) {
    held.unlock();
    // etcd away: the nodes known so far go on serving; the next look tries again.
    if (auto members = actors::list_members(etcd_))
      for (const auto& text : *members) {
        auto address = actors::node_address::parse(text);
        if (!address || far_.knows(*address)) continue;
        // One that cannot be reached yet (or has a wrong address) is
        // tried again at the next look.
        if (far_.add(*address)) joined_.fetch_add(1, std::memory_order_relaxed);
      }
    held.lock();
  }
}

}  // namespace remora::client

#include "actors/membership.hpp"

#include <pthread.h>

#include <cstdio>

namespace remora::actors {

using transport::result;

namespace {

std::string members_of(const etcd_client& etcd) {
  return etcd.prefix() + "/members/";
}

}  // namespace

result<std::vector<std::string>> list_members(const etcd_client& etcd) {
  auto entries = etcd.range(members_of(etcd));
  if (!entries) return entries.err();
  std::vector<std::string> out;
  for (auto& [key, value] : *entries) out.push_back(value);
  return out;
}

result<std::unique_ptr<registration>> registration::start(etcd_client etcd, std::string address) {
  auto lease = etcd.grant(ttl_seconds);
  if (!lease) return lease.err();
  if (auto put = etcd.put(members_of(etcd) + address, address, *lease); !put) return put.err();
  return std::unique_ptr<registration>(
      new registration(std::move(etcd), std::move(address), *lease));
}

registration::registration(etcd_client etcd, std::string address, std::int64_t lease)
    : etcd_(std::move(etcd)),
      key_(members_of(etcd_) + address),
      address_(std::move(address)),
      lease_(lease),
      thread_([this] { loop(); }) {}

registration::~registration() {
  {
    transport::lock_guard held(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  (void)etcd_.revoke(lease_);  // leaves the list now, not a TTL later
}

void registration::loop() {
  pthread_setname_np(pthread_self(), "remora.member");
  transport::unique_lock held(mutex_);
  // Renew three times a lease: two renewals may fail before it expires.
  while (!wake_.wait_for(held, std::chrono::seconds(ttl_seconds) / 3,
                         [&]() REMORA_REQUIRES(mutex_) { return stop_; })) {
    held.unlock();
    auto alive = etcd_.keep_alive(lease_);
    if (!alive && alive.err().code == transport::errc::unknown_object) {
      // Expired (etcd was away longer than the TTL): register again.
      if (auto lease = etcd_.grant(ttl_seconds); lease && etcd_.put(key_, address_, *lease)) {
        lease_ = *lease;
        std::printf("remora-memnode: registered again in etcd at %s\n", etcd_.where().c_str());
        std::fflush(stdout);
      }
    }
    held.lock();
  }
}

}  // namespace remora::actors

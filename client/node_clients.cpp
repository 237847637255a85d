#include "client/node_clients.hpp"

#include <atomic>
#include <string>

#include "transport/mutex.hpp"

namespace remora::client {

struct node_clients::pool {
  transport::mutex mutex;
  std::vector<std::unique_ptr<set>> all REMORA_GUARDED_BY(mutex);
  std::vector<set*> free REMORA_GUARDED_BY(mutex);

  void give_back(set* s) {
    transport::lock_guard lock(mutex);
    free.push_back(s);
  }
};

namespace {

std::atomic<std::uint64_t> next_generation{1};

// The sets this thread holds, one per live node_clients (told apart by
// generation, since an address may be reused); given back at thread exit.
struct held {
  std::uint64_t generation;
  std::weak_ptr<node_clients::pool> home;
  node_clients::set* s;
};
struct thread_sets {
  std::vector<held> list;
  ~thread_sets() {
    for (auto& h : list)
      if (auto home = h.home.lock()) home->give_back(h.s);
  }
};
thread_local thread_sets this_thread_sets;

}  // namespace

node_clients::node_clients(std::uint32_t nodes, connector connect)
    : nodes_(nodes),
      connect_(std::move(connect)),
      generation_(next_generation++),
      pool_(std::make_shared<pool>()) {}

node_clients::~node_clients() {
  clear();
}

node_clients::set* node_clients::take() {
  transport::lock_guard lock(pool_->mutex);
  if (!pool_->free.empty()) {
    set* s = pool_->free.back();
    pool_->free.pop_back();
    return s;
  }
  pool_->all.push_back(std::make_unique<set>(nodes_));
  return pool_->all.back().get();
}

transport::result<actors::node_client*> node_clients::connected(set& s, std::uint32_t node) {
  auto& c = s[node];
  if (!c) {
    auto made = connect_(node);
    if (!made) return made.err();
    c = std::move(made).value();
  }
  return c.get();
}

transport::result<actors::node_client*> node_clients::mine(std::uint32_t node) {
  auto& list = this_thread_sets.list;
  for (auto& h : list)
    if (h.generation == generation_) return connected(*h.s, node);
  std::erase_if(list, [](const held& h) { return h.home.expired(); });
  list.push_back({generation_, pool_, take()});
  return connected(*list.back().s, node);
}

bool node_clients::holds(std::uint32_t node) const {
  for (const auto& h : this_thread_sets.list)
    if (h.generation == generation_) return (*h.s)[node] != nullptr;
  return false;
}

void node_clients::clear() {
  std::vector<std::unique_ptr<set>> all;
  {
    transport::lock_guard lock(pool_->mutex);
    all.swap(pool_->all);
    pool_->free.clear();
  }
  all.clear();
}

}  // namespace remora::client

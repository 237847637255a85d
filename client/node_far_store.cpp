#include "client/node_far_store.hpp"

#include <algorithm>

#include "objects/raise.hpp"
#include "remora/errors.hpp"
#include "storage/packed_payload.hpp"
#include "transport/mutex.hpp"
#include "transport/secure_random.hpp"

namespace remora::client {

using storage::object_location;
using transport::result;

namespace {

// The payload bytes one place message carries at most (node_far_store::place).
constexpr std::size_t max_place_bytes = std::size_t{1} << 20;

// Objects place() allocates and then writes one-sided, in parts of this
// many: the node allocates a part while this thread writes the one before.
constexpr std::size_t place_part = 4096;

std::size_t bytes_of(std::span<const std::span<const std::byte>> data) {
  std::size_t n = 0;
  for (const auto& d : data) n += d.size();
  return n;
}

// What allocating `where`'s objects asks a node for.
struct allocation {
  std::vector<storage::object_id> ids;
  std::vector<std::uint32_t> sizes;
};

allocation allocation_of(std::span<const object_location> where) {
  allocation a;
  a.ids.reserve(where.size());
  a.sizes.reserve(where.size());
  for (const auto& w : where) {
    a.ids.push_back(w.id);
    a.sizes.push_back(w.size);
  }
  return a;
}

// Allocates `where`'s objects at `c`'s node and writes data[i] into each,
// a part at a time, the next part's allocation asked for before this
// part's writes. (Filling a table of 256-byte rows, one side waited for
// the other about half the time when each batch was allocated, then
// written.)
void allocate_and_write(actors::node_client& c, std::span<object_location> where,
                        std::span<const std::span<const std::byte>> data,
                        std::span<result<void>> outcome) {
  auto ask_for = [&](std::size_t from) {
    const auto asked =
        allocation_of(where.subspan(from, std::min(place_part, where.size() - from)));
    return c.allocate_later(asked.ids, asked.sizes);
  };
  if (where.empty()) return;
  auto next = ask_for(0);
  for (std::size_t from = 0; from < where.size(); from += place_part) {
    const std::size_t n = std::min(place_part, where.size() - from);
    auto got = next();
    if (from + n < where.size()) next = ask_for(from + n);
    const auto part = where.subspan(from, n);
    const auto part_outcome = outcome.subspan(from, n);
    if (!got) {
      for (auto& o : part_outcome) o = got.err();
      continue;
    }
    std::copy(got->begin(), got->end(), part.begin());
    c.data().write_many(part, data.subspan(from, n), part_outcome);
  }
}

}  // namespace

node_far_store::node_far_store(actors::control_plane& cp, std::vector<actors::node_address> nodes,
                               options o)
    : nodes_(std::make_unique<actors::node_address[]>(node_health::max_nodes)),
      owner_(transport::secure_random_u64()),
      packed_(o.compress_links, node_health::max_nodes) {
  if (nodes.size() > node_health::max_nodes)
    throw ConfigError(std::to_string(nodes.size()) + " memory nodes: at most " +
                      std::to_string(node_health::max_nodes));
  std::copy(nodes.begin(), nodes.end(), nodes_.get());
  clients_ = std::make_unique<node_clients>(
      node_health::max_nodes, [this, &cp, auth_token = o.auth_token, timeout = o.timeout,
                               net_devices = o.net_devices](std::uint32_t node) {
        // Requests stop waiting on a node whose heartbeats go unanswered.
        auto give_up = [this, node] { return health_ && !health_->reachable(node); };
        return actors::node_client::connect(
            cp, {nodes_[node], auth_token, timeout, net_devices, give_up, owner_});
      });
  std::vector<std::uint64_t> ids;
  for (std::uint32_t i = 0; i < nodes.size(); ++i) {
    auto c = clients_->mine(i);  // connects now: bad addresses fail here
    if (!c) objects::raise(c.err());
    ids.push_back((*c)->node_id());
  }
  node_health::options health;
  // A heartbeat has half the timeout to answer (at least a second, so that
  // a loaded machine is not taken for a hung node): a hung node is found
  // well within the time a read may wait for it.
  health.timeout = std::min(o.timeout, std::max(std::chrono::milliseconds(o.timeout / 2),
                                                std::chrono::milliseconds(1000)));
  if (o.dead_after.count() > 0) health.dead_after = o.dead_after;
  if (o.left) health.left = [this, left = o.left](std::uint32_t n) { return left(nodes_[n]); };
  // Heartbeats come from the health thread's own clients; each watches its
  // node's control connection (again after each reconnect).
  auto beat = [this, timeout = health.timeout](
                  std::uint32_t n,
                  const std::function<void()>& lost) -> result<node_health::answer> {
    auto c = clients_->mine(n);
    if (!c) return c.err();
    (*c)->watch(lost);
    auto pong = (*c)->ping(timeout);
    if (!pong) return pong.err();
    return node_health::answer{pong->node_id, pong->leaving};
  };
  health_ = std::make_unique<node_health>(std::move(ids), beat, health);
}

bool node_far_store::knows(const actors::node_address& node) const {
  const std::uint32_t count = nodes();
  for (std::uint32_t i = 0; i < count; ++i)
    if (nodes_[i].host == node.host && nodes_[i].port == node.port) return true;
  return false;
}

result<void> node_far_store::add(const actors::node_address& node) {
  transport::lock_guard one_at_a_time(joining_);
  if (knows(node)) return {};
  const std::uint32_t n = nodes();
  if (n == node_health::max_nodes)
    return transport::error{transport::errc::invalid_argument,
                            "memory node " + node.to_string() + " cannot join: " +
                                std::to_string(n) + " nodes is the most a runtime uses"};
  nodes_[n] = node;  // not counted yet: only this thread looks at it
  auto c = clients_->mine(n);
  if (!c) return c.err();
  health_->add((*c)->node_id());  // index n: adds are serialized here
  return {};
}

node_far_store::~node_far_store() {
  health_.reset();  // its thread uses clients
  clients_->clear();
}

void node_far_store::connect() {
  const std::uint32_t count = nodes();
  for (std::uint32_t n = 0; n < count; ++n)
    if (reachable(n)) (void)client(n);  // what fails, the reads find again
}

result<actors::node_client*> node_far_store::client(std::uint32_t node) {
  return clients_->mine(node);
}

result<void> node_far_store::allocate(std::uint32_t node, std::span<object_location> where) {
  auto c = client(node);
  if (!c) return c.err();
  const auto asked = allocation_of(where);
  auto got = (*c)->allocate(asked.ids, asked.sizes);
  if (!got) return got.err();
  for (std::size_t i = 0; i < where.size(); ++i) where[i] = (*got)[i];
  return {};
}

result<void> node_far_store::free(std::uint32_t node, std::span<const storage::object_id> ids) {
  auto c = client(node);
  if (!c) return c.err();
  auto freed = (*c)->free(ids);
  packed_.forget(node, ids);
  if (!freed) return freed.err();
  return {};
}

void node_far_store::prefetch(std::uint32_t node, std::span<const std::uint64_t> offsets,
                              std::size_t bytes) {
  // Nothing waits for a hint: not a node that left since it was given, nor
  // one that does not answer now (the read after it finds out).
  if (node >= nodes() || !reachable(node)) return;
  auto c = client(node);
  if (c && (*c)->data().mapped()) (*c)->data().region().prefetch(offsets, bytes);
}

result<void> node_far_store::read(std::uint32_t node, std::span<object_location> where,
                                  std::span<const std::span<std::byte>> into) {
  auto c = client(node);
  if (!c) return c.err();
  return packed_.read((*c)->data(), node, where, into);
}

result<void> node_far_store::read_part(std::uint32_t node, object_location& where,
                                       std::uint32_t from, std::span<std::byte> into) {
  auto c = client(node);
  if (!c) return c.err();
  return packed_.read_part((*c)->data(), node, where, from, into);
}

result<void> node_far_store::write(std::uint32_t node, object_location& where,
                                   std::span<const std::byte> data) {
  result<void> outcome[1];
  write_many(node, std::span(&where, 1), std::span(&data, 1), outcome);
  return outcome[0];
}

actors::node_client* node_far_store::client_or_fail(std::uint32_t node,
                                                    std::span<result<void>> outcome) {
  auto c = client(node);
  if (c) return *c;
  for (auto& o : outcome) o = c.err();
  return nullptr;
}

template <class Write>
void node_far_store::write_staged(std::uint32_t node, actors::node_client& c,
                                  std::span<object_location> where,
                                  std::span<const std::span<const std::byte>> data,
                                  std::span<result<void>> outcome, Write write) {
  thread_local packed_objects::staged staged;
  packed_.stage(packed_.packs_for(node, !c.data().mapped()), data, staged, outcome);
  const std::size_t bytes = bytes_of(staged.data);
  const auto started = packed_.start_timing(c.data(), bytes);
  write(staged);
  packed_.finish_timing(node, bytes, started);
  packed_.wrote(node, where, staged, outcome);
}

void node_far_store::write_many(std::uint32_t node, std::span<object_location> where,
                                std::span<const std::span<const std::byte>> data,
                                std::span<result<void>> outcome) {
  auto* c = client_or_fail(node, outcome);
  if (c == nullptr) return;
  write_staged(node, *c, where, data, outcome, [&](const packed_objects::staged& staged) {
    if (where.size() == 1 && staged.go.size() == 1) {
      outcome[0] = c->data().write(where[0], staged.data[0]);
    } else if (staged.go.size() == where.size()) {
      c->data().write_many(where, staged.data, outcome);
    } else {  // some left out: the others alone
      for (std::size_t i : staged.go) outcome[i] = c->data().write(where[i], staged.data[i]);
    }
  });
}

void node_far_store::place(std::uint32_t node, std::span<object_location> where,
                           std::span<const std::span<const std::byte>> data,
                           std::span<result<void>> outcome) {
  auto* c = client_or_fail(node, outcome);
  if (c == nullptr) return;
  // Timed with the allocations (a new table's first trip home, where a
  // slow link is to be found before its bytes go raw).
  write_staged(node, *c, where, data, outcome, [&](const packed_objects::staged& staged) {
    place_staged(c, where, staged, outcome);
  });
}

void node_far_store::place_staged(actors::node_client* c, std::span<object_location> where,
                                  const packed_objects::staged& staged,
                                  std::span<result<void>> outcome) {
  const std::span<const std::span<const std::byte>> data = staged.data;
  // Small objects go with their allocation, in messages of up to
  // max_place_bytes; larger ones are allocated, then written one-sided.
  // Over tcp UCX sends a message for each remote atomic and put, four an
  // object; over shared memory a one-sided write is a copy, and only the
  // smallest objects gain (remora-bench-fill, README).
  const std::uint32_t place_up_to = c->data().mapped() ? 64 : 4096;
  // None small and none misfit (256-byte rows over shared memory, say):
  // allocated and written as they are, without copying the batch's lists.
  bool all_large = staged.go.size() == where.size();
  for (std::size_t i = 0; i < where.size() && all_large; ++i)
    all_large = where[i].size > place_up_to && storage::is_payload_for(data[i], where[i].size);
  if (all_large) return allocate_and_write(*c, where, data, outcome);
  std::vector<std::size_t> run, rest;  // indexes into where
  std::vector<storage::object_id> ids;
  std::vector<std::uint32_t> sizes;
  std::vector<std::byte> bytes;
  auto send = [&] {
    auto got = c->place(ids, sizes, bytes);
    for (std::size_t k = 0; k < run.size(); ++k) {
      outcome[run[k]] = got ? result<void>{} : result<void>{got.err()};
      if (got) where[run[k]] = (*got)[k];
    }
    run.clear();
    ids.clear();
    sizes.clear();
    bytes.clear();
  };
  for (std::size_t i : staged.go) {
    if (!storage::is_payload_for(data[i], where[i].size)) {
      outcome[i] = storage::misfit_write(data[i].size(), where[i].size);
      continue;
    }
    if (where[i].size > place_up_to) {
      rest.push_back(i);
      continue;
    }
    if (bytes.size() + data[i].size() > max_place_bytes) send();
    run.push_back(i);
    ids.push_back(where[i].id);
    sizes.push_back(where[i].size);
    bytes.insert(bytes.end(), data[i].begin(), data[i].end());
  }
  if (!run.empty()) send();
  if (rest.empty()) return;
  std::vector<object_location> rest_where;
  std::vector<std::span<const std::byte>> rest_data;
  for (std::size_t i : rest) {
    rest_where.push_back(where[i]);
    rest_data.push_back(data[i]);
  }
  std::vector<result<void>> rest_outcome(rest.size());
  allocate_and_write(*c, rest_where, rest_data, rest_outcome);
  for (std::size_t k = 0; k < rest.size(); ++k) {
    where[rest[k]] = rest_where[k];
    outcome[rest[k]] = std::move(rest_outcome[k]);
  }
}

result<void> node_far_store::publish(std::uint32_t node, std::uint64_t id, const std::string& name,
                                     std::span<const char> description,
                                     std::span<const storage::object_id> ids) {
  auto c = client(node);
  if (!c) return c.err();
  if (auto r = (*c)->publish(id, name, description, ids); !r) return r.err();
  return {};
}

result<void> node_far_store::retract(std::uint32_t node, std::uint64_t id) {
  auto c = client(node);
  if (!c) return c.err();
  if (auto r = (*c)->retract(id); !r) return r.err();
  return {};
}

result<void> node_far_store::mend(std::uint32_t node, std::uint64_t id,
                                  std::span<const char> description,
                                  std::span<const storage::object_id> ids) {
  auto c = client(node);
  if (!c) return c.err();
  if (auto r = (*c)->mend(id, description, ids); !r) return r.err();
  return {};
}

result<objects::far_store::publication> node_far_store::open(std::uint32_t node,
                                                             const std::string& name) {
  auto c = client(node);
  if (!c) return c.err();
  auto r = (*c)->open(name);
  if (!r) return r.err();
  return publication{r->id, std::move(r->description)};
}

result<void> node_far_store::close(std::uint32_t node, std::uint64_t id) {
  auto c = client(node);
  if (!c) return c.err();
  if (auto r = (*c)->close(id); !r) return r.err();
  return {};
}

result<void> node_far_store::unpublish(std::uint32_t node, const std::string& name) {
  auto c = client(node);
  if (!c) return c.err();
  if (auto r = (*c)->unpublish(name); !r) return r.err();
  return {};
}

}  // namespace remora::client

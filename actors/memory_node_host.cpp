#include "actors/memory_node_host.hpp"

#include <random>
#include <thread>

#include "actors/control_plane_impl.hpp"
#include "actors/memory_node.hpp"
#include "actors/preamble.hpp"
#include "transport/page_size.hpp"
#include "transport/progress_thread.hpp"
#include "transport/worker.hpp"

namespace remora::actors {

using transport::errc;
using transport::error;
using transport::result;

struct memory_node_host::impl {
  explicit impl(control_plane::impl& c) : cp(c) {}
  control_plane::impl& cp;
  // Declaration order is teardown order, reversed: the actor goes first.
  transport::local_ucx ucx;
  std::unique_ptr<storage::arena> arena;
  std::optional<transport::progress_thread> progress;
  std::shared_ptr<front_door> door;
  memory_node_actor node;
  std::uint64_t node_id = 0;
  std::uint16_t published_port = 0;
};

result<std::unique_ptr<memory_node_host>> memory_node_host::start(control_plane& cp,
                                                                  const options& o) {
  auto door = o.door;
  if (!o.auth_token.empty()) door.tokens.push_back(o.auth_token);
  for (const auto& t : o.tenants) door.tokens.push_back(t.token);
  for (const auto& t : door.tokens)
    if (t.size() > max_preamble_token)
      return error{errc::invalid_argument, "a token of " + std::to_string(t.size()) +
                                               " bytes: at most " +
                                               std::to_string(max_preamble_token) + " are allowed"};
  auto p = std::make_unique<impl>(cp.internals());
  auto ucx =
      transport::local_ucx::open({.net_devices = o.net_devices,
                                  .checked_rma_only = !o.tenants.empty() && !o.tenants_over_tcp});
  if (!ucx) return ucx.err();
  p->ucx = std::move(ucx).value();
  auto arena_options = o.arena;
  arena_options.quotas.clear();
  for (const auto& t : o.tenants) arena_options.quotas.push_back(t.quota);
  auto arena = storage::arena::open(*p->ucx.ctx, arena_options);
  if (!arena) return arena.err();
  p->arena = std::move(arena).value();
  memory_node_setup setup;
  setup.arena = p->arena.get();
  auto address = p->ucx.worker->address();
  if (!address) return address.err();
  setup.worker_address = std::move(address).value();
  for (std::uint32_t t = 0; t < p->arena->tenants(); ++t) {
    auto key = p->arena->memory(t).pack_key();
    if (!key) return key.err();
    setup.arena_keys.push_back(std::move(key).value());
  }
  setup.auth_token = o.auth_token;
  setup.test_hooks = o.test_hooks;
  setup.leave = o.leave;
  setup.lease_grace = o.lease_grace;
  setup.tenants = o.tenants;
  p->node_id = std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32);
  setup.node_id = p->node_id;
  p->door = std::make_shared<front_door>(p->cp.system, door);
  setup.door = p->door;
  p->progress.emplace(*p->ucx.worker);
  p->node = spawn_memory_node(p->cp.system, std::move(setup));
  return std::unique_ptr<memory_node_host>(new memory_node_host(std::move(p)));
}

memory_node_host::memory_node_host(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

memory_node_host::~memory_node_host() {
  unpublish();
  caf::scoped_actor self{impl_->cp.system};
  self->send_exit(impl_->node, caf::exit_reason::user_shutdown);
  self->wait_for(impl_->node);
  impl_->node = nullptr;
  impl_->door.reset();
  impl_->progress.reset();
}

result<std::uint16_t> memory_node_host::publish(const std::string& host, std::uint16_t port) {
  auto r = impl_->door->publish(caf::actor_cast<caf::strong_actor_ptr>(impl_->node),
                                impl_->cp.system.message_types(impl_->node), host, port);
  if (!r)
    return error{errc::io, "cannot listen on " + host + ":" + std::to_string(port) + ": " +
                               impl_->cp.system.render(r.error())};
  impl_->published_port = *r;
  return *r;
}

void memory_node_host::unpublish() {
  if (impl_->published_port == 0) return;
  (void)impl_->cp.system.middleman().unpublish(impl_->node, impl_->published_port);
  impl_->published_port = 0;
}

std::optional<node_stats> memory_node_host::stats() const {
  caf::scoped_actor self{impl_->cp.system};
  std::optional<node_stats> out;
  self->request(impl_->node, caf::duration{std::chrono::seconds(1)}, stats_atom::value)
      .receive([&](const node_stats& s) { out = s; }, [&](caf::error&) {});
  return out;
}

std::uint64_t memory_node_host::drain(std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto s = stats();
    const std::uint64_t sessions = s ? s->sessions : 0;
    if (sessions == 0 || std::chrono::steady_clock::now() >= until) return sessions;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::uint64_t memory_node_host::node_id() const {
  return impl_->node_id;
}

std::vector<std::string> memory_node_host::transports() const {
  return impl_->ucx.ctx->resources();
}

std::optional<std::size_t> memory_node_host::arena_page_bytes() const {
  return transport::kernel_page_bytes(impl_->arena->memory(0).data());
}

}  // namespace remora::actors

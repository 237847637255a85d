#include "actors/gather_service.hpp"

#include <algorithm>
#include <atomic>
#include <memory>

#include "actors/ask.hpp"
#include "actors/control_plane_impl.hpp"
#include "objects/gather.hpp"
#include "remora/errors.hpp"

namespace remora::actors {

namespace {

using transport::result;

// What the actor serves: its mailbox takes remote gathers one at a time;
// in-process callers read the table beside it (an Array has many readers),
// and no lock is held across the fetches.
struct table_view {
  Array<float>* table = nullptr;
  std::size_t width = 0;
};

struct gather_state {
  table_view view;
  static inline const char* name = "remora.gather_service";
};

gather_actor::behavior_type gather_behavior(gather_actor::stateful_pointer<gather_state> self,
                                            table_view view) {
  self->state.view = view;
  return {
      [self](gather_atom,
             const std::vector<std::uint64_t>& rows) -> caf::result<std::vector<char>> {
        try {
          const std::vector<float> floats =
              objects::gather_rows(*self->state.view.table, self->state.view.width, rows);
          if (floats.empty()) return std::vector<char>{};  // no rows asked for
          const auto* first = reinterpret_cast<const char*>(floats.data());
          return std::vector<char>(first, first + floats.size() * sizeof(float));
        } catch (const Error& e) {
          return make_remora_error(e);  // the caller's side raises the same type
        }
      },
  };
}

}  // namespace

struct gather_service::impl {
  control_plane::impl& cp;
  gather_actor actor;
  std::uint16_t published_port = 0;
};

gather_service::gather_service(control_plane& cp, Array<float>& table, std::size_t width)
    : impl_(new impl{cp.internals(), {}}) {
  impl_->actor =
      cp.internals().system.spawn<caf::detached>(gather_behavior, table_view{&table, width});
  drop_thread_logger();
}

gather_service::~gather_service() {
  if (impl_->published_port != 0)
    (void)impl_->cp.system.middleman().unpublish(impl_->actor, impl_->published_port);
  caf::scoped_actor self{impl_->cp.system};
  self->send_exit(impl_->actor, caf::exit_reason::user_shutdown);
  self->wait_for(impl_->actor);
}

result<std::uint16_t> gather_service::publish(const std::string& host, std::uint16_t port) {
  auto r = actors::publish(impl_->cp, impl_->actor, host, port);
  if (!r)
    return to_error(r.error(),
                    "publishing the gather service on " + host + ":" + std::to_string(port));
  impl_->published_port = *r;
  return *r;
}

struct gather_client::impl {
  explicit impl(const tls_options& tls) : cp(tls, 1) {}
  ~impl() { caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown); }
  control_plane cp;
  gather_actor service;
  std::string address;
  std::chrono::milliseconds timeout;
  requesters requests{cp.internals().system};
  std::shared_ptr<std::atomic<bool>> lost = std::make_shared<std::atomic<bool>>(false);
  caf::actor watcher;  // sets `lost` when the connection to the service goes
};

gather_client::gather_client(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

gather_client::~gather_client() = default;

result<std::unique_ptr<gather_client>> gather_client::connect(const std::string& host,
                                                              std::uint16_t port,
                                                              std::chrono::milliseconds timeout,
                                                              const tls_options& tls) {
  auto i = std::make_unique<impl>(tls);
  i->address = host + ":" + std::to_string(port);
  i->timeout = timeout;
  auto service = remote_gather(i->cp.internals(), host, port, timeout);
  if (!service)
    return to_error(service.error(), "connecting to the gather service on " + i->address);
  i->service = std::move(*service);
  i->watcher = watch_loss(i->cp.internals().system, i->service, i->lost);
  return std::unique_ptr<gather_client>(new gather_client(std::move(i)));
}

result<std::vector<float>> gather_client::gather(std::vector<std::uint64_t> rows) {
  auto bytes = ask<std::vector<char>>(impl_->requests, impl_->service, impl_->timeout,
                                      "gather on " + impl_->address, impl_->lost, {},
                                      gather_atom::value, rows);
  if (!bytes) return bytes.err();
  if (bytes->size() % sizeof(float) != 0)
    return transport::error{transport::errc::protocol, "gather on " + impl_->address +
                                                           " answered " +
                                                           std::to_string(bytes->size()) +
                                                           " bytes: not a whole number of floats"};
  std::vector<float> floats(bytes->size() / sizeof(float));
  std::copy_n(bytes->data(), bytes->size(), reinterpret_cast<char*>(floats.data()));
  return floats;
}

}  // namespace remora::actors

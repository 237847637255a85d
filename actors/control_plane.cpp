#include "actors/control_plane.hpp"

#include <map>
#include <mutex>
#include <tuple>

#include <caf/openssl/all.hpp>

#include "actors/control_plane_impl.hpp"

namespace remora::actors {

remora_config::remora_config(const tls_options& tls, unsigned scheduler_threads) {
  register_message_types(*this);
  load<caf::io::middleman>();
  set("scheduler.max-threads", static_cast<std::size_t>(scheduler_threads));
  // Idle workers block instead of polling: CAF carries control messages
  // here, not data, and work stealing's polling (a wake-up every 50 us per
  // worker after each message) takes CPU from the data path.
  set("scheduler.policy", caf::atom("sharing"));
  set("logger.verbosity", caf::atom("quiet"));
  if (tls.enabled()) {
    load<caf::openssl::manager>();
    set("openssl.certificate", tls.certificate);
    set("openssl.key", tls.key);
    set("openssl.cafile", tls.ca_file);
  }
}

namespace {

// The actor systems of this process, by their options.
std::mutex systems_mutex;
std::map<std::tuple<std::string, std::string, std::string, unsigned>,
         std::weak_ptr<control_plane::impl>>
    systems;  // GUARDED_BY(systems_mutex)

}  // namespace

control_plane::control_plane(const tls_options& tls, unsigned scheduler_threads) {
  std::lock_guard held(systems_mutex);
  auto& shared = systems[{tls.certificate, tls.key, tls.ca_file, scheduler_threads}];
  impl_ = shared.lock();
  if (!impl_) {
    impl_ = std::make_shared<impl>(tls, scheduler_threads);
    shared = impl_;
  }
}

control_plane::~control_plane() = default;

bool control_plane::uses_tls() const {
  return impl_->tls;
}

namespace {

// What caf::io::remote_actor does, with a deadline: it asks the middleman
// (or the TLS manager) to connect and waits without one.
template <class Handle>
caf::expected<Handle> remote_handle(control_plane::impl& cp, const std::string& host,
                                    std::uint16_t port, std::chrono::milliseconds timeout) {
  const caf::io::middleman_actor connector =
      cp.tls ? cp.system.openssl_manager().actor_handle() : cp.system.middleman().actor_handle();
  caf::expected<Handle> result = caf::make_error(caf::sec::request_timeout);
  caf::scoped_actor self{cp.system};
  self->request(connector, caf::duration{timeout}, caf::connect_atom::value, host, port)
      .receive(
          [&](const caf::node_id&, caf::strong_actor_ptr& found,
              const std::set<std::string>& interface) {
            if (!found)
              result = caf::make_error(caf::sec::no_actor_published_at_port, port);
            else if (!cp.system.assignable<Handle>(interface))
              result = caf::make_error(caf::sec::unexpected_actor_messaging_interface);
            else
              result = caf::actor_cast<Handle>(std::move(found));
          },
          [&](caf::error& e) { result = std::move(e); });
  return result;
}

}  // namespace

caf::expected<std::uint16_t> publish(control_plane::impl& cp, const gather_actor& whom,
                                     const std::string& host, std::uint16_t port) {
  if (cp.tls) return caf::openssl::publish(whom, port, host.c_str(), true);
  return cp.system.middleman().publish(whom, port, host.c_str(), true);
}

caf::expected<memory_node_actor> remote_node(control_plane::impl& cp, const std::string& host,
                                             std::uint16_t port,
                                             std::chrono::milliseconds timeout) {
  return remote_handle<memory_node_actor>(cp, host, port, timeout);
}

caf::expected<gather_actor> remote_gather(control_plane::impl& cp, const std::string& host,
                                          std::uint16_t port, std::chrono::milliseconds timeout) {
  return remote_handle<gather_actor>(cp, host, port, timeout);
}

}  // namespace remora::actors

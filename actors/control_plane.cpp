#include "actors/control_plane.hpp"

#include <map>
#include <tuple>

#include <sys/socket.h>

#include <caf/io/middleman_actor_impl.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/openssl/all.hpp>

#include "actors/control_plane_impl.hpp"
#include "actors/preamble.hpp"
#include "transport/mutex.hpp"

namespace remora::actors {

remora_config::remora_config(const tls_options& tls, unsigned scheduler_threads) {
  register_message_types(*this);
  load<caf::io::middleman>();
  set("scheduler.max-threads", static_cast<std::size_t>(scheduler_threads));
  // Idle workers block instead of polling: CAF carries control messages
  // here, not data, and work stealing's polling (a wake-up every 50 us per
  // worker after each message) takes CPU from the data path.
  set("scheduler.policy", caf::atom("sharing"));
  // A message that comes in is read and handed to its actor on the network
  // thread, not passed to a BASP worker first: one thread hand-off less
  // each way (control messages are small; object data goes over UCX).
  set("middleman.workers", std::size_t{0});
  set("logger.verbosity", caf::atom("quiet"));
  if (tls.enabled()) {
    load<caf::openssl::manager>();
    set("openssl.certificate", tls.certificate);
    set("openssl.key", tls.key);
    set("openssl.cafile", tls.ca_file);
  }
}

namespace {

namespace net = caf::io::network;

// Sends the preamble on `fd` (blocking) and reads the node's verdict,
// waiting 10 s at most: the node closes a connection that has not been
// admitted by its handshake timeout anyway.
caf::expected<void> open_with_preamble(net::native_socket fd, const std::string& token) {
  const std::string preamble = make_preamble(token);
  for (std::size_t sent = 0; sent < preamble.size();) {
    const ssize_t n = ::send(fd, preamble.data() + sent, preamble.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return caf::make_error(caf::sec::cannot_connect_to_node, "the node hung up");
    sent += static_cast<std::size_t>(n);
  }
  timeval wait{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  std::string verdict;
  for (char c = 0; verdict.size() < max_preamble_verdict; verdict.push_back(c)) {
    if (::recv(fd, &c, 1, 0) != 1) break;
    if (verdict.empty() && c == preamble_accepted) {
      wait = {0, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
      return caf::unit;
    }
    if (c == '\n') break;
  }
  if (!verdict.empty() && verdict[0] == preamble_refused)
    return make_remora_error(transport::errc::auth, verdict.substr(1));
  return caf::make_error(caf::sec::cannot_connect_to_node,
                         "the node gave no verdict on the preamble (is it a Remora memory node "
                         "of this version?)");
}

// Connects to memory nodes over plain TCP as CAF's middleman does, opening
// each connection with the preamble of the token given for its address.
class node_connector_actor final : public caf::io::middleman_actor_impl {
 public:
  node_connector_actor(caf::actor_config& cfg, caf::actor basp,
                       std::shared_ptr<const node_tokens> tokens)
      : middleman_actor_impl(cfg, std::move(basp)), tokens_(std::move(tokens)) {}

  const char* name() const override { return "remora.node_connector"; }

 protected:
  caf::expected<caf::io::scribe_ptr> connect(const std::string& host, std::uint16_t port) override {
    auto fd = net::new_tcp_connection(host, port);  // blocking, as CAF's
    if (!fd) return std::move(fd.error());
    auto verdict = open_with_preamble(*fd, tokens_->of(host, port));
    if (!verdict) {
      net::close_socket(*fd);
      return std::move(verdict.error());
    }
    return system().middleman().backend().new_scribe(*fd);
  }

 private:
  const std::shared_ptr<const node_tokens> tokens_;
};

// The actor systems of this process, by their options.
transport::mutex systems_mutex;
std::map<std::tuple<std::string, std::string, std::string, unsigned>,
         std::weak_ptr<control_plane::impl>>
    systems REMORA_GUARDED_BY(systems_mutex);

}  // namespace

void node_tokens::set(const std::string& host, std::uint16_t port, const std::string& token) {
  transport::lock_guard held(mutex_);
  tokens_[{host, port}] = token;
}

std::string node_tokens::of(const std::string& host, std::uint16_t port) const {
  transport::lock_guard held(mutex_);
  auto it = tokens_.find({host, port});
  return it == tokens_.end() ? std::string{} : it->second;
}

control_plane::impl::impl(const tls_options& tls, unsigned scheduler_threads)
    : config(tls, scheduler_threads), system(config), tls(tls.enabled()) {
  if (!this->tls)
    node_connector = system.spawn<node_connector_actor, caf::detached + caf::hidden>(
        system.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP")), tokens);
  drop_thread_logger();
}

control_plane::impl::~impl() {
  if (node_connector) caf::anon_send_exit(node_connector, caf::exit_reason::user_shutdown);
}

control_plane::control_plane(const tls_options& tls, unsigned scheduler_threads) {
  transport::lock_guard held(systems_mutex);
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

// What caf::io::remote_actor does, with a deadline: it asks `connector` (the
// middleman, the TLS manager or the node connector) to connect and waits
// without one.
template <class Handle>
caf::expected<Handle> remote_handle(control_plane::impl& cp,
                                    const caf::io::middleman_actor& connector,
                                    const std::string& host, std::uint16_t port,
                                    std::chrono::milliseconds timeout) {
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
                                             std::uint16_t port, std::chrono::milliseconds timeout,
                                             const std::string& token) {
  if (cp.tls)
    return remote_handle<memory_node_actor>(cp, cp.system.openssl_manager().actor_handle(), host,
                                            port, timeout);
  cp.tokens->set(host, port, token);
  return remote_handle<memory_node_actor>(cp, cp.node_connector, host, port, timeout);
}

caf::expected<gather_actor> remote_gather(control_plane::impl& cp, const std::string& host,
                                          std::uint16_t port, std::chrono::milliseconds timeout) {
  return remote_handle<gather_actor>(
      cp,
      cp.tls ? cp.system.openssl_manager().actor_handle() : cp.system.middleman().actor_handle(),
      host, port, timeout);
}

}  // namespace remora::actors

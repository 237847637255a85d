#include "actors/node_client.hpp"

#include <optional>

#include "actors/control_plane_impl.hpp"
#include "actors/messages.hpp"
#include "transport/bootstrap.hpp"

namespace remora::actors {

using transport::errc;
using transport::error;
using transport::result;

namespace {

struct the_session_t {};
constexpr the_session_t the_session;

transport::bytes as_bytes(const std::vector<char>& v) {
  const auto* p = reinterpret_cast<const std::byte*>(v.data());
  return {p, p + v.size()};
}

}  // namespace

result<node_address> node_address::parse(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return error{errc::invalid_argument, "'" + text + "' is not HOST:PORT"};
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port == 0 || port > 65535) throw std::out_of_range("");
  } catch (const std::exception&) {
    return error{errc::invalid_argument, "'" + text + "' has no valid port (1-65535)"};
  }
  return node_address{text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

struct node_client::impl {
  impl(control_plane::impl& c, options o) : cp(c), opts(std::move(o)), self(c.system) {}

  std::string what(const char* request) const {
    return std::string(request) + " on memory node " + opts.address.to_string();
  }
  transport::deadline deadline() const { return transport::after(opts.timeout); }

  // One blocking request, bounded by `timeout`. A request that finds the
  // control connection lost (or the session forgotten with it) connects
  // again once and is asked again: a dropped connection is not a death.
  template <class R, class... Ts>
  result<R> ask_within(std::chrono::milliseconds timeout, const char* request, Ts&&... xs) {
    auto r = ask_once<R>(timeout, request, xs...);
    if (r || !connection_lost(r.err())) return r;
    if (auto again = reconnect(); !again) return again.err();
    return ask_once<R>(timeout, request, std::forward<Ts>(xs)...);
  }
  template <class R, class... Ts>
  result<R> ask(const char* request, Ts&&... xs) {
    return ask_within<R>(opts.timeout, request, std::forward<Ts>(xs)...);
  }

  // A request's arguments as sent: the_session stands for the session of
  // the moment, which a reconnect replaces.
  template <class T>
  const auto& fill(const T& x) const {
    if constexpr (std::is_same_v<T, the_session_t>)
      return hello.session;
    else
      return x;
  }

  template <class R, class... Ts>
  result<R> ask_once(std::chrono::milliseconds timeout, const char* request, const Ts&... xs) {
    std::optional<result<R>> out;
    self->request(node, caf::duration{timeout}, fill(xs)...)
        // A copy, made inside CAF's receive: the payload's bytes are read
        // where TSan can see CAF's hand-over (tests/tsan.supp), not later.
        .receive([&](R& r) { out.emplace(r); },
                 [&](caf::error& e) { out.emplace(to_error(e, what(request))); });
    return std::move(*out);
  }

  // Lost: the connection went (peer_unreachable), or the node no longer
  // knows this session (it forgets a session whose connection went).
  static bool connection_lost(const error& e) {
    return e.code == errc::peer_unreachable ||
           (e.code == errc::auth && e.message.find("no such session") != std::string::npos);
  }

  // Connects and says hello (again), bounded by the timeout. Fills `fresh`
  // with the node's reply; the caller decides whether to keep it.
  result<void> hello_to(memory_node_actor& to, hello_reply& fresh) {
    const std::string where = "memory node " + opts.address.to_string();
    // CAF's connect has no deadline of its own: probe first, bounded, and
    // hang up at once (a TLS node would wait for the probe's handshake).
    if (auto probe =
            transport::tcp_stream::connect(opts.address.host, opts.address.port, deadline());
        !probe)
      return error{errc::peer_unreachable, where + " is unreachable: " + probe.err().message};
    auto remote = remote_node(cp, opts.address.host, opts.address.port);
    if (!remote)
      return error{errc::peer_unreachable, where + " did not accept the control connection: " +
                                               cp.system.render(remote.error())};
    to = *remote;
    std::optional<result<hello_reply>> out;
    self->request(to, caf::duration{opts.timeout}, hello_atom::value, opts.auth_token,
                  protocol_version)
        .receive([&](hello_reply& r) { out.emplace(r); },
                 [&](caf::error& e) { out.emplace(to_error(e, what("hello"))); });
    if (!*out) return out->err();
    fresh = std::move(*out).value();
    return {};
  }

  // After a lost connection: the same node again, with a new session. A
  // different node at the address (the node restarted) is refused: the
  // objects this client knows are not there.
  result<void> reconnect() {
    memory_node_actor to;
    hello_reply fresh;
    if (auto r = hello_to(to, fresh); !r) return r;
    successor = fresh.node_id;
    if (fresh.node_id != hello.node_id)
      return error{errc::peer_unreachable, "memory node " + opts.address.to_string() +
                                               " restarted: it is another node now, without the "
                                               "objects it held"};
    node = to;
    hello.session = fresh.session;
    ++reconnects;
    return {};
  }

  // The data path's locator: the object's location, looked up anew.
  result<void> refresh(object_location& where) {
    auto fresh = ask<std::vector<object_location>>("lookup", lookup_atom::value, the_session,
                                                   std::vector<object_id>{where.id});
    if (!fresh) return fresh.err();
    where = fresh->at(0);
    return {};
  }

  control_plane::impl& cp;
  options opts;
  caf::scoped_actor self;
  memory_node_actor node;
  hello_reply hello;
  std::optional<storage::remote_arena> data;
  caf::actor watcher;           // see watch()
  memory_node_actor watched;    // the handle the watcher monitors
  std::uint64_t successor = 0;  // the node id found by the last reconnect
  std::uint64_t reconnects = 0;
};

result<std::unique_ptr<node_client>> node_client::connect(control_plane& cp, const options& o) {
  auto p = std::make_unique<impl>(cp.internals(), o);
  const std::string where = "memory node " + o.address.to_string();
  if (auto r = p->hello_to(p->node, p->hello); !r) return r.err();
  auto* self = p.get();  // the impl stays put: the locator may keep it
  auto data = storage::remote_arena::connect(
      as_bytes(p->hello.worker_address), as_bytes(p->hello.arena_key),
      [self](object_location& w) { return self->refresh(w); }, o.address.to_string(), o.timeout,
      {o.net_devices});
  if (!data) return error{data.err().code, where + ": " + data.err().message};
  p->data.emplace(std::move(data).value());
  return std::unique_ptr<node_client>(new node_client(std::move(p)));
}

node_client::node_client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

node_client::~node_client() {
  if (impl_->watcher) caf::anon_send_exit(impl_->watcher, caf::exit_reason::user_shutdown);
  impl_->self->send(impl_->node, goodbye_atom::value, impl_->hello.session);
  impl_->data.reset();
}

std::uint64_t node_client::node_id() const {
  return impl_->hello.node_id;
}
std::uint32_t node_client::max_object_size() const {
  return impl_->hello.max_object_size;
}
const node_address& node_client::address() const {
  return impl_->opts.address;
}
storage::remote_arena& node_client::data() {
  return *impl_->data;
}

result<std::vector<object_location>> node_client::allocate(std::span<const object_id> ids,
                                                           std::span<const std::uint32_t> sizes) {
  return impl_->ask<std::vector<object_location>>(
      "alloc", alloc_atom::value, the_session, std::vector<object_id>(ids.begin(), ids.end()),
      std::vector<std::uint32_t>(sizes.begin(), sizes.end()));
}

result<std::uint64_t> node_client::free(std::span<const object_id> ids) {
  return impl_->ask<std::uint64_t>("free", free_atom::value, the_session,
                                   std::vector<object_id>(ids.begin(), ids.end()));
}

result<std::vector<object_location>> node_client::lookup(std::span<const object_id> ids) {
  return impl_->ask<std::vector<object_location>>("lookup", lookup_atom::value, the_session,
                                                  std::vector<object_id>(ids.begin(), ids.end()));
}

result<node_stats> node_client::stats() {
  return impl_->ask<node_stats>("stats", stats_atom::value);
}

result<std::uint64_t> node_client::ping(std::chrono::milliseconds timeout) {
  auto& p = *impl_;
  auto r =
      p.ask_within<node_stats>(std::min(timeout, p.opts.timeout), "heartbeat", stats_atom::value);
  if (!r && p.successor != 0 && p.successor != p.hello.node_id) return p.successor;
  if (!r) return r.err();
  return p.hello.node_id;
}

std::uint64_t node_client::reconnects() const {
  return impl_->reconnects;
}

void node_client::watch(std::atomic<bool>& down) {
  auto& p = *impl_;
  if (p.watcher && p.watched == p.node) return;
  if (p.watcher) caf::anon_send_exit(p.watcher, caf::exit_reason::user_shutdown);
  p.watched = p.node;
  p.watcher =
      p.cp.system.spawn([node = p.node, &down](caf::event_based_actor* self) -> caf::behavior {
        self->monitor(node);
        self->set_down_handler([self, &down](const caf::down_msg&) {
          down.store(true, std::memory_order_release);
          self->quit();
        });
        return {[](caf::ok_atom) {}};  // nothing to do but wait for the down message
      });
}

}  // namespace remora::actors

#include "actors/node_client.hpp"

#include <optional>
#include <tuple>

#include "actors/ask.hpp"
#include "actors/control_plane_impl.hpp"
#include "actors/messages.hpp"
#include "actors/node_replies.hpp"
#include "actors/preamble.hpp"
#include "actors/publications.hpp"
#include "transport/bootstrap.hpp"
#include "transport/mutex.hpp"
#include "transport/secure_random.hpp"
#include "transport/stop_flag.hpp"

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

struct node_client::impl {
  impl(control_plane::impl& c, options o)
      : cp(c),
        opts(std::move(o)),
        self(c.system),
        asking(c.system),
        watchers(std::make_shared<watch_hook>()) {}

  std::string what(const char* request) const {
    return std::string(request) + " on memory node " + opts.address.to_string();
  }
  transport::deadline deadline() const { return transport::after(opts.timeout); }

  // One blocking request, bounded by `timeout`. A request that finds the
  // control connection lost (or the session forgotten with it) connects
  // again once and is asked again: a dropped connection is not a death.
  template <class R, class... Ts>
  result<R> ask_within(std::chrono::milliseconds timeout, const std::function<bool()>& give_up,
                       const char* request, const Ts&... xs) {
    if (conn.lost->load(std::memory_order_acquire))
      if (auto again = reconnect(); !again) return again.err();
    auto lost = conn.lost;  // a reconnect elsewhere may replace conn meanwhile
    auto r = actors::ask<R>(asking, conn.node, timeout, what(request), lost, give_up, fill(xs)...);
    if (r || !connection_lost(r.err())) return r;
    if (auto again = reconnect(); !again) return again.err();
    lost = conn.lost;
    return actors::ask<R>(asking, conn.node, timeout, what(request), lost, give_up, fill(xs)...);
  }
  // A heartbeat, answered by the node's pulse (messages.hpp): whether the
  // node is being drained.
  result<bool> beat(std::chrono::milliseconds timeout, const std::function<bool()>& give_up = {}) {
    if (conn.lost->load(std::memory_order_acquire))
      if (auto again = reconnect(); !again) return again.err();
    auto lost = conn.lost;
    auto r = actors::ask<bool>(asking, hello.pulse, timeout, what("heartbeat"), lost, give_up,
                               pulse_atom::value);
    if (r || !connection_lost(r.err())) return r;
    if (auto again = reconnect(); !again) return again.err();
    lost = conn.lost;
    return actors::ask<bool>(asking, hello.pulse, timeout, what("heartbeat"), lost, give_up,
                             pulse_atom::value);
  }
  // A request as the data path and allocation make it: abandoned once the
  // node is known not to answer (options::give_up).
  template <class R, class... Ts>
  result<R> ask(const char* request, const Ts&... xs) {
    return ask_within<R>(opts.timeout, opts.give_up, request, xs...);
  }
  // ask() of a request about the objects `ids` (alloc, place, lookup), whose
  // answer names each one's slot in order, or it is the node's protocol
  // error (node_replies.hpp).
  template <class... Ts>
  result<std::vector<object_location>> ask_slots(const char* request,
                                                 std::span<const object_id> ids, const Ts&... xs) {
    return slots_for(ids, ask<std::vector<object_location>>(request, xs...),
                     opts.address.to_string(), request);
  }
  // ask(), sent now and answered by the returned call (made once, on this
  // thread); a connection lost meanwhile is made again and the request
  // asked again, as ask() does.
  template <class R, class... Ts>
  std::function<result<R>()> ask_later(const char* request, const Ts&... xs) {
    if (conn.lost->load(std::memory_order_acquire))
      return [this, request, xs...] { return ask<R>(request, xs...); };
    auto sent = std::make_shared<pending_reply<R>>(actors::start_ask<R>(
        asking, conn.node, opts.timeout, what(request), conn.lost, opts.give_up, fill(xs)...));
    return [this, sent, request, xs...]() -> result<R> {
      auto r = sent->wait();
      if (r || !connection_lost(r.err())) return r;
      return ask<R>(request, xs...);
    };
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

  // Lost: the connection went, or the node no longer knows this session
  // (it forgets a session whose connection went).
  bool connection_lost(const error& e) const {
    return e.code == errc::peer_unreachable || conn.lost->load(std::memory_order_acquire) ||
           (e.code == errc::auth && e.message.find("no such session") != std::string::npos);
  }

  // What watch() asked to be called when a connection is lost.
  struct watch_hook {
    transport::mutex mutex;
    std::function<void()> call REMORA_GUARDED_BY(mutex);
    void operator()() {
      transport::lock_guard held(mutex);
      if (call) call();
    }
  };

  // One control connection: the node's handle, and an actor of its own (the
  // agent) that says hello and then watches the node. The session lives as
  // long as the agent does (the node forgets a session whose sender is
  // gone); when the connection goes, `lost` is set and the watch called.
  struct connection {
    memory_node_actor node;
    caf::actor agent;
    std::shared_ptr<std::atomic<bool>> lost = std::make_shared<std::atomic<bool>>(false);
  };

  // Connects and says hello, bounded by the timeout; the node's reply in
  // `fresh`.
  result<connection> open(hello_reply& fresh) {
    const std::string where = "memory node " + opts.address.to_string();
    // A quick answer for an address where nobody listens: probe first,
    // bounded, and hang up at once. Not over TLS: the handshake a probe
    // leaves unfinished makes CAF's TLS layer drop the node's connection,
    // which this process's other clients share (CAF keeps one per node).
    if (!cp.tls)
      if (auto probe =
              transport::tcp_stream::connect(opts.address.host, opts.address.port, deadline());
          !probe)
        return error{errc::peer_unreachable, where + " is unreachable: " + probe.err().message};
    if (!cp.tls && opts.auth_token.size() > max_preamble_token)
      return error{errc::auth, "an auth token of " + std::to_string(opts.auth_token.size()) +
                                   " bytes: at most " + std::to_string(max_preamble_token) +
                                   " are allowed"};
    auto remote =
        remote_node(cp, opts.address.host, opts.address.port, opts.timeout, opts.auth_token);
    if (!remote && to_error(remote.error(), where).code == errc::auth)
      return to_error(remote.error(), where);  // its front door said why
    if (!remote)
      return error{
          errc::peer_unreachable,
          where + " did not accept the control connection: " + cp.system.render(remote.error()) +
              (cp.tls ? " (is its certificate signed by the CA given, and ours by its CA?)"
                      : " (if the node uses TLS, give the client TLS too: Options::tls, "
                        "--tls-ca-file, --tls-certificate, --tls-key)")};
    connection c;
    c.node = *remote;
    auto out = std::make_shared<outcome<hello_reply>>();
    c.agent = cp.system.spawn([node = c.node, lost = c.lost, hook = watchers, out,
                               timeout = opts.timeout, token = opts.auth_token, owner = opts.owner,
                               what = what("hello")](caf::event_based_actor* a) -> caf::behavior {
      a->monitor(node);
      a->set_down_handler([a, lost, hook, out, what](const caf::down_msg&) {
        lost->store(true, std::memory_order_release);
        out->settle(connection_lost_error(what));
        (*hook)();
        a->quit();
      });
      a->request(node, caf::duration{timeout}, hello_atom::value, token, protocol_version, owner)
          .then([out](hello_reply& r) { out->settle(r); },
                [out, what](caf::error& e) { out->settle(to_error(e, what)); });
      return {[](caf::ok_atom) {}};  // then nothing to do but watch
    });
    drop_thread_logger();
    // Given up when this thread's owner stops it (nothing is held: the
    // agent goes). Not on give_up: the runtime's first connections are
    // made while the health that answers it is being built.
    auto reply = out->wait(opts.timeout + std::chrono::seconds(1), what("hello"),
                           [] { return transport::stop_asked(); });
    if (!reply) {
      caf::anon_send_exit(c.agent, caf::exit_reason::user_shutdown);
      return reply.err();
    }
    fresh = std::move(reply).value();
    return c;
  }

  // After a lost connection: the same node again, with a new session. A
  // different node at the address (the node restarted) is refused: the
  // objects this client knows are not there.
  result<void> reconnect() {
    hello_reply fresh;
    auto c = open(fresh);
    if (!c) return c.err();
    successor = fresh.node_id;
    if (fresh.node_id != hello.node_id) {
      caf::anon_send_exit(c->agent, caf::exit_reason::user_shutdown);
      return error{errc::peer_unreachable, "memory node " + opts.address.to_string() +
                                               " restarted: it is another node now, without the "
                                               "objects it held"};
    }
    caf::anon_send_exit(conn.agent, caf::exit_reason::user_shutdown);
    conn = std::move(c).value();
    hello.session = fresh.session;
    hello.pulse = fresh.pulse;
    ++reconnects;
    return {};
  }

  // Ends the session: goodbye to the node, and the agent stops (an agent
  // left running would keep the actor system, and the process, from ending).
  void close() {
    self->send(conn.node, goodbye_atom::value, hello.session);
    caf::anon_send_exit(conn.agent, caf::exit_reason::user_shutdown);
  }

  // The data path's locator: the object's location, looked up anew.
  result<void> refresh(object_location& where) {
    const object_id id = where.id;
    auto fresh =
        ask_slots("lookup", std::span(&id, 1), lookup_atom::value, the_session, std::vector{id});
    if (!fresh) return fresh.err();
    where = fresh->front();
    return {};
  }

  control_plane::impl& cp;
  options opts;
  caf::scoped_actor self;
  requesters asking;  // the requests' requesters, made on demand, kept for the next
  const std::shared_ptr<watch_hook> watchers;
  connection conn;
  hello_reply hello;
  std::optional<storage::remote_arena> data;
  std::uint64_t successor = 0;  // the node id found by the last reconnect
  std::uint64_t reconnects = 0;
};

result<std::unique_ptr<node_client>> node_client::connect(control_plane& cp, const options& o) {
  auto p = std::make_unique<impl>(cp.internals(), o);
  if (p->opts.owner == 0) p->opts.owner = transport::secure_random_u64();
  const std::string where = "memory node " + o.address.to_string();
  auto c = p->open(p->hello);
  if (!c) return c.err();
  p->conn = std::move(c).value();
  auto* self = p.get();  // the impl stays put: the locator may keep it
  auto data = storage::remote_arena::connect(
      as_bytes(p->hello.worker_address), as_bytes(p->hello.arena_key),
      [self](object_location& w) { return self->refresh(w); }, o.address.to_string(), o.timeout,
      {o.net_devices}, o.give_up, !transport::is_this_host(o.address.host));
  if (!data) {
    std::string why = where + ": " + data.err().message;
    // UCX found no transport that reaches the node's worker from here.
    if (why.find("Destination is unreachable") != std::string::npos)
      why +=
          " (no UCX transport in common with the node: one with tenants moves data over "
          "shared memory or RDMA alone, unless started with --insecure)";
    p->close();
    return error{data.err().code, why};
  }
  p->data.emplace(std::move(data).value());
  p->data->reconnect_only_if([self]() -> result<void> {
    if (auto r = self->beat(self->opts.timeout, self->opts.give_up); !r) return r.err();
    return {};
  });
  return std::unique_ptr<node_client>(new node_client(std::move(p)));
}

node_client::node_client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

node_client::~node_client() {
  impl_->close();
  impl_->data.reset();
}

std::uint64_t node_client::node_id() const {
  return impl_->hello.node_id;
}
std::uint64_t node_client::session() const {
  return impl_->hello.session;
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
  // A retry of a request served with its reply lost (with the connection,
  // or abandoned when the node stopped answering a while) is answered with
  // the objects' slots: the node's allocation is idempotent for its owner.
  return impl_->ask_slots("alloc", ids, alloc_atom::value, the_session,
                          std::vector<object_id>(ids.begin(), ids.end()),
                          std::vector<std::uint32_t>(sizes.begin(), sizes.end()));
}

std::function<result<std::vector<object_location>>()> node_client::allocate_later(
    std::span<const object_id> ids, std::span<const std::uint32_t> sizes) {
  std::vector<object_id> asked(ids.begin(), ids.end());
  auto reply = impl_->ask_later<std::vector<object_location>>(
      "alloc", alloc_atom::value, the_session, asked,
      std::vector<std::uint32_t>(sizes.begin(), sizes.end()));
  return [asked = std::move(asked), reply = std::move(reply), node = address().to_string()] {
    return slots_for(asked, reply(), node, "alloc");
  };
}

result<std::vector<object_location>> node_client::place(std::span<const object_id> ids,
                                                        std::span<const std::uint32_t> sizes,
                                                        std::span<const std::byte> bytes) {
  // Idempotent as allocate() is: a retry finds the same slots and writes the
  // bytes it carries.
  const auto* first = reinterpret_cast<const char*>(bytes.data());
  return impl_->ask_slots("place", ids, place_atom::value, the_session,
                          std::vector<object_id>(ids.begin(), ids.end()),
                          std::vector<std::uint32_t>(sizes.begin(), sizes.end()),
                          std::vector<char>(first, first + bytes.size()));
}

result<std::uint64_t> node_client::free(std::span<const object_id> ids) {
  return impl_->ask<std::uint64_t>("free", free_atom::value, the_session,
                                   std::vector<object_id>(ids.begin(), ids.end()));
}

result<std::vector<object_location>> node_client::lookup(std::span<const object_id> ids) {
  return impl_->ask_slots("lookup", ids, lookup_atom::value, the_session,
                          std::vector<object_id>(ids.begin(), ids.end()));
}

// Publishing a table of millions of rows goes in parts (messages.hpp,
// publication_slice_bytes), each a slice of the description and of the ids
// handed over, and opening it reads the description a slice at a time:
// neither side's buffers grow to the whole table. Closing the last view or
// unpublishing frees every chunk on the node, and heartbeats wait behind
// it: such a request is not abandoned for a missed heartbeat, only past its
// deadline, which grows by a second for each million chunks. The chunks
// are not known here, so those wait for as many as a table of ten million.
namespace {
std::chrono::milliseconds publication_deadline(std::chrono::milliseconds timeout,
                                               std::size_t chunks) {
  return timeout + std::chrono::milliseconds(chunks / 1000);
}
constexpr std::size_t most_chunks = 10'000'000;
constexpr std::size_t ids_a_part = publication_slice_bytes / sizeof(object_id);

// How many parts carry `description` and `ids`: as many as the longer needs.
std::size_t parts_for(std::span<const char> description, std::span<const object_id> ids) {
  const auto over = [](std::size_t n, std::size_t each) { return (n + each - 1) / each; };
  return std::max({std::size_t{1}, over(description.size(), publication_slice_bytes),
                   over(ids.size(), ids_a_part)});
}

// Part k of `all`, in parts of `each`.
template <class T>
std::vector<T> part_of(std::span<const T> all, std::size_t k, std::size_t each) {
  const std::size_t from = std::min(all.size(), k * each);
  return {all.begin() + static_cast<std::ptrdiff_t>(from),
          all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), from + each))};
}
}  // namespace

// All parts but the last go ahead (stage_atom); how many there are.
result<std::size_t> node_client::stage(std::uint64_t id, std::span<const char> description,
                                       std::span<const object_id> ids) {
  const std::size_t parts = parts_for(description, ids);
  for (std::size_t k = 0; k + 1 < parts; ++k) {
    auto r = impl_->ask_within<std::uint64_t>(
        publication_deadline(impl_->opts.timeout, ids_a_part), {}, "stage", stage_atom::value,
        the_session, id, static_cast<std::uint64_t>(description.size()),
        static_cast<std::uint64_t>(k), part_of(description, k, publication_slice_bytes),
        part_of(ids, k, ids_a_part));
    if (!r) return r.err();
  }
  return parts;
}

result<std::uint64_t> node_client::publish(std::uint64_t id, const std::string& name,
                                           std::span<const char> description,
                                           std::span<const object_id> ids) {
  auto parts = stage(id, description, ids);
  auto r = parts ? impl_->ask_within<std::uint64_t>(
                       publication_deadline(impl_->opts.timeout, ids_a_part), {}, "publish",
                       publish_atom::value, the_session, id, name,
                       part_of(description, *parts - 1, publication_slice_bytes),
                       part_of(ids, *parts - 1, ids_a_part))
                 : result<std::uint64_t>(parts.err());
  if (!r) {
    (void)impl_->ask<std::uint64_t>("retract", retract_atom::value, the_session, id);  // parts sent
    return r.err();
  }
  return static_cast<std::uint64_t>(ids.size());
}

result<node_client::publication> node_client::open(const std::string& name) {
  auto r = impl_->ask<publication_reply>("open", open_atom::value, the_session, name);
  if (!r) return r.err();
  // The rest of the description, a slice at a time; a mend meanwhile (a new
  // generation) starts it again.
  const auto malformed = [&](const publication_reply& p, std::size_t at) {
    return error{errc::protocol, "a slice of " + std::to_string(p.description.size()) +
                                     " bytes at " + std::to_string(p.offset) +
                                     " of the description of '" + name + "' (" +
                                     std::to_string(p.description_bytes) + " bytes) where " +
                                     std::to_string(at) + " was asked"};
  };
  const auto fits = [](const publication_reply& p, std::size_t at) {
    return p.description_bytes <= publications::most_description_bytes && p.offset == at &&
           p.description.size() <= p.description_bytes - at &&
           (!p.description.empty() || at == p.description_bytes);
  };
  publication_reply first = std::move(r).value();
  if (!fits(first, 0)) return malformed(first, 0);
  storage::huge_vector<char> description;
  description.reserve(first.description_bytes);
  description.assign(first.description.begin(), first.description.end());
  for (int restarts = 0; description.size() < first.description_bytes;) {
    auto s = impl_->ask<publication_reply>("describe", describe_atom::value, the_session, first.id,
                                           static_cast<std::uint64_t>(description.size()));
    if (!s) return s.err();
    if (s->generation != first.generation) {
      if (++restarts > 8)
        return error{errc::busy, "the description of '" + name + "' changed " +
                                     std::to_string(restarts) + " times while being read"};
      first.generation = s->generation;
      first.description_bytes = s->description_bytes;
      description.clear();
      continue;
    }
    if (s->description_bytes != first.description_bytes || !fits(*s, description.size()))
      return malformed(*s, description.size());
    description.insert(description.end(), s->description.begin(), s->description.end());
  }
  return publication{first.id, std::move(description)};
}

result<std::uint64_t> node_client::close(std::uint64_t id) {
  return impl_->ask_within<std::uint64_t>(publication_deadline(impl_->opts.timeout, most_chunks),
                                          {}, "close", close_atom::value, the_session, id);
}

result<std::uint64_t> node_client::retract(std::uint64_t id) {
  return impl_->ask<std::uint64_t>("retract", retract_atom::value, the_session, id);
}

result<std::uint64_t> node_client::mend(std::uint64_t id, std::span<const char> description,
                                        std::span<const object_id> ids) {
  // A mend that fails after its first parts leaves them with the
  // publication (a mend's objects are its own once done); the next mend
  // starts afresh.
  auto parts = stage(id, description, ids);
  if (!parts) return parts.err();
  auto r = impl_->ask_within<std::uint64_t>(
      publication_deadline(impl_->opts.timeout, ids_a_part), {}, "mend", mend_atom::value,
      the_session, id, part_of(description, *parts - 1, publication_slice_bytes),
      part_of(ids, *parts - 1, ids_a_part));
  if (!r) return r.err();
  return static_cast<std::uint64_t>(ids.size());
}

result<std::uint64_t> node_client::unpublish(const std::string& name) {
  return impl_->ask_within<std::uint64_t>(publication_deadline(impl_->opts.timeout, most_chunks),
                                          {}, "unpublish", unpublish_atom::value, the_session,
                                          name);
}

result<std::uint64_t> node_client::blob_put(const std::string& store, const std::string& key,
                                            std::span<const object_id> ids, std::uint64_t capacity,
                                            std::chrono::milliseconds pin) {
  return impl_->ask<std::uint64_t>("blob_put", blob_put_atom::value, the_session, store, key,
                                   std::vector<object_id>(ids.begin(), ids.end()), capacity,
                                   static_cast<std::uint64_t>(pin.count()));
}

result<std::vector<node_client::blob>> node_client::blob_get(const std::string& store,
                                                             std::span<const std::string> keys,
                                                             bool locate) {
  auto r = impl_->ask<std::vector<blob_value>>("blob_get", blob_get_atom::value, the_session, store,
                                               std::vector<std::string>(keys.begin(), keys.end()),
                                               locate);
  if (!r) return r.err();
  std::vector<blob> out;
  out.reserve(r->size());
  for (auto& v : *r) out.push_back({v.found, v.bytes, std::move(v.pieces)});
  return values_for(keys.size(), std::move(out), locate, address().to_string());
}

result<bool> node_client::blob_erase(const std::string& store, const std::string& key) {
  return impl_->ask<bool>("blob_erase", blob_erase_atom::value, the_session, store, key);
}

result<blob_store_stats> node_client::blob_stats(const std::string& store) {
  return impl_->ask<blob_store_stats>("blob_stats", blob_stats_atom::value, the_session, store);
}

result<std::uint64_t> node_client::damage() {
  return impl_->ask<std::uint64_t>("damage", damage_atom::value);
}

result<std::uint64_t> node_client::stall(std::chrono::milliseconds ms) {
  return impl_->ask_within<std::uint64_t>(impl_->opts.timeout + ms, {}, "stall", stall_atom::value,
                                          static_cast<std::uint32_t>(ms.count()));
}

result<node_stats> node_client::stats() {
  return impl_->ask<node_stats>("stats", stats_atom::value);
}

result<node_stats> node_client::drain(bool on) {
  return impl_->ask<node_stats>("drain", drain_atom::value, impl_->opts.auth_token, on);
}

result<node_stats> node_client::leave() {
  return impl_->ask<node_stats>("leave", leave_atom::value, impl_->opts.auth_token);
}

result<node_client::pong> node_client::ping(std::chrono::milliseconds timeout) {
  auto& p = *impl_;
  // The node's pulse answers, not the node's actor: a long request there
  // must not look like a node gone (messages.hpp).
  auto r = p.beat(std::min(timeout, p.opts.timeout));
  if (!r && p.successor != 0 && p.successor != p.hello.node_id) return pong{p.successor, false};
  if (!r) return r.err();
  return pong{p.hello.node_id, *r};
}

std::uint64_t node_client::reconnects() const {
  return impl_->reconnects;
}

void node_client::watch(std::function<void()> lost) {
  auto& hook = *impl_->watchers;
  transport::lock_guard held(hook.mutex);
  if (!hook.call) hook.call = std::move(lost);
}

}  // namespace remora::actors

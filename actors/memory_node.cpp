#include "actors/memory_node.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>

#include <caf/io/middleman.hpp>

#include "actors/blob_index.hpp"
#include "actors/front_door.hpp"
#include "actors/preamble.hpp"
#include "actors/publications.hpp"
#include "actors/request_latency.hpp"
#include "actors/thread_logger.hpp"
#include "remora/version.hpp"
#include "transport/secure_random.hpp"

namespace remora::actors {

namespace {

using transport::errc;

struct session_info {
  caf::actor_addr client;  // monitored: its connection going away ends the session
  std::uint64_t owner = 0;
  std::uint32_t tenant = 0;  // whose token it gave (0 without tenants)
};
// A client runtime's hold on its objects: its live sessions; when the last
// ends, a timer of the lease grace starts, and a new session (a reconnect)
// stops it by bumping the generation.
struct lease {
  std::uint32_t live = 0;
  std::uint64_t generation = 0;
};

// A request (an alloc, a lookup, a blob get that locates) whose room is
// still in quarantine (storage::arena's reuse delay). It waits here, in
// order of arrival, for the node's timer, rather than holding the node's
// thread: frees, stats, hellos and lookups of objects in memory are served
// meanwhile. Requests that need room queue behind it, as they did behind a
// sleeping node.
struct room_request {
  std::uint64_t session = 0;
  caf::actor_addr client;  // the session's, to check it is still the same
  std::size_t max_waits = 0;
  std::size_t waits = 0;
  // Serves the request for its session: false when its room is still in
  // quarantine. With an error instead of a session, replies with that.
  std::function<bool(const session_info*, const transport::error*)> attempt;
};

struct memory_node_state {
  memory_node_setup setup;
  std::unordered_map<std::uint64_t, session_info> sessions;
  std::unordered_map<std::uint64_t, lease> owners;
  publications published;
  blob_index blobs;
  node_stats counters;  // leaving: drained (remora-ctl drain)
  // The pulse (messages.hpp), and what it tells of the node: drained.
  pulse_actor pulse;
  std::shared_ptr<std::atomic<bool>> leaving = std::make_shared<std::atomic<bool>>(false);
  request_latency latency;
  std::deque<room_request> waiting_for_room;  // non-empty: the room timer is set
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  static inline const char* name = "remora.memory_node";
};

using node_pointer = memory_node_actor::stateful_pointer<memory_node_state>;

std::vector<char> as_chars(const transport::bytes& b) {
  return {reinterpret_cast<const char*>(b.data()),
          reinterpret_cast<const char*>(b.data()) + b.size()};
}

std::vector<slot_location> to_wire(const std::vector<storage::object_location>& in, node_stats& s) {
  std::vector<slot_location> out;
  out.reserve(in.size());
  for (const auto& l : in) {
    out.push_back({l.id, l.offset, l.version, l.size, l.slot_bytes});
    s.bytes_served += l.size;
  }
  return out;
}

caf::error refuse(node_pointer self, const transport::error& e) {
  ++self->state.counters.errors;
  return make_remora_error(e.code, e.message);
}

// The session's owner, or nullptr when hello did not grant `session` to
// the process asking (a session is bound to its client's connection: CAF
// keeps one per pair of processes, so a session id learned elsewhere is of
// no use). Counts the request either way.
const session_info* admitted(node_pointer self, std::uint64_t session) {
  ++self->state.counters.requests;
  auto it = self->state.sessions.find(session);
  if (it == self->state.sessions.end()) return nullptr;
  const auto& sender = self->current_sender();
  if (!sender || !it->second.client || sender->node() != it->second.client.node()) return nullptr;
  return &it->second;
}

// A session ended (goodbye, or its client went away). The owner's last
// starts its lease's grace.
void end_session(node_pointer self, std::uint64_t session) {
  auto& st = self->state;
  auto it = st.sessions.find(session);
  if (it == st.sessions.end()) return;
  const std::uint64_t owner = it->second.owner;
  st.sessions.erase(it);
  auto& l = st.owners[owner];
  if (l.live > 0 && --l.live == 0)
    self->delayed_send(caf::actor_cast<memory_node_actor>(self), st.setup.lease_grace,
                       expire_atom::value, owner, ++l.generation);
}

// The tenant whose token `token` is (index 0 without tenants: the node's
// one token, or none); nullopt when it is nobody's. Every token is compared,
// so the time says nothing of which one matched.
std::optional<std::uint32_t> tenant_of(const memory_node_setup& setup, const std::string& token) {
  if (setup.tenants.empty()) {
    if (setup.auth_token.empty() || token_matches(setup.auth_token, token)) return 0;
    return std::nullopt;
  }
  std::optional<std::uint32_t> found;
  for (std::uint32_t t = 0; t < setup.tenants.size(); ++t)
    if (token_matches(setup.tenants[t].token, token) && !found) found = t;
  return found;
}

node_stats current_stats(node_pointer self) {
  auto& st = self->state;
  auto a = st.setup.arena->stats();
  node_stats s = st.counters;
  s.capacity = a.capacity;
  s.used = a.used;
  s.objects = a.objects;
  s.spilled_objects = a.spilled_objects;
  s.spilled_bytes = a.spilled_bytes;
  s.spills = a.spills;
  s.unspills = a.unspills;
  s.clean_spills = a.clean_spills;
  s.room_waits = a.room_waits;
  s.sessions = st.sessions.size();
  s.spill_disk_bytes = a.spill_disk_bytes;
  s.table_bytes = a.table_bytes;
  s.high_watermark = a.high_watermark;
  s.low_watermark = a.low_watermark;
  s.version = REMORA_VERSION;
  s.pid = static_cast<std::uint64_t>(::getpid());
  s.uptime_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - st.started)
                                               .count());
  s.published = st.published.named();
  s.publications_held = st.published.held();
  if (st.setup.door) {
    const auto d = st.setup.door->figures();
    s.connections = d.open;
    s.connections_refused = d.refused;
    s.connections_expired = d.expired;
    s.connections_oversize = d.oversize;
    s.connections_unknown = d.unknown;
  }
  st.latency.report(s);
  for (std::uint32_t t = 0; t < st.setup.tenants.size(); ++t) {
    s.tenant_names.push_back(st.setup.tenants[t].name);
    s.tenant_used.push_back(st.setup.arena->tenant_used(t));
    s.tenant_quota.push_back(st.setup.tenants[t].quota);
  }
  return s;
}

// Operator requests (drain, leave) carry the node's token, as hellos do.
bool operator_admitted(node_pointer self, const std::string& token) {
  ++self->state.counters.requests;
  const auto& expected = self->state.setup.auth_token;
  return expected.empty() || token_matches(expected, token);
}

// Frees a publication that is done (unpublished, no view left); how many
// objects went.
std::uint64_t free_publication(node_pointer self, std::optional<std::uint64_t> id) {
  return id ? self->state.setup.arena->free_owner(*id) : 0;
}

// Whether `id` may name a new publication: no client's, no publication's,
// and holding no objects.
bool id_is_free(node_pointer self, std::uint64_t id) {
  const auto& st = self->state;
  return id != 0 && !st.owners.contains(id) && !st.published.has(id) &&
         !st.setup.arena->has_owner(id);
}

transport::error taken_id(std::uint64_t id) {
  return {transport::errc::already_exists, "publication id " + std::to_string(id) + " is taken"};
}

// `viewer` gives up what it staged for `id`: a publish's objects are its
// own again (a mend's are the publication's already). How many came back.
std::uint64_t give_up_staging(node_pointer self, std::uint64_t id, std::uint64_t viewer) {
  auto& st = self->state;
  auto staged = st.published.take_staged(id, viewer);
  if (!staged || staged->kind != publications::staging::publish) return 0;
  return st.setup.arena->give_back(id, viewer);
}

// A description's last part after those staged, if any: the whole of it,
// as long as announced.
transport::result<storage::huge_vector<char>> completed(
    std::optional<publications::staged_part> staged, const std::vector<char>& last) {
  if (!staged) return storage::huge_vector<char>(last.begin(), last.end());
  auto& whole = staged->description;
  whole.insert(whole.end(), last.begin(), last.end());
  if (whole.size() != staged->description_bytes)
    return transport::error{transport::errc::invalid_argument,
                            "the description came to " + std::to_string(whole.size()) +
                                " bytes of the " + std::to_string(staged->description_bytes) +
                                " announced"};
  return std::move(whole);
}

publication_reply reply_of(publications::opened o) {
  return {o.id, o.generation, o.description_bytes, o.offset, std::move(o.description)};
}

// How long a replaced blob value stays readable: well past the time a
// reader takes from finding it to reading it.
constexpr std::chrono::seconds replaced_grace{2};

// Evicts blob store keys of `tenant` until about `bytes` are free; how many
// objects went.
std::uint64_t evict_blobs(node_pointer self, std::uint32_t tenant, std::uint64_t bytes) {
  std::map<std::uint64_t, std::vector<std::uint64_t>> by_owner;
  for (auto [owner, id] : self->state.blobs.evict_for(tenant, bytes)) by_owner[owner].push_back(id);
  std::uint64_t freed = 0;
  for (const auto& [owner, ids] : by_owner)
    if (auto r = self->state.setup.arena->free(ids, owner)) freed += *r;
  return freed;
}

// A reply, or nullopt when the room it needs is still in quarantine (the
// arena says until when).
template <class T>
std::optional<transport::result<T>> unless_busy(transport::result<T> r) {
  if (!r && r.err().code == errc::busy) return std::nullopt;
  return r;
}

transport::result<std::vector<storage::object_location>> allocate(
    node_pointer self, const session_info& who, const std::vector<std::uint64_t>& ids,
    const std::vector<std::uint32_t>& sizes, std::span<const std::byte> bytes = {}) {
  auto& st = self->state;
  constexpr auto report = storage::arena::when_full::report;
  if (st.counters.leaving)
    return transport::error{errc::no_space, "this node is being drained: it takes no new objects"};
  auto out = st.setup.arena->allocate(ids, sizes, who.owner, who.tenant, report, bytes);
  if (!out && out.err().code == errc::no_space) {
    // Full: blob stores are caches; their least recent keys make room.
    std::uint64_t wanted = 0;
    for (std::uint32_t size : sizes) wanted += size;
    if (evict_blobs(self, who.tenant, wanted) > 0)
      out = st.setup.arena->allocate(ids, sizes, who.owner, who.tenant, report, bytes);
  }
  return out;
}

// The objects holding the values of `keys` in `who`'s blob store `store`
// (counting nothing).
std::vector<std::uint64_t> pieces_of(node_pointer self, const session_info& who,
                                     const std::string& store,
                                     const std::vector<std::string>& keys) {
  std::vector<std::uint64_t> ids;
  for (const auto& key : keys)
    if (const auto* v = self->state.blobs.get(who.tenant, store, key, false))
      ids.insert(ids.end(), v->ids.begin(), v->ids.end());
  return ids;
}

void set_room_timer(node_pointer self) {
  const auto wait = self->state.setup.arena->room_ready_at() - std::chrono::steady_clock::now();
  self->delayed_send(caf::actor_cast<memory_node_actor>(self),
                     std::max<std::chrono::steady_clock::duration>(wait, {}), room_atom::value);
}

// Serves a request now, or queues it until its room is out of quarantine.
// `serve(who)` gives its reply (a T or an error), or nullopt for busy.
// `needs_room`: false when it surely needs none (it may pass those
// waiting). It matters only while some request waits, so callers work it
// out only then.
// Its latency, of `kind`, runs from now to its reply.
template <class T, class Serve>
caf::result<T> serve_or_wait(node_pointer self, std::uint64_t session, const session_info& who,
                             request_kind kind, std::size_t items, bool needs_room, Serve serve) {
  auto& st = self->state;
  const auto arrived = std::chrono::steady_clock::now();
  auto record = [self, kind, arrived] {
    self->state.latency.record(kind, std::chrono::steady_clock::now() - arrived);
  };
  if (st.waiting_for_room.empty() || !needs_room)
    if (std::optional<transport::result<T>> out = serve(who)) {
      record();
      if (!*out) return refuse(self, out->err());
      return std::move(*out).value();
    }
  auto promise = self->make_response_promise<T>();
  room_request r;
  r.session = session;
  r.client = who.client;
  // Each item may wait its turn, as on a sleeping node.
  r.max_waits = storage::arena::max_room_waits * std::max<std::size_t>(1, items);
  r.attempt = [self, record, promise, serve = std::move(serve)](
                  const session_info* who, const transport::error* fail) mutable {
    std::optional<transport::result<T>> out;
    if (fail != nullptr)
      out = *fail;
    else
      out = serve(*who);
    if (!out) return false;
    record();
    if (!*out)
      promise.deliver(refuse(self, out->err()));
    else
      promise.deliver(std::move(*out).value());
    return true;
  };
  st.waiting_for_room.push_back(std::move(r));
  if (st.waiting_for_room.size() == 1) set_room_timer(self);
  return promise;
}

// The room timer: serves the waiting requests in order, up to the first
// that must wait again.
void serve_waiting(node_pointer self) {
  auto& st = self->state;
  while (!st.waiting_for_room.empty()) {
    room_request& r = st.waiting_for_room.front();
    auto it = st.sessions.find(r.session);
    if (it == st.sessions.end() || it->second.client != r.client) {
      const transport::error gone{errc::auth,
                                  "the session ended while its request waited for room"};
      r.attempt(nullptr, &gone);
    } else if (!r.attempt(&it->second, nullptr)) {
      if (++r.waits < r.max_waits) break;
      const transport::error full{errc::no_space,
                                  "no room: the node waited " + std::to_string(r.waits) +
                                      " times for memory to come out of its reuse delay"};
      r.attempt(nullptr, &full);
    }
    st.waiting_for_room.pop_front();
  }
  if (!st.waiting_for_room.empty()) set_room_timer(self);
}

caf::error not_admitted(node_pointer self) {
  return refuse(self,
                {errc::auth, "no such session: say hello (with the node's auth token) first"});
}

// Answers heartbeats on a scheduler thread while the node's own (a thread
// of its own) works through a long request.
pulse_actor::behavior_type pulse(std::shared_ptr<std::atomic<bool>> leaving) {
  return {[leaving](pulse_atom) { return leaving->load(std::memory_order_relaxed); }};
}

memory_node_actor::behavior_type memory_node(node_pointer self, memory_node_setup setup) {
  self->state.setup = std::move(setup);
  self->state.pulse = self->spawn<caf::linked>(pulse, self->state.leaving);
  self->set_down_handler([self](const caf::down_msg& down) {
    std::vector<std::uint64_t> gone;
    for (const auto& [session, info] : self->state.sessions)
      if (info.client == down.source) gone.push_back(session);
    for (std::uint64_t session : gone) end_session(self, session);
  });
  return {
      [self](hello_atom, const std::string& token, std::uint32_t version,
             std::uint64_t owner) -> caf::result<hello_reply> {
        const auto timed = self->state.latency.time(request_kind::hello);
        auto& st = self->state;
        ++st.counters.requests;
        if (version != protocol_version)
          return refuse(self,
                        {errc::protocol, "client speaks protocol " + std::to_string(version) +
                                             ", this node " + std::to_string(protocol_version)});
        const auto tenant = tenant_of(st.setup, token);
        if (!tenant)
          return refuse(self, {errc::auth, token.empty() ? "this node requires an auth token"
                                                         : "wrong auth token"});
        std::uint64_t session = 0;
        // From the kernel's CSPRNG: not guessable from others seen.
        while (session == 0 || st.sessions.contains(session))
          session = transport::secure_random_u64();
        auto sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
        st.sessions.emplace(session, session_info{sender, owner, *tenant});
        auto& l = st.owners[owner];
        ++l.live;
        ++l.generation;  // a lapse pending is off: the owner is back
        if (sender) self->monitor(sender);
        hello_reply reply{st.setup.node_id,
                          session,
                          as_chars(st.setup.worker_address),
                          as_chars(st.setup.arena_keys.at(*tenant)),
                          st.setup.arena->memory(*tenant).size(),
                          st.setup.arena->max_object_size(),
                          st.pulse};
        if (!st.setup.door || !st.setup.door->admits_at_hello() || !sender ||
            sender.node() == self->node())
          return reply;
        // The client's connection leaves the door's limits before it hears
        // the reply, so nothing it sends next is held to them. The node
        // awaits the middleman's answer (microseconds): a busy node's queue
        // would hold it back a second time.
        auto promise = self->make_response_promise<hello_reply>();
        self->request(self->home_system().middleman().actor_handle(),
                      caf::duration{std::chrono::seconds(1)}, caf::get_atom::value, sender.node())
            .await(
                [door = st.setup.door, promise, reply](const caf::node_id&, const std::string& host,
                                                       std::uint16_t port) mutable {
                  door->admit(host, port);
                  promise.deliver(std::move(reply));
                },
                [promise, reply](caf::error&) mutable { promise.deliver(std::move(reply)); });
        return promise;
      },
      [self](alloc_atom, std::uint64_t session, std::vector<std::uint64_t> ids,
             std::vector<std::uint32_t> sizes) -> caf::result<std::vector<slot_location>> {
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        const std::size_t items = ids.size();
        return serve_or_wait<std::vector<slot_location>>(
            self, session, *who, request_kind::alloc, items, true,
            [self, ids = std::move(ids), sizes = std::move(sizes)](const session_info& who)
                -> std::optional<transport::result<std::vector<slot_location>>> {
              auto out = allocate(self, who, ids, sizes);
              if (!out) return unless_busy(std::move(out));
              return to_wire(*out, self->state.counters);
            });
      },
      [self](place_atom, std::uint64_t session, std::vector<std::uint64_t> ids,
             std::vector<std::uint32_t> sizes,
             std::vector<char> bytes) -> caf::result<std::vector<slot_location>> {
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        const std::size_t items = ids.size();
        return serve_or_wait<std::vector<slot_location>>(
            self, session, *who, request_kind::alloc, items, true,
            [self, ids = std::move(ids), sizes = std::move(sizes),
             bytes = std::move(bytes)](const session_info& who)
                -> std::optional<transport::result<std::vector<slot_location>>> {
              if (bytes.empty())
                return transport::error{errc::invalid_argument, "place without payloads"};
              auto out = allocate(self, who, ids, sizes, std::as_bytes(std::span(bytes)));
              if (!out) return unless_busy(std::move(out));
              return to_wire(*out, self->state.counters);
            });
      },
      [self](free_atom, std::uint64_t session,
             const std::vector<std::uint64_t>& ids) -> caf::result<std::uint64_t> {
        const auto timed = self->state.latency.time(request_kind::free);
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        auto r = self->state.setup.arena->free(ids, who->owner);
        if (!r) return refuse(self, r.err());
        return *r;
      },
      [self](lookup_atom, std::uint64_t session,
             std::vector<std::uint64_t> ids) -> caf::result<std::vector<slot_location>> {
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        const std::size_t items = ids.size();
        const bool needs_room =
            !self->state.waiting_for_room.empty() && !self->state.setup.arena->all_resident(ids);
        return serve_or_wait<std::vector<slot_location>>(
            self, session, *who, request_kind::lookup, items, needs_room,
            [self, ids = std::move(ids)](const session_info& who)
                -> std::optional<transport::result<std::vector<slot_location>>> {
              auto out = self->state.setup.arena->lookup(ids, who.owner, who.tenant,
                                                         storage::arena::when_full::report);
              if (!out) return unless_busy(std::move(out));
              return to_wire(*out, self->state.counters);
            });
      },
      [self](stats_atom) -> node_stats { return current_stats(self); },
      [self](drain_atom, const std::string& token, bool on) -> caf::result<node_stats> {
        if (!operator_admitted(self, token))
          return refuse(self, {errc::auth, token.empty() ? "this node requires an auth token"
                                                         : "wrong auth token"});
        self->state.counters.leaving = on;
        self->state.leaving->store(on, std::memory_order_relaxed);
        return current_stats(self);
      },
      [self](leave_atom, const std::string& token) -> caf::result<node_stats> {
        if (!operator_admitted(self, token))
          return refuse(self, {errc::auth, token.empty() ? "this node requires an auth token"
                                                         : "wrong auth token"});
        const node_stats s = current_stats(self);
        if (!self->state.setup.leave)
          return refuse(self, {errc::unsupported, "an embedded node cannot leave"});
        if (!s.leaving)
          return refuse(self, {errc::invalid_argument, "drain the node before it leaves"});
        if (s.objects > 0)
          return refuse(self, {errc::invalid_argument,
                               "the node still holds " + std::to_string(s.objects) +
                                   " objects: its clients have not moved them all yet"});
        self->state.setup.leave();
        return s;
      },
      [self](damage_atom) -> caf::result<std::uint64_t> {
        ++self->state.counters.requests;
        if (!self->state.setup.test_hooks)
          return refuse(
              self, {errc::unsupported, "damage is a test hook: start the node with --test-hooks"});
        return self->state.setup.arena->damage_resident();
      },
      [self](stall_atom, std::uint32_t ms) -> caf::result<std::uint64_t> {
        ++self->state.counters.requests;
        if (!self->state.setup.test_hooks)
          return refuse(
              self, {errc::unsupported, "stall is a test hook: start the node with --test-hooks"});
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));  // the node's own thread
        return std::uint64_t{ms};
      },
      [self](goodbye_atom, std::uint64_t session) {
        auto it = self->state.sessions.find(session);
        if (it == self->state.sessions.end()) return;
        // The client's other sessions may share its actor: watch it while
        // any of them lives.
        const caf::actor_addr client = it->second.client;
        end_session(self, session);
        const bool more = std::any_of(self->state.sessions.begin(), self->state.sessions.end(),
                                      [&](const auto& s) { return s.second.client == client; });
        if (client && !more) self->demonitor(client);
      },
      [self](expire_atom, std::uint64_t owner, std::uint64_t generation) {
        if (self->current_sender() != self->ctrl()) return;  // only the node's own timer
        auto& st = self->state;
        auto it = st.owners.find(owner);
        if (it == st.owners.end() || it->second.live > 0 || it->second.generation != generation)
          return;
        st.owners.erase(it);
        // Its objects, and what its views and its publications half sent
        // held alone.
        std::uint64_t freed = st.setup.arena->free_owner(owner);
        for (std::uint64_t done : st.published.forget(owner)) freed += free_publication(self, done);
        if (freed > 0) {
          ++st.counters.leases_lapsed;
          st.counters.objects_reclaimed += freed;
        }
      },
      [self](stage_atom, std::uint64_t session, std::uint64_t id, std::uint64_t total,
             std::uint64_t number, const std::vector<char>& part,
             const std::vector<std::uint64_t>& ids) -> caf::result<std::uint64_t> {
        const auto timed = self->state.latency.time(request_kind::publication);
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        auto& st = self->state;
        if (number == 0) (void)give_up_staging(self, id, who->owner);  // a try before it failed
        if (!st.published.staged(id) && !st.published.has(id) && !id_is_free(self, id))
          return refuse(self, taken_id(id));
        auto kind = st.published.stage(who->tenant, id, who->owner, total, number, part);
        if (!kind) {
          give_up_staging(self, id, who->owner);  // a refused part ends what it belongs to
          return refuse(self, kind.err());
        }
        if (auto taken = st.setup.arena->adopt(ids, who->owner, id); !taken) {
          give_up_staging(self, id, who->owner);
          return refuse(self, taken.err());
        }
        return static_cast<std::uint64_t>(ids.size());
      },
      [self](publish_atom, std::uint64_t session, std::uint64_t id, const std::string& name,
             const std::vector<char>& description,
             const std::vector<std::uint64_t>& ids) -> caf::result<std::uint64_t> {
        const auto timed = self->state.latency.time(request_kind::publication);
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        auto& st = self->state;
        if (st.published.staged_by_other(id, who->owner)) return refuse(self, taken_id(id));
        auto staged = st.published.take_staged(id, who->owner);
        if (staged && staged->kind != publications::staging::publish)
          return refuse(self, {transport::errc::invalid_argument,
                               "publication " + std::to_string(id) + " was sent as a mend"});
        if (!staged && !id_is_free(self, id)) return refuse(self, taken_id(id));
        // A refusal gives back what was taken: all of the publication's
        // objects when parts came before (it had none of its own).
        const bool parts = staged.has_value();
        const auto refused = [&](const transport::error& e) {
          if (parts) (void)st.setup.arena->give_back(id, who->owner);
          return refuse(self, e);
        };
        if (auto taken = st.setup.arena->adopt(ids, who->owner, id); !taken)
          return refused(taken.err());
        auto whole = completed(std::move(staged), description);
        if (!whole) return refused(whole.err());  // only parts come short
        if (auto named = st.published.add(who->tenant, name, id, std::move(*whole), who->owner);
            !named) {
          if (!parts) (void)st.setup.arena->adopt(ids, id, who->owner);
          return refused(named.err());
        }
        return static_cast<std::uint64_t>(ids.size());
      },
      [self](open_atom, std::uint64_t session,
             const std::string& name) -> caf::result<publication_reply> {
        const auto timed = self->state.latency.time(request_kind::publication);
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        auto r = self->state.published.open(who->tenant, name, who->owner, publication_slice_bytes);
        if (!r) return refuse(self, r.err());
        return reply_of(std::move(*r));
      },
      [self](describe_atom, std::uint64_t session, std::uint64_t id,
             std::uint64_t offset) -> caf::result<publication_reply> {
        const auto timed = self->state.latency.time(request_kind::publication);
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        auto r = self->state.published.describe(who->tenant, id, who->owner, offset,
                                                publication_slice_bytes);
        if (!r) return refuse(self, r.err());
        return reply_of(std::move(*r));
      },
      [self](close_atom, std::uint64_t session, std::uint64_t id) -> caf::result<std::uint64_t> {
        const auto timed = self->state.latency.time(request_kind::publication);
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        auto r = self->state.published.close(who->tenant, id, who->owner);
        if (!r) return refuse(self, r.err());
        return free_publication(self, *r);
      },
      [self](unpublish_atom, std::uint64_t session,
             const std::string& name) -> caf::result<std::uint64_t> {
        const auto timed = self->state.latency.time(request_kind::publication);
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        auto r = self->state.published.remove(who->tenant, name);
        if (!r) return refuse(self, r.err());
        return free_publication(self, *r);
      },
      [self](blob_put_atom, std::uint64_t session, const std::string& store, const std::string& key,
             const std::vector<std::uint64_t>& ids, std::uint64_t capacity,
             std::uint64_t pin_ms) -> caf::result<std::uint64_t> {
        const auto timed = self->state.latency.time(request_kind::blob_put);
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        auto& st = self->state;
        std::uint64_t fresh = 0;
        while (fresh == 0 || st.owners.contains(fresh)) fresh = transport::secure_random_u64();
        const auto owner = st.blobs.owner_of(who->tenant, store, fresh);
        if (auto taken = st.setup.arena->adopt(ids, who->owner, owner); !taken)
          return refuse(self, taken.err());
        blob_index::value v{ids, st.setup.arena->bytes_of(ids)};
        const auto pinned = pin_ms == 0
                                ? blob_index::clock::time_point{}
                                : blob_index::clock::now() + std::chrono::milliseconds(pin_ms);
        auto done = st.blobs.put(who->tenant, store, key, std::move(v), capacity, pinned);
        (void)st.setup.arena->free(done.evicted, owner);
        // Readers that found the old value a moment ago read it whole: its
        // pieces go a while later.
        if (!done.old.empty())
          self->delayed_send(caf::actor_cast<memory_node_actor>(self), replaced_grace,
                             reclaim_atom::value, owner, std::move(done.old));
        return done.evicted_keys;
      },
      [self](reclaim_atom, std::uint64_t owner, const std::vector<std::uint64_t>& ids) {
        if (self->current_sender() != self->ctrl()) return;  // only the node's own timer
        (void)self->state.setup.arena->free(ids, owner);
      },
      [self](room_atom) {
        if (self->current_sender() != self->ctrl()) return;  // only the node's own timer
        serve_waiting(self);
      },
      [self](blob_get_atom, std::uint64_t session, const std::string& store,
             const std::vector<std::string>& keys,
             bool locate) -> caf::result<std::vector<blob_value>> {
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        const bool needs_room =
            locate && !self->state.waiting_for_room.empty() &&
            !self->state.setup.arena->all_resident(pieces_of(self, *who, store, keys));
        return serve_or_wait<std::vector<blob_value>>(
            self, session, *who, request_kind::blob_get, keys.size(), needs_room,
            [self, store, keys, locate](const session_info& who)
                -> std::optional<transport::result<std::vector<blob_value>>> {
              auto& st = self->state;
              const auto owner = st.blobs.find(who.tenant, store);
              constexpr auto report = storage::arena::when_full::report;
              // Every piece brought back first, nothing counted: a busy
              // changes nothing, and the lookups below need no room.
              if (const auto all =
                      locate ? pieces_of(self, who, store, keys) : std::vector<std::uint64_t>{};
                  !all.empty()) {
                if (auto r = st.setup.arena->lookup(all, *owner, who.tenant, report); !r)
                  return unless_busy<std::vector<blob_value>>(r.err());
              }
              std::vector<blob_value> out(keys.size());
              for (std::size_t k = 0; k < keys.size(); ++k) {
                const auto* v = st.blobs.get(who.tenant, store, keys[k], locate);
                if (v == nullptr) continue;
                out[k].found = true;
                out[k].bytes = v->bytes;
                if (!locate || v->ids.empty()) continue;
                auto where = st.setup.arena->lookup(v->ids, *owner, who.tenant, report);
                if (!where) return unless_busy<std::vector<blob_value>>(where.err());
                out[k].pieces = to_wire(*where, st.counters);
              }
              return out;
            });
      },
      [self](blob_erase_atom, std::uint64_t session, const std::string& store,
             const std::string& key) -> caf::result<bool> {
        const auto timed = self->state.latency.time(request_kind::blob_other);
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        auto& st = self->state;
        auto dead = st.blobs.erase(who->tenant, store, key);
        if (!dead) return false;
        (void)st.setup.arena->free(*dead, *st.blobs.find(who->tenant, store));
        return true;
      },
      [self](blob_stats_atom, std::uint64_t session,
             const std::string& store) -> caf::result<blob_store_stats> {
        const auto timed = self->state.latency.time(request_kind::blob_other);
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        return self->state.blobs.stats(who->tenant, store);
      },
      [self](retract_atom, std::uint64_t session, std::uint64_t id) -> caf::result<std::uint64_t> {
        const auto timed = self->state.latency.time(request_kind::publication);
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        auto& st = self->state;
        if (st.published.staged(id) && !st.published.staged_by_other(id, who->owner) &&
            !st.published.has(id))  // parts of a publish that failed elsewhere
          return give_up_staging(self, id, who->owner);
        (void)give_up_staging(self, id, who->owner);  // a mend under way
        if (auto r = st.published.retract(who->tenant, id, who->owner); !r)
          return refuse(self, r.err());
        return st.setup.arena->give_back(id, who->owner);
      },
      [self](mend_atom, std::uint64_t session, std::uint64_t id,
             const std::vector<char>& description,
             const std::vector<std::uint64_t>& ids) -> caf::result<std::uint64_t> {
        const auto timed = self->state.latency.time(request_kind::publication);
        const auto* who = admitted(self, session);
        if (who == nullptr) return not_admitted(self);
        auto& st = self->state;
        if (st.published.staged_by_other(id, who->owner)) return refuse(self, taken_id(id));
        // What parts came before are the publication's already, as a
        // mend's objects are once it is done.
        auto staged = st.published.take_staged(id, who->owner);
        if (staged && staged->kind != publications::staging::mend) {
          (void)st.setup.arena->give_back(id, who->owner);  // a publish's, given up
          return refuse(self, {transport::errc::invalid_argument,
                               "publication " + std::to_string(id) + " was sent as a publish"});
        }
        if (auto taken = st.setup.arena->adopt(ids, who->owner, id); !taken)
          return refuse(self, taken.err());
        auto whole = completed(std::move(staged), description);
        if (auto mended = whole ? st.published.mend(who->tenant, id, std::move(*whole), who->owner)
                                : transport::result<void>(whole.err());
            !mended) {
          (void)st.setup.arena->adopt(ids, id, who->owner);  // give them back
          return refuse(self, mended.err());
        }
        return static_cast<std::uint64_t>(ids.size());
      },
  };
}

}  // namespace

memory_node_actor spawn_memory_node(caf::actor_system& sys, memory_node_setup setup) {
  auto node = sys.spawn<caf::detached>(memory_node, std::move(setup));
  drop_thread_logger();
  return node;
}

}  // namespace remora::actors

#include "actors/gather_service.hpp"

#include <algorithm>
#include <optional>

#include "actors/control_plane_impl.hpp"
#include "remora/deref_scope.hpp"
#include "remora/errors.hpp"

namespace remora::actors {

namespace {

using transport::errc;
using transport::error;
using transport::result;

// The rows' floats, row after row. Every row id is checked before anything
// is fetched; the Array's exceptions become errors here, at the actor's edge.
result<std::vector<float>> gather_rows(Array<float>& table, std::size_t width,
                                       const std::vector<std::uint64_t>& rows) {
  const std::uint64_t count = table.size() / width;
  for (std::uint64_t r : rows)
    if (r >= count)
      return error{errc::out_of_range, "row " + std::to_string(r) +
                                           " is past the end of a table of " +
                                           std::to_string(count) + " rows"};
  // A row's first and last elements name every chunk it lies in (a row is
  // never longer than a chunk is wide, or it spans the chunks between too,
  // which the copy below then fetches one by one).
  std::vector<std::size_t> ends;
  ends.reserve(2 * rows.size());
  for (std::uint64_t r : rows) {
    ends.push_back(r * width);
    ends.push_back(r * width + width - 1);
  }
  std::vector<float> out(rows.size() * width);
  try {
    table.fetch(ends);
    float* to = out.data();
    for (std::uint64_t r : rows) {
      // A scope per row: a batch never pins more than one row's chunks.
      DerefScope scope;
      for (std::size_t i = r * width, end = i + width; i < end;) {
        const std::span<const float> in = table.span(scope, i);
        const std::size_t n = std::min(in.size(), end - i);
        to = std::copy_n(in.data(), n, to);
        i += n;
      }
    }
  } catch (const NodeUnavailable& e) {
    return error{errc::peer_unreachable, e.what()};
  } catch (const OutOfMemory& e) {
    return error{errc::no_memory, e.what()};
  } catch (const Error& e) {
    return error{errc::transport, e.what()};
  }
  return out;
}

struct gather_state {
  Array<float>* table = nullptr;
  std::size_t width = 1;
  static inline const char* name = "remora.gather_service";
};

gather_actor::behavior_type gather_behavior(gather_actor::stateful_pointer<gather_state> self,
                                            Array<float>* table, std::size_t width) {
  self->state.table = table;
  self->state.width = width;
  return {
      [self](gather_atom,
             const std::vector<std::uint64_t>& rows) -> caf::result<std::vector<float>> {
        auto got = gather_rows(*self->state.table, self->state.width, rows);
        if (!got) return make_remora_error(got.err().code, got.err().message);
        return std::move(got).value();
      },
  };
}

// One blocking gather request to `whom`, from a scoped actor of the caller's.
result<std::vector<float>> ask(caf::actor_system& system, const gather_actor& whom,
                               std::vector<std::uint64_t> rows, std::chrono::milliseconds timeout,
                               const std::string& what) {
  std::optional<result<std::vector<float>>> out;
  caf::scoped_actor self{system};
  self->request(whom, caf::duration{timeout}, gather_atom::value, std::move(rows))
      .receive([&](std::vector<float>& v) { out.emplace(std::move(v)); },
               [&](caf::error& e) { out.emplace(to_error(e, what)); });
  return std::move(*out);
}

}  // namespace

struct gather_service::impl {
  control_plane::impl& cp;
  gather_actor actor;
  std::uint16_t published_port = 0;
};

gather_service::gather_service(control_plane& cp, Array<float>& table, std::size_t width)
    : impl_(new impl{cp.internals(), {}}) {
  impl_->actor = cp.internals().system.spawn<caf::detached>(gather_behavior, &table, width);
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

result<std::vector<float>> gather_service::gather(std::vector<std::uint64_t> rows,
                                                  std::chrono::milliseconds timeout) {
  return ask(impl_->cp.system, impl_->actor, std::move(rows), timeout, "gather");
}

struct gather_client::impl {
  control_plane cp{tls_options{}, 1};
  gather_actor service;
  std::string address;
  std::chrono::milliseconds timeout;
};

gather_client::gather_client(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

gather_client::~gather_client() = default;

result<std::unique_ptr<gather_client>> gather_client::connect(const std::string& host,
                                                              std::uint16_t port,
                                                              std::chrono::milliseconds timeout) {
  auto i = std::make_unique<impl>();
  i->address = host + ":" + std::to_string(port);
  i->timeout = timeout;
  auto service = remote_gather(i->cp.internals(), host, port);
  if (!service)
    return to_error(service.error(), "connecting to the gather service on " + i->address);
  i->service = std::move(*service);
  return std::unique_ptr<gather_client>(new gather_client(std::move(i)));
}

result<std::vector<float>> gather_client::gather(std::vector<std::uint64_t> rows) {
  return ask(impl_->cp.internals().system, impl_->service, std::move(rows), impl_->timeout,
             "gather on " + impl_->address);
}

}  // namespace remora::actors

#include "actors/gather_service.hpp"

#include <mutex>
#include <optional>

#include "actors/control_plane_impl.hpp"
#include "objects/gather.hpp"
#include "remora/errors.hpp"

namespace remora::actors {

namespace {

using transport::result;

// The table and the lock that keeps its users to one at a time: the actor
// (for remote callers) and in-process callers share it.
struct shared_table {
  Array<float>& table;
  std::size_t width;
  std::chrono::milliseconds timeout;  // how long a gather waits for the table
  std::timed_mutex lock;

  std::vector<float> gather(std::span<const std::uint64_t> rows) {
    std::unique_lock held(lock, std::defer_lock);
    if (!held.try_lock_for(timeout))
      throw NodeUnavailable("gather: the table was busy for " + std::to_string(timeout.count()) +
                            " ms");
    return objects::gather_rows(table, width, rows);
  }
};

struct gather_state {
  shared_table* table = nullptr;
  static inline const char* name = "remora.gather_service";
};

gather_actor::behavior_type gather_behavior(gather_actor::stateful_pointer<gather_state> self,
                                            shared_table* table) {
  self->state.table = table;
  return {
      [self](gather_atom,
             const std::vector<std::uint64_t>& rows) -> caf::result<std::vector<float>> {
        try {
          return self->state.table->gather(rows);
        } catch (const Error& e) {
          return make_remora_error(e);  // the caller's side raises the same type
        }
      },
  };
}

// One blocking gather request to `whom` from `self`.
result<std::vector<float>> ask(caf::scoped_actor& self, const gather_actor& whom,
                               std::vector<std::uint64_t> rows, std::chrono::milliseconds timeout,
                               const std::string& what) {
  std::optional<result<std::vector<float>>> out;
  self->request(whom, caf::duration{timeout}, gather_atom::value, std::move(rows))
      .receive([&](std::vector<float>& v) { out.emplace(v); },  // copied: see node_client's ask
               [&](caf::error& e) { out.emplace(to_error(e, what)); });
  return std::move(*out);
}

}  // namespace

struct gather_service::impl {
  control_plane::impl& cp;
  shared_table table;
  gather_actor actor;
  std::uint16_t published_port = 0;
};

gather_service::gather_service(control_plane& cp, Array<float>& table, std::size_t width,
                               std::chrono::milliseconds timeout)
    : impl_(new impl{cp.internals(), {table, width, timeout, {}}, {}}) {
  impl_->actor = cp.internals().system.spawn<caf::detached>(gather_behavior, &impl_->table);
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

std::vector<float> gather_service::gather(std::span<const std::uint64_t> rows) {
  return impl_->table.gather(rows);
}

struct gather_client::impl {
  control_plane cp{tls_options{}, 1};
  gather_actor service;
  std::string address;
  std::chrono::milliseconds timeout;
  // Requesters to reuse: a scoped actor costs tens of microseconds to make.
  std::mutex spare_lock;
  std::vector<std::unique_ptr<caf::scoped_actor>> spare;
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
  std::unique_ptr<caf::scoped_actor> self;
  {
    std::lock_guard held(impl_->spare_lock);
    if (!impl_->spare.empty()) {
      self = std::move(impl_->spare.back());
      impl_->spare.pop_back();
    }
  }
  if (!self) self = std::make_unique<caf::scoped_actor>(impl_->cp.internals().system);
  auto got =
      ask(*self, impl_->service, std::move(rows), impl_->timeout, "gather on " + impl_->address);
  if (got) {  // after a timeout a late reply may still come: not reused then
    std::lock_guard held(impl_->spare_lock);
    impl_->spare.push_back(std::move(self));
  }
  return got;
}

}  // namespace remora::actors

#include "actors/node_client.hpp"

#include <cstring>
#include <optional>

#include "actors/control_plane_impl.hpp"
#include "actors/messages.hpp"
#include "storage/slot.hpp"
#include "transport/atomics.hpp"
#include "transport/batch.hpp"
#include "transport/bootstrap.hpp"

namespace remora::actors {

using transport::errc;
using transport::error;
using transport::result;

namespace {

// A location can go stale again between lookup and read when the node is
// spilling hard; a few rounds settle it.
constexpr int max_location_refreshes = 8;

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

  // One blocking request with the client's timeout.
  template <class R, class... Ts>
  result<R> ask(const char* request, Ts&&... xs) {
    std::optional<result<R>> out;
    self->request(node, caf::duration{opts.timeout}, std::forward<Ts>(xs)...)
        // A copy, made inside CAF's receive: the payload's bytes are read
        // where TSan can see CAF's hand-over (tests/tsan.supp), not later.
        .receive([&](R& r) { out.emplace(r); },
                 [&](caf::error& e) { out.emplace(to_error(e, what(request))); });
    return std::move(*out);
  }

  result<void> refresh(object_location& where) {
    ++stale;
    auto fresh = ask<std::vector<object_location>>(
        "lookup", lookup_atom::value, hello.session, std::vector<object_id>{where.id});
    if (!fresh) return fresh.err();
    where = fresh->at(0);
    return {};
  }

  result<bool> read_once(const object_location& where, std::span<std::byte> into) {
    scratch.resize(where.slot_bytes);
    transport::batch b(*ucx.worker);
    if (auto r = b.get(*arena, where.offset, scratch.data(), where.slot_bytes); !r) return r.err();
    if (auto r = b.wait(deadline()); !r) return error{r.err().code, what("read") + ": " + r.err().message};
    if (!storage::slot_matches(scratch, where.id, where.version)) return false;
    std::memcpy(into.data(), scratch.data() + storage::payload_offset, where.size);
    return true;
  }

  control_plane::impl& cp;
  options opts;
  caf::scoped_actor self;
  memory_node_actor node;
  hello_reply hello;
  transport::local_ucx ucx;
  std::optional<transport::endpoint> ep;
  std::optional<transport::remote_region> arena;
  std::vector<std::byte> scratch;
  std::uint64_t stale = 0;
  caf::actor watcher;  // see watch()
};

result<std::unique_ptr<node_client>> node_client::connect(control_plane& cp, const options& o) {
  auto p = std::make_unique<impl>(cp.internals(), o);
  const std::string where = "memory node " + o.address.to_string();
  // CAF's connect has no deadline of its own: probe first, bounded.
  {
    auto probe = transport::tcp_stream::connect(o.address.host, o.address.port, p->deadline());
    if (!probe) return error{errc::peer_unreachable, where + " is unreachable: " + probe.err().message};
  }
  auto node = remote_node(p->cp, o.address.host, o.address.port);
  if (!node)
    return error{errc::peer_unreachable,
                 where + " did not accept the control connection: " + p->cp.system.render(node.error())};
  p->node = *node;
  auto h = p->ask<hello_reply>("hello", hello_atom::value, o.auth_token, protocol_version);
  if (!h) return h.err();
  p->hello = std::move(h).value();
  auto ucx = transport::local_ucx::open();
  if (!ucx) return ucx.err();
  p->ucx = std::move(ucx).value();
  auto ep = p->ucx.worker->connect(as_bytes(p->hello.worker_address));
  if (!ep) return error{ep.err().code, where + ": " + ep.err().message};
  p->ep.emplace(std::move(ep).value());
  auto arena = transport::remote_region::unpack(*p->ep, as_bytes(p->hello.arena_key));
  if (!arena) return error{arena.err().code, where + ": " + arena.err().message};
  p->arena.emplace(std::move(arena).value());
  return std::unique_ptr<node_client>(new node_client(std::move(p)));
}

node_client::node_client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

node_client::~node_client() {
  if (impl_->watcher) caf::anon_send_exit(impl_->watcher, caf::exit_reason::user_shutdown);
  impl_->self->send(impl_->node, goodbye_atom::value, impl_->hello.session);
  impl_->arena.reset();
  if (impl_->ep) impl_->ep->close(transport::after(std::chrono::seconds(1)));
}

std::uint64_t node_client::node_id() const { return impl_->hello.node_id; }
std::uint32_t node_client::max_object_size() const { return impl_->hello.max_object_size; }
const node_address& node_client::address() const { return impl_->opts.address; }
std::uint64_t node_client::stale_reads() const { return impl_->stale; }

result<std::vector<object_location>> node_client::allocate(std::span<const object_id> ids,
                                                           std::span<const std::uint32_t> sizes) {
  return impl_->ask<std::vector<object_location>>(
      "alloc", alloc_atom::value, impl_->hello.session, std::vector<object_id>(ids.begin(), ids.end()),
      std::vector<std::uint32_t>(sizes.begin(), sizes.end()));
}

result<std::uint64_t> node_client::free(std::span<const object_id> ids) {
  return impl_->ask<std::uint64_t>("free", free_atom::value, impl_->hello.session,
                                   std::vector<object_id>(ids.begin(), ids.end()));
}

result<std::vector<object_location>> node_client::lookup(std::span<const object_id> ids) {
  return impl_->ask<std::vector<object_location>>("lookup", lookup_atom::value,
                                                  impl_->hello.session,
                                                  std::vector<object_id>(ids.begin(), ids.end()));
}

result<node_stats> node_client::stats() { return impl_->ask<node_stats>("stats", stats_atom::value); }

result<void> node_client::write(object_location& where, std::span<const std::byte> data) {
  auto& p = *impl_;
  if (data.size() != where.size)
    return error{errc::invalid_argument, "write of " + std::to_string(data.size()) +
                                             " bytes to an object of " + std::to_string(where.size)};
  for (int round = 0; round < max_location_refreshes; ++round) {
    const std::uint64_t word = where.offset + storage::pin_word_offset;
    std::uint64_t expected = storage::pin_word(where.version, 0);
    bool pinned = false, stale = false;
    while (!pinned && !stale) {
      auto previous = transport::compare_swap(*p.arena, word, expected, expected + 1, p.deadline());
      if (!previous) return error{previous.err().code, p.what("pin") + ": " + previous.err().message};
      if (*previous == expected)
        pinned = true;
      else if (storage::pin_word_version(*previous) == where.version)
        expected = *previous;  // other writers hold pins too: join them
      else
        stale = true;
    }
    if (stale) {
      if (auto r = p.refresh(where); !r) return r;
      continue;
    }
    transport::batch b(*p.ucx.worker);
    auto put = b.put(*p.arena, where.offset + storage::payload_offset, data.data(), data.size());
    auto done = put ? b.wait(p.deadline()) : put;
    auto unpin = transport::atomic_add(*p.arena, word, ~std::uint64_t{0}, p.deadline());
    if (!done) return error{done.err().code, p.what("write") + ": " + done.err().message};
    if (!unpin) return error{unpin.err().code, p.what("unpin") + ": " + unpin.err().message};
    return {};
  }
  return error{errc::protocol, p.what("write") + ": the object kept moving"};
}

result<void> node_client::read(object_location& where, std::span<std::byte> into) {
  if (into.size() != where.size)
    return error{errc::invalid_argument, "read of " + std::to_string(into.size()) +
                                             " bytes from an object of " + std::to_string(where.size)};
  for (int round = 0; round < max_location_refreshes; ++round) {
    auto got = impl_->read_once(where, into);
    if (!got) return got.err();
    if (*got) return {};
    if (auto r = impl_->refresh(where); !r) return r;
  }
  return error{errc::protocol, impl_->what("read") + ": the object kept moving"};
}

result<void> node_client::read_slot(object_location& where, std::span<std::byte> slot) {
  auto& p = *impl_;
  if (slot.size() < where.slot_bytes)
    return error{errc::invalid_argument, "read_slot: the slot buffer is too small"};
  for (int round = 0; round < max_location_refreshes; ++round) {
    transport::batch b(*p.ucx.worker);
    if (auto r = b.get(*p.arena, where.offset, slot.data(), where.slot_bytes); !r) return r;
    if (auto r = b.wait(p.deadline()); !r)
      return error{r.err().code, p.what("read") + ": " + r.err().message};
    if (storage::slot_matches(slot, where.id, where.version)) return {};
    if (auto r = p.refresh(where); !r) return r;
  }
  return error{errc::protocol, p.what("read") + ": the object kept moving"};
}

void node_client::watch(std::atomic<bool>& down) {
  auto& p = *impl_;
  if (p.watcher) return;
  p.watcher = p.cp.system.spawn([node = p.node, &down](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(node);
    self->set_down_handler([self, &down](const caf::down_msg&) {
      down.store(true, std::memory_order_release);
      self->quit();
    });
    return {[](caf::ok_atom) {}};  // nothing to do but wait for the down message
  });
}

result<void> node_client::read_many(std::span<object_location> where,
                                    std::span<const std::span<std::byte>> into) {
  // Small objects: one get of the whole slot into scratch, then a copy out.
  // Large ones: header, payload and trailer as three gets in address order,
  // the payload straight into its destination (one copy fewer).
  constexpr std::uint32_t direct_from = 4096;
  auto& p = *impl_;
  if (where.size() != into.size())
    return error{errc::invalid_argument, "read_many: as many buffers as locations, please"};
  std::vector<std::size_t> scratch_at(where.size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < where.size(); ++i) {
    if (into[i].size() != where[i].size)
      return error{errc::invalid_argument, "read_many: buffer " + std::to_string(i) + " has the wrong size"};
    scratch_at[i] = total;
    total += where[i].size >= direct_from ? storage::payload_offset + sizeof(storage::slot_trailer)
                                          : where[i].slot_bytes;
  }
  p.scratch.resize(total);
  // Small slots: start every cache miss of the batch (the node's bytes and
  // the destinations) before the first copy, so that they overlap.
  for (std::size_t i = 0; i < where.size(); ++i) {
    if (where[i].size >= direct_from) continue;
    p.arena->prefetch(where[i].offset, where[i].slot_bytes);
    for (std::size_t at = 0; at < into[i].size(); at += 64) __builtin_prefetch(into[i].data() + at, 1);
  }
  transport::batch b(*p.ucx.worker);
  for (std::size_t i = 0; i < where.size(); ++i) {
    const auto& w = where[i];
    std::byte* at = p.scratch.data() + scratch_at[i];
    if (w.size < direct_from) {
      if (auto r = b.get(*p.arena, w.offset, at, w.slot_bytes); !r) return r;
      continue;
    }
    const std::uint64_t trailer = w.offset + storage::trailer_offset(w.size);
    if (auto r = b.get(*p.arena, w.offset, at, storage::payload_offset); !r) return r;
    if (auto r = b.get(*p.arena, w.offset + storage::payload_offset, into[i].data(), w.size); !r)
      return r;
    if (auto r = b.get(*p.arena, trailer, at + storage::payload_offset, sizeof(storage::slot_trailer));
        !r)
      return r;
  }
  if (auto r = b.wait(p.deadline()); !r) return error{r.err().code, p.what("read") + ": " + r.err().message};
  std::vector<std::size_t> moved;
  for (std::size_t i = 0; i < where.size(); ++i) {
    std::span<const std::byte> copy(p.scratch.data() + scratch_at[i],
                                    where[i].size >= direct_from
                                        ? storage::payload_offset + sizeof(storage::slot_trailer)
                                        : where[i].slot_bytes);
    if (where[i].size >= direct_from) {
      if (!storage::slot_parts_match(copy.first(storage::payload_offset),
                                     copy.subspan(storage::payload_offset), where[i].id,
                                     where[i].version))
        moved.push_back(i);
    } else if (storage::slot_matches(copy, where[i].id, where[i].version)) {
      std::memcpy(into[i].data(), copy.data() + storage::payload_offset, where[i].size);
    } else {
      moved.push_back(i);
    }
  }
  for (std::size_t i : moved)
    if (auto r = read(where[i], into[i]); !r) return r;
  return {};
}

}  // namespace remora::actors

// Published arrays, as the Runtime wires them: the object store sends the
// array's chunks home and marks them shared (objects/sharing.cpp); every
// memory node keeps the name and the array's description, and the nodes
// that hold copies of chunks hand them to the publication
// (actors/publications.hpp). A view closes itself on every node that
// counted it. In a pool of replicas a chunk has a copy on each of r nodes,
// all in the description: a reader fails over between them as for its own
// objects, and opens the name while any node that keeps it answers. In
// an erasure-coded pool the chunks leave their spans for whole copies on
// m + 1 nodes when they are shared (objects/erasure_far_store.hpp), and
// are read as replicas' are.
// With a cluster (etcd) the name is also claimed there, pool-wide and
// atomically, before the nodes take it (actors/name_registry.hpp). In a
// pool of several copies the publisher's runtime rebuilds those lost with
// a node while it holds its view (objects/publication_mender.hpp).
#include <algorithm>

#include "client/runtime_impl.hpp"
#include "objects/published_array.hpp"
#include "objects/raise.hpp"
#include "remora/errors.hpp"
#include "transport/secure_random.hpp"

namespace remora {

namespace {

using transport::errc;

// A name's errors as the API names them: a taken or unknown name is the
// caller's mistake (InvalidObject), the rest as anything else from a node.
[[noreturn]] void raise_for_name(const transport::error& e, const std::string& name) {
  if (e.code == errc::already_exists || e.code == errc::unknown_object)
    throw InvalidObject("'" + name + "': " + e.message);
  objects::raise({e.code, "'" + name + "': " + e.message});
}

// Closes a view on the nodes that count it, when the last copy goes.
std::shared_ptr<void> hold_view(objects::far_store& far, std::uint64_t id,
                                std::vector<std::uint32_t> nodes) {
  return {nullptr, [&far, id, nodes = std::move(nodes)](void*) {
            for (std::uint32_t n : nodes)
              (void)far.close(n, id);  // a lost view lapses with the lease
          }};
}

void check_shares(const objects::far_store& far) {
  if (!far.shares()) throw ConfigError("this pool's far store does not publish arrays");
}

}  // namespace

std::shared_ptr<void> Runtime::publish_array(const std::string& name, std::size_t element_bytes,
                                             detail::array_state& array) {
  auto& far = *impl_->far;
  check_shares(far);
  auto& homes = far.homes();
  auto& store = *impl_->store;
  if (name.empty()) throw InvalidObject("a published array needs a name");
  const std::uint32_t nodes = homes.nodes();
  for (std::uint32_t n = 0; n < nodes; ++n)
    if (!homes.reachable(n))
      throw NodeUnavailable("cannot publish '" + name + "': memory node " + homes.describe(n) +
                            " does not answer");
  array.stop_prefetchers();
  try {
    store.seal(array.chunks);
  } catch (...) {
    store.unshare(array.chunks);
    throw;
  }
  objects::published_array d;
  d.element_bytes = static_cast<std::uint32_t>(element_bytes);
  d.size = array.size;
  d.per_chunk = array.per_chunk;
  for (std::uint32_t n = 0; n < nodes; ++n) d.node_ids.push_back(homes.node_id(n));
  // The description is written as the chunks are gone through; the list
  // of them is kept only for the mender (a pool of copies), which needs it.
  const bool listed = impl_->mender != nullptr;
  objects::published_array::encoder out(d, array.chunks.size());
  std::vector<storage::huge_vector<storage::object_id>> ids(nodes);
  if (listed) d.chunks.reserve(array.chunks.size());
  for (auto& on_node : ids) on_node.reserve(array.chunks.size() / nodes + 1);
  std::vector<objects::far_store::copy> copies;
  for (std::uint64_t i = 0; i < array.chunks.size(); ++i) {
    const detail::object_record* r = array.chunks[i];
    const storage::object_location where{
        .id = r->id, .offset = r->offset, .version = r->version, .size = r->size};
    far.copies(r->node, where, copies);
    if (copies.empty()) {
      store.unshare(array.chunks);
      throw ObjectLost("cannot publish '" + name + "': chunk " + std::to_string(r->id) +
                       " has no current copy on a live node");
    }
    const objects::published_array::chunk c{
        {.id = r->id, .offset = copies[0].offset, .version = copies[0].version, .size = r->size},
        copies[0].node};
    out.add(c);
    if (listed) d.chunks.push_back(c);
    for (std::size_t k = 1; k < copies.size(); ++k) {
      const objects::published_array::extra_copy e{i, copies[k].node, copies[k].offset,
                                                   copies[k].version};
      out.add_extra(e, c.where);
      if (listed) d.extra.push_back(e);
    }
    for (const auto& copy : copies) ids[copy.node].push_back(r->id);
  }
  const auto description = std::move(out).finish();
  const std::uint64_t id = transport::secure_random_u64();
  // With a cluster the name is claimed in etcd first, for the whole pool
  // at once; then the nodes keep it as without one.
  if (impl_->names) {
    if (auto claimed = impl_->names->claim(name, id); !claimed) {
      store.unshare(array.chunks);
      raise_for_name(claimed.err(), name);
    }
  }
  std::vector<std::uint32_t> named;
  for (std::uint32_t n = 0; n < nodes; ++n) {
    auto r = homes.publish(n, id, name, description, ids[n]);
    if (!r) {
      for (std::uint32_t back : named) (void)homes.retract(back, id);  // the objects are ours again
      if (impl_->names) (void)impl_->names->release(name, id);
      store.unshare(array.chunks);
      raise_for_name(r.err(), name);
    }
    named.push_back(n);
  }
  if (!impl_->mender) return hold_view(homes, id, std::move(named));
  impl_->mender->add(id, std::move(d), named);
  auto view = hold_view(homes, id, std::move(named));
  return {nullptr, [view = std::move(view), mender = impl_->mender.get(), id](void*) {
            mender->drop(id);  // before the view closes on the nodes
          }};
}

Runtime::opened Runtime::open_published(const std::string& name, std::size_t element_bytes) {
  auto& far = *impl_->far;
  check_shares(far);
  auto& homes = far.homes();
  // Every node that keeps the name counts a view; one description serves.
  // A node that does not answer is passed over (in a pool of replicas the
  // others serve the array); when none that answered knows the name, that
  // is the error.
  std::optional<objects::far_store::publication> found;
  std::vector<std::uint32_t> counted;
  const std::uint32_t nodes = homes.nodes();
  std::optional<transport::error> failed, down;
  for (std::uint32_t n = 0; n < nodes && !failed; ++n) {
    if (!homes.reachable(n)) {
      down = transport::error{errc::peer_unreachable,
                              "memory node " + homes.describe(n) + " does not answer"};
      continue;
    }
    auto r = homes.open(n, name);
    if (!r) {
      if (r.err().code == errc::peer_unreachable || r.err().code == errc::timeout)
        down = r.err();
      else if (r.err().code != errc::unknown_object)
        failed = r.err();
      continue;
    }
    if (found && r->id != found->id) {  // another publication of the name, made meanwhile
      (void)homes.close(n, r->id);
      failed = transport::error{errc::already_exists, "published twice at once"};
      continue;
    }
    counted.push_back(n);
    if (!found) found = std::move(r).value();
  }
  auto view = found ? hold_view(homes, found->id, counted) : nullptr;
  if (failed) raise_for_name(*failed, name);
  if (!found && !down && impl_->names) {  // published, and every node answered without it?
    auto held = impl_->names->holder(name);
    if (!held) raise_for_name(held.err(), name);
    if (*held)
      throw ObjectLost("'" + name +
                       "' is published in the pool (etcd), but no memory node keeps it any more: "
                       "the nodes that held it are gone (unpublish frees the name)");
  }
  if (!found && down) raise_for_name(*down, name);
  if (!found) throw InvalidObject("no array is published as '" + name + "'");
  auto d = objects::published_array::decode(found->description);
  if (!d) objects::raise(d.err());
  if (d->element_bytes != element_bytes)
    throw InvalidObject("'" + name + "' holds elements of " + std::to_string(d->element_bytes) +
                        " bytes, not " + std::to_string(element_bytes));
  // The homes by node id, as this runtime numbers its nodes.
  std::vector<std::uint32_t> home(d->node_ids.size(), nodes);
  for (std::size_t h = 0; h < d->node_ids.size(); ++h)
    for (std::uint32_t n = 0; n < nodes; ++n)
      if (homes.node_id(n) == d->node_ids[h]) home[h] = n;
  // Copies on nodes this runtime does not use are passed over; a chunk
  // needs one it can reach.
  auto state = detail::new_array_state(objects(), element_bytes, d->per_chunk * element_bytes);
  state->size = d->size;
  state->chunks.reserve(d->chunks.size());
  std::size_t next_extra = 0;
  std::vector<objects::far_store::copy> copies;
  for (std::uint64_t i = 0; i < d->chunks.size(); ++i) {
    const auto& c = d->chunks[i];
    copies.clear();
    if (home[c.home] != nodes) copies.push_back({home[c.home], c.where.offset, c.where.version});
    for (; next_extra < d->extra.size() && d->extra[next_extra].chunk == i; ++next_extra) {
      const auto& e = d->extra[next_extra];
      if (home[e.home] != nodes) copies.push_back({home[e.home], e.offset, e.version});
    }
    if (copies.empty())
      throw NodeUnavailable("'" + name + "': chunk " + std::to_string(i) +
                            " lives only on memory nodes this runtime does not use (id " +
                            std::to_string(d->node_ids[c.home]) + ")");
    state->chunks.push_back(impl_->store->adopt(c.where, copies));
  }
  return {std::move(view), std::move(state)};
}

void Runtime::unpublish(const std::string& name) {
  auto& far = *impl_->far;
  check_shares(far);
  auto& homes = far.homes();
  bool known = false;
  for (std::uint32_t n = 0; n < homes.nodes(); ++n) {
    auto r = homes.unpublish(n, name);
    if (r) {
      known = true;
    } else if (r.err().code != errc::unknown_object) {
      raise_for_name(r.err(), name);
    }
  }
  if (impl_->names) {  // the pool's claim goes too, even where no node kept the array
    auto held = impl_->names->holder(name);
    if (!held) raise_for_name(held.err(), name);
    if (*held) {
      if (auto r = impl_->names->release(name, **held); !r) raise_for_name(r.err(), name);
      known = true;
    }
  }
  if (!known) throw InvalidObject("no array is published as '" + name + "'");
}

}  // namespace remora

// Runtime::impl: the wiring behind the public Runtime. The options become
// local tiers, memory nodes (an embedded one when none is named) become a
// far store, and both are handed to the object core (objects/object_store),
// which serves every handle. The control plane stays here for the services
// that share it (GatherServer).
#pragma once

#include <filesystem>
#include <memory>

#include "actors/control_plane.hpp"
#include "actors/memory_node_host.hpp"
#include "actors/name_registry.hpp"
#include "client/member_watch.hpp"
#include "objects/epochs.hpp"
#include "objects/far_store.hpp"
#include "objects/object_store.hpp"
#include "objects/publication_mender.hpp"
#include "remora/runtime.hpp"
#include "transport/context.hpp"

namespace remora {

struct Runtime::impl {
  explicit impl(const Options& o);
  ~impl();

  Options options;
  std::filesystem::path temporary_spill;  // the embedded node's, removed at the end
  actors::control_plane cp;
  std::unique_ptr<actors::memory_node_host> embedded;
  std::unique_ptr<objects::far_store> far;        // the memory nodes
  std::unique_ptr<client::member_watch> members;  // with a cluster: adds nodes that join
  std::unique_ptr<actors::name_registry> names;   // with a cluster: published names in etcd
  std::unique_ptr<transport::context> ucx;        // registers the local tiers
  std::unique_ptr<objects::object_store> store;
  // With several copies of each object: rebuilds the copies of the arrays
  // this runtime published that were lost with a node.
  std::unique_ptr<objects::publication_mender> mender;
  // The process's deref counters when this runtime was made: they are kept
  // per thread, not per runtime, and stats() counts from here.
  detail::counter_totals counted_before = detail::sum_counters();
};

}  // namespace remora

#include "remora/runtime.hpp"

#include <algorithm>
#include <cstdlib>

#include "actors/membership.hpp"
#include "client/node_far_store.hpp"
#include "client/runtime_impl.hpp"
#include "client/tls_files.hpp"
#include "objects/epochs.hpp"
#include "objects/erasure_far_store.hpp"
#include "objects/publication_mender.hpp"
#include "objects/raise.hpp"
#include "objects/replicated_far_store.hpp"
#include "transport/byte_size.hpp"
#include "transport/secure_random.hpp"
#include "transport/token_file.hpp"

namespace remora {

namespace {

// The local tiers the options ask for, fastest first (tier_stack.hpp).
std::unique_ptr<objects::tier_stack> open_tiers(const Options& o, transport::context& ucx) {
  std::vector<std::unique_ptr<objects::local_cache>> tiers;
  auto add = [&](transport::result<std::unique_ptr<storage::tier_memory>> memory,
                 const char* option) {
    if (!memory) {
      auto e = memory.err();
      e.message = std::string(option) + ": " + e.message;
      objects::raise(e);
    }
    auto cache = objects::local_cache::create(std::move(memory).value());
    if (!cache) objects::raise(cache.err());
    tiers.push_back(std::move(cache).value());
  };
  if (auto hbm = o.hbm_cache()) add(storage::open_hbm_tier(hbm->device, hbm->bytes), "hbm_cache");
  if (auto cxl = o.cxl_cache())
    add(storage::open_cxl_tier(ucx, cxl->device, cxl->bytes), "cxl_cache");
  add(storage::open_dram_tier(ucx, o.dram_cache()), "dram_cache");
  return std::make_unique<objects::tier_stack>(std::move(tiers));
}

}  // namespace

Runtime::impl::impl(const Options& o) : options(o), cp(client::tls_of(o)) {
  for (auto tier : {o.hbm_cache(), o.cxl_cache()})
    if (tier && tier->bytes < (4ull << 20))
      throw ConfigError("a local tier of " + transport::format_byte_size(tier->bytes) +
                        " is too small: each tier needs at least 4 MiB");
  if (o.hbm_cache()) {
    // Fail before anything starts when the GPU tier cannot be had.
    auto probe = storage::open_hbm_tier(o.hbm_cache()->device, 4ull << 20);
    if (!probe) throw ConfigError("hbm_cache: " + probe.err().message);
  }
  if (o.dram_cache() < (4ull << 20))
    throw ConfigError("dram_cache of " + transport::format_byte_size(o.dram_cache()) +
                      " is too small: the local cache needs at least 4 MiB");
  if (o.erasure() && o.replicas() > 1)
    throw ConfigError("replicas(" + std::to_string(o.replicas()) + ") and erasure(" +
                      std::to_string(o.erasure()->k) + ", " + std::to_string(o.erasure()->m) +
                      "): choose one");
  // The memory nodes: named, or listed in etcd, or (neither) an embedded one.
  std::vector<std::string> listed = o.memory_nodes();
  if (!o.cluster().empty()) {
    if (!listed.empty()) throw ConfigError("memory_node and cluster: name the nodes one way");
    auto etcd = actors::etcd_client::parse(o.cluster(), o.timeout());
    if (!etcd) throw ConfigError("cluster: " + etcd.err().message);
    auto members = actors::list_members(*etcd);
    if (!members) objects::raise(members.err());
    if (members->empty())
      throw NodeUnavailable("no memory node is registered in " + o.cluster() +
                            " (start them with --cluster=" + o.cluster() + ")");
    listed = std::move(members).value();
  }
  const std::size_t named = std::max<std::size_t>(1, listed.size());
  const std::string which = listed.empty()        ? " (the embedded one)"
                            : o.cluster().empty() ? " named"
                                                  : " registered";
  if (o.erasure() && o.erasure()->k + o.erasure()->m > named)
    throw ConfigError("erasure(" + std::to_string(o.erasure()->k) + ", " +
                      std::to_string(o.erasure()->m) + ") needs at least " +
                      std::to_string(o.erasure()->k + o.erasure()->m) + " memory nodes; " +
                      std::to_string(named) + which);
  if (o.replicas() > named)
    throw ConfigError("replicas(" + std::to_string(o.replicas()) + ") needs at least " +
                      std::to_string(o.replicas()) + " memory nodes; " + std::to_string(named) +
                      which);
  // The token: named, or from the environment; the embedded node gets a
  // random one, so that only this process can reach its objects.
  std::string token = o.auth_token();
  if (!o.auth_token_file().empty()) {
    auto read = transport::read_token_file(o.auth_token_file());
    if (!read) throw ConfigError("auth_token_file: " + read.err().message);
    token = std::move(read).value();
  }
  if (const char* env = std::getenv("REMORA_AUTH_TOKEN"); token.empty() && env != nullptr)
    token = env;
  if (token.empty() && listed.empty()) token = transport::secure_random_hex(16);
  std::vector<actors::node_address> nodes;
  if (listed.empty()) {
    actors::memory_node_host::options host;
    host.arena.capacity = o.embedded_capacity();
    host.arena.spill_dir = o.spill_dir();
    if (host.arena.spill_dir.empty()) {
      char pattern[] = "/tmp/remora-embedded-XXXXXX";
      if (::mkdtemp(pattern) == nullptr)
        throw ConfigError("cannot create a spill directory in /tmp");
      temporary_spill = pattern;
      host.arena.spill_dir = pattern;
    }
    host.auth_token = token;
    auto started = actors::memory_node_host::start(cp, host);
    if (!started) objects::raise(started.err());
    embedded = std::move(started).value();
    auto port = embedded->publish("127.0.0.1", 0);
    if (!port) objects::raise(port.err());
    nodes.push_back({"127.0.0.1", *port});
  } else {
    for (const auto& text : listed) {
      auto address = actors::node_address::parse(text);
      if (!address) throw ConfigError("memory node '" + text + "': " + address.err().message);
      nodes.push_back(*address);
    }
  }
  // Data stays on the loopback device while every node is on this machine;
  // a node elsewhere needs the network (transport/context.hpp).
  std::string devices = o.net_devices();
  if (devices.empty() && std::getenv("UCX_NET_DEVICES") == nullptr &&
      std::any_of(nodes.begin(), nodes.end(),
                  [](const actors::node_address& a) { return !transport::is_loopback(a.host); }))
    devices = "all";
  client::node_far_store::options far_options{token, options.timeout(), devices, o.dead_after(),
                                              {},    o.compress_links()};
  if (!o.cluster().empty()) {
    // Membership decides deaths: a node whose lease ended has left.
    far_options.left = [etcd = *actors::etcd_client::parse(o.cluster(), o.timeout())](
                           const actors::node_address& node) {
      auto members = actors::list_members(etcd);
      return members &&
             std::find(members->begin(), members->end(), node.to_string()) == members->end();
    };
  }
  auto plain =
      std::make_unique<client::node_far_store>(cp, std::move(nodes), std::move(far_options));
  if (!o.cluster().empty()) {
    members = std::make_unique<client::member_watch>(
        *actors::etcd_client::parse(o.cluster(), o.timeout()), *plain);
    names = std::make_unique<actors::name_registry>(
        *actors::etcd_client::parse(o.cluster(), o.timeout()), token);
  }
  far = std::move(plain);
  if (o.replicas() > 1)
    far = std::make_unique<objects::replicated_far_store>(std::move(far), o.replicas());
  if (const auto& code = o.erasure())
    far = std::make_unique<objects::erasure_far_store>(std::move(far), code->k, code->m);
  auto ctx = transport::context::create({devices});
  if (!ctx) objects::raise(ctx.err());
  ucx = std::move(ctx).value();
  store = std::make_unique<objects::object_store>(open_tiers(o, *ucx), *far, o.timeout(),
                                                  o.prefetch_on_reader(), o.check_access());
  // Several copies of each object: published arrays get theirs rebuilt
  // too (one copy each leaves nothing to copy from).
  if (o.replicas() > 1 || o.erasure())
    mender = std::make_unique<objects::publication_mender>(far->homes());
}

Runtime::impl::~impl() {
  mender.reset();   // reads and writes through the far store
  members.reset();  // adds nodes to the far store
  store.reset();    // its last frees go out through the far store
  far.reset();
  embedded.reset();
  if (!temporary_spill.empty()) std::filesystem::remove_all(temporary_spill);
}

Runtime::Runtime(const Options& options) : impl_(std::make_unique<impl>(options)) {}
Runtime::~Runtime() = default;

detail::object_runtime* Runtime::objects() {
  return impl_->store.get();
}

Stats Runtime::stats() const {
  const auto c = impl_->store->counts();
  const auto counts = detail::sum_counters().since(impl_->counted_before);
  Stats s;
  s.hits = counts.hits();
  s.misses = counts.misses;
  s.evictions = c.evictions;
  s.taken_back = c.taken_back;
  s.writebacks = c.writebacks;
  s.writeback_failures = c.writeback_failures;
  s.bytes_in = c.bytes_in;
  s.bytes_out = c.bytes_out;
  s.prefetch_issued = c.prefetch_issued;
  s.prefetch_hits = c.prefetch_hits;
  s.prefetch_wasted = c.prefetch_wasted;
  const auto& t = impl_->store->tiers();
  s.dram_used = t.used(storage::tier_kind::dram);
  s.dram_capacity = t.capacity(storage::tier_kind::dram);
  s.cxl_used = t.used(storage::tier_kind::cxl);
  s.cxl_capacity = t.capacity(storage::tier_kind::cxl);
  s.hbm_used = t.used(storage::tier_kind::hbm);
  s.hbm_capacity = t.capacity(storage::tier_kind::hbm);
  s.demotions = c.demotions;
  s.promotions = c.promotions;
  s.failovers = impl_->far->failovers();
  s.repairs = impl_->far->repairs() + (impl_->mender ? impl_->mender->repairs() : 0);
  s.objects_lost = impl_->far->objects_lost();
  s.rebalanced = c.rebalanced + impl_->far->rebalanced();
  if (const auto* plain = dynamic_cast<const client::node_far_store*>(&impl_->far->homes())) {
    s.packed_reads = plain->packed_reads();
    s.packed_bytes_saved = plain->packed_bytes_saved();
  }
  return s;
}

}  // namespace remora

#include "remora/runtime.hpp"

#include <algorithm>
#include <cstring>
#include <random>
#include <thread>

#include "client/node_far_store.hpp"
#include "client/raise.hpp"
#include "client/runtime_impl.hpp"
#include "objects/epochs.hpp"
#include "storage/slot.hpp"
#include "transport/byte_size.hpp"

namespace remora {

using namespace detail;
using storage::object_location;

namespace {

constexpr std::size_t free_batch = 256;

// Rendezvous hashing: the node whose mix with the id is largest.
std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t x = a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2));
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dull;
  return x ^ (x >> 33);
}

}  // namespace

// The local tiers the options ask for, fastest first (tier_stack.hpp).
std::unique_ptr<objects::tier_stack> open_tiers(const Options& o, transport::context& ucx) {
  std::vector<std::unique_ptr<objects::local_cache>> tiers;
  auto add = [&](transport::result<std::unique_ptr<storage::tier_memory>> memory,
                 const char* option) {
    if (!memory) {
      auto e = memory.err();
      e.message = std::string(option) + ": " + e.message;
      client::raise(e);
    }
    auto cache = objects::local_cache::create(std::move(memory).value());
    if (!cache) client::raise(cache.err());
    tiers.push_back(std::move(cache).value());
  };
  if (auto hbm = o.hbm_cache()) add(storage::open_hbm_tier(hbm->device, hbm->bytes), "hbm_cache");
  if (auto cxl = o.cxl_cache())
    add(storage::open_cxl_tier(ucx, cxl->device, cxl->bytes), "cxl_cache");
  add(storage::open_dram_tier(ucx, o.dram_cache()), "dram_cache");
  return std::make_unique<objects::tier_stack>(std::move(tiers));
}

Runtime::impl::impl(const Options& o) : options(o) {
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
  std::vector<actors::node_address> nodes;
  if (o.memory_nodes().empty()) {
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
    host.auth_token = o.auth_token();
    auto started = actors::memory_node_host::start(cp, host);
    if (!started) client::raise(started.err());
    embedded = std::move(started).value();
    auto port = embedded->publish("127.0.0.1", 0);
    if (!port) client::raise(port.err());
    nodes.push_back({"127.0.0.1", *port});
  } else {
    for (const auto& text : o.memory_nodes()) {
      auto address = actors::node_address::parse(text);
      if (!address) throw ConfigError("memory_node: " + address.err().message);
      nodes.push_back(*address);
    }
  }
  far = std::make_unique<client::node_far_store>(cp, std::move(nodes), options.auth_token(),
                                                 options.timeout());
  frees.resize(far->nodes());
  auto ctx = transport::context::create();
  if (!ctx) client::raise(ctx.err());
  ucx = std::move(ctx).value();
  tiers = open_tiers(o, *ucx);
  tiering = std::make_unique<objects::tiering_thread>(objects::tiering_thread::hooks{
      [this] { return under_pressure(); }, [this] { return evacuate_round(); },
      [this] {
        flush_frees();
        promote_round();
      }});
}

Runtime::impl::~impl() {
  tiering.reset();
  flush_frees();
  far.reset();
  tiers.reset();
  embedded.reset();
  if (!temporary_spill.empty()) std::filesystem::remove_all(temporary_spill);
}

std::uint64_t Runtime::impl::new_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uint64_t id = 0;
  while (id == 0) id = random();
  return id;
}

std::uint32_t Runtime::impl::place(std::uint64_t id) const {
  std::uint32_t best = 0;
  std::uint64_t best_score = 0;
  for (std::uint32_t i = 0; i < far->nodes(); ++i) {
    const std::uint64_t score = mix(id, far->node_id(i));
    if (i == 0 || score > best_score) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

std::byte* Runtime::impl::allocate_slot(std::uint32_t size, std::size_t tier) {
  auto attempt = [&](bool reserve) {
    return tier == tiers->size() ? tiers->allocate_host(size, reserve).first
                                 : (*tiers)[tier].allocate(size, reserve);
  };
  if (std::byte* slot = attempt(false)) return slot;
  tiering->nudge();
  // A thread that pins objects may dip into the reserve to finish its scope.
  const auto& t = this_thread;
  const bool pinning =
      (t.epoch.load(std::memory_order_relaxed) & 1) && t.pins.load(std::memory_order_relaxed) != 0;
  if (pinning)
    if (std::byte* slot = attempt(true)) return slot;
  // What this thread's open scope pins stays put until the scope ends. If
  // that leaves no room for this object, no wait can help.
  bool known = false;
  const pinned_set pins = pinning ? my_pins(known) : pinned_set{};
  if (known && !pins.empty() && !tiers->could_fit_beside(pins.items(), size, tier)) {
    std::uint64_t pinned = 0;
    for (const object_record* r : pins.items()) pinned += r->size;
    throw OutOfMemory("the local cache (" + transport::format_byte_size(tiers->host_capacity()) +
                      ") has no room for an object of " + std::to_string(size) +
                      " bytes beside the " + transport::format_byte_size(pinned) + " in " +
                      std::to_string(pins.items().size()) +
                      " objects that this thread's open DerefScope pins. Deref less in one "
                      "scope, or raise dram_cache");
  }
  // Wait for the evacuator, parked: it skips what this scope pins rather
  // than wait for the scope to end.
  park_guard parked;
  const auto until = std::chrono::steady_clock::now() + options.timeout();
  while (std::chrono::steady_clock::now() < until) {
    tiering->nudge();
    if (tier == tiers->size())
      tiers->wait_for_room(std::chrono::milliseconds(5));
    else
      (*tiers)[tier].wait_for_room(std::chrono::milliseconds(5));
    if (std::byte* slot = attempt(pinning)) return slot;
  }
  throw OutOfMemory("the local cache (" + transport::format_byte_size(tiers->host_capacity()) +
                    ") has no room for an object of " + std::to_string(size) +
                    " bytes: what it holds is pinned by open DerefScopes of other threads (or "
                    "could not be written home) within the timeout. Keep scopes short, or "
                    "raise dram_cache");
}

object_record* Runtime::impl::create(std::uint32_t size, void (*init)(void*, void*), void* arg) {
  if (size > tiers->max_object_size())
    throw ConfigError("an object of " + std::to_string(size) + " bytes does not fit this " +
                      transport::format_byte_size(tiers->host_capacity()) +
                      " local cache (at most " + std::to_string(tiers->max_object_size()) +
                      " bytes an object); raise dram_cache, or split the object");
  std::byte* slot = allocate_slot(size, tiers->size());
  object_record* r = records.make();
  r->size = size;
  r->id = new_id();
  r->node = place(r->id);
  init(slot, arg);
  tiers->add_resident(r, slot);
  r->meta().install(slot, {.hot = true, .dirty = true});
  if (under_pressure()) tiering->nudge();
  return r;
}

void* Runtime::impl::deref_slow(object_record* r, bool for_write, bool scanning) {
  const auto until = std::chrono::steady_clock::now() + options.timeout();
  for (unsigned spins = 0;; ++spins) {
    meta_state m = r->meta().load();
    if (m.usable() && m.on_device()) {
      // In GPU memory: back to a host tier first.
      relocate(r, tiers->size(), until);
      continue;
    }
    if (m.usable()) {
      const meta_state old = r->meta().touch(for_write, scanning);
      if (old.usable()) {
        if (old.prefetched() && r->meta().take_prefetched())
          prefetch_hits.fetch_add(1, std::memory_order_relaxed);
        count(this_thread.hits);
        return old.address();
      }
      continue;  // an evacuation claimed it meanwhile
    }
    if (m.fetchable()) {
      if (r->meta().begin_fetch(m))
        return fetch(r, {.hot = true, .dirty = for_write, .scanned = scanning});
      continue;
    }
    // Another thread fetches it, or an evacuation writes it back: wait.
    if (std::chrono::steady_clock::now() >= until)
      throw NodeUnavailable("object " + std::to_string(r->id) +
                            " stayed in transit (fetch or write-back) past the timeout");
    if (spins < 64)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

void* Runtime::impl::fetch(object_record* r, arrival flags) {
  // This thread holds F: the remote fields are its to read and write.
  std::byte* slot = nullptr;
  try {
    if (!far->reachable(r->node))
      throw NodeUnavailable("memory node " + far->describe(r->node) +
                            " is down (its control connection was lost); object " +
                            std::to_string(r->id) + " lives there");
    slot = allocate_slot(r->size, tiers->size());
    object_location where{r->id, r->offset, r->version, r->size,
                          static_cast<std::uint32_t>(storage::slot_bytes(r->size))};
    const std::span<std::byte> into(slot, r->size);
    auto got = far->read(r->node, {&where, 1}, {&into, 1});
    if (!got) client::raise(got.err());
    r->offset = where.offset;
    r->version = where.version;
  } catch (...) {
    if (slot != nullptr) tiers->free_slot(slot, r->size);
    r->meta().abort_fetch();
    throw;
  }
  tiers->add_resident(r, slot);
  bytes_in.fetch_add(r->size, std::memory_order_relaxed);
  count(this_thread.misses);
  r->meta().install(slot, flags);
  if (under_pressure()) tiering->nudge();
  return slot;
}

void Runtime::impl::fetch_many(std::span<object_record* const> records) {
  // Asked for by the caller: when the cache is full, wait for the evacuator
  // (parked, as a deref would) rather than leave the rest to single misses.
  // Within the timeout; what still finds no room is left to the derefs.
  const auto until = std::chrono::steady_clock::now() + options.timeout();
  for (std::size_t done = 0; done < records.size();) {
    done += prefetch(records.subspan(done));
    if (done == records.size() || std::chrono::steady_clock::now() >= until) break;
    park_guard parked;
    tiering->nudge();
    tiers->wait_for_room(std::chrono::milliseconds(5));
  }
}

std::unique_ptr<prefetch_session> Runtime::impl::follow(prefetch_plan plan) {
  // The prefetcher's thread fetches through its own clients (far_store).
  return std::make_unique<objects::prefetcher>(
      std::move(plan),
      objects::prefetcher::hooks{
          [this](std::span<object_record* const> chunks) { return prefetch(chunks); },
          [this] { return prefetch_wasted.load(std::memory_order_relaxed); }});
}

std::size_t Runtime::impl::prefetch(std::span<object_record* const> chunks) {
  // Claims F on each absent chunk, takes a slot without waiting (a full
  // cache is the evacuator's to fix, not a reason to block), then reads each
  // node's share with one batch. Prefetched chunks arrive with R, not H.
  struct claimed {
    object_record* r;
    std::byte* slot;
  };
  std::vector<std::vector<claimed>> per_node(far->nodes());
  bool full = false;
  std::size_t handled = 0;
  for (object_record* r : chunks) {
    meta_state m = r->meta().load();
    if (!m.fetchable() || !r->meta().begin_fetch(m)) {
      ++handled;  // present or in transit: nothing to fetch
      continue;
    }
    // Holding F, the remote fields are this thread's to read.
    if (r->version == 0) {  // never written home: nothing to fetch
      r->meta().abort_fetch();
      ++handled;
      continue;
    }
    std::byte* slot = tiers->allocate_host(r->size, false).first;
    if (slot == nullptr) {
      r->meta().abort_fetch();
      full = true;
      break;  // the rest waits for the evacuator
    }
    per_node[r->node].push_back({r, slot});
    ++handled;
  }
  std::size_t issued = 0;
  for (std::uint32_t n = 0; n < per_node.size(); ++n) {
    auto& batch = per_node[n];
    if (batch.empty()) continue;
    std::vector<object_location> where;
    std::vector<std::span<std::byte>> into;
    for (auto& c : batch) {
      where.push_back({c.r->id, c.r->offset, c.r->version, c.r->size,
                       static_cast<std::uint32_t>(storage::slot_bytes(c.r->size))});
      into.emplace_back(c.slot, c.r->size);
    }
    const bool ok = far->reachable(n) && far->read(n, where, into).ok();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      object_record* r = batch[i].r;
      if (!ok) {
        tiers->free_slot(batch[i].slot, r->size);
        r->meta().abort_fetch();
        continue;
      }
      r->offset = where[i].offset;
      r->version = where[i].version;
      tiers->add_resident(r, batch[i].slot);
      bytes_in.fetch_add(r->size, std::memory_order_relaxed);
      r->meta().install(batch[i].slot, {.hot = true, .prefetched = true});
      ++issued;
    }
  }
  prefetch_issued.fetch_add(issued, std::memory_order_relaxed);
  if (full || under_pressure()) tiering->nudge();
  return handled;
}

void Runtime::impl::release(object_record* r) noexcept {
  if (!tiers->forget(r)) return;  // an evacuation holds it; finish() hands it back
  queue_free(r);
  records.destroy(r);
}

void Runtime::impl::queue_free(object_record* r) {
  if (r->version == 0) return;  // never reached its home
  std::lock_guard lock(frees_mutex);
  frees[r->node].push_back(r->id);
}

void Runtime::impl::flush_frees() {
  std::vector<std::vector<std::uint64_t>> batch;
  {
    std::lock_guard lock(frees_mutex);
    batch.swap(frees);
    frees.resize(far->nodes());
  }
  for (std::uint32_t n = 0; n < batch.size(); ++n) {
    if (!far->reachable(n)) continue;
    for (std::size_t first = 0; first < batch[n].size(); first += free_batch) {
      auto ids = std::span(batch[n]).subspan(first, std::min(free_batch, batch[n].size() - first));
      if (!far->free(n, ids)) break;  // unreachable now: its objects are lost with it
    }
  }
}

Runtime::Runtime(const Options& options) : impl_(std::make_unique<impl>(options)) {}
Runtime::~Runtime() = default;

object_runtime* Runtime::objects() {
  return impl_.get();
}

Stats Runtime::stats() const {
  Stats s;
  auto counts = sum_counters();
  s.hits = counts.hits;
  s.misses = counts.misses;
  s.evictions = impl_->evictions.load(std::memory_order_relaxed);
  s.writebacks = impl_->writebacks.load(std::memory_order_relaxed);
  s.bytes_in = impl_->bytes_in.load(std::memory_order_relaxed);
  s.bytes_out = impl_->bytes_out.load(std::memory_order_relaxed);
  s.prefetch_issued = impl_->prefetch_issued.load(std::memory_order_relaxed);
  s.prefetch_hits = impl_->prefetch_hits.load(std::memory_order_relaxed);
  s.prefetch_wasted = impl_->prefetch_wasted.load(std::memory_order_relaxed);
  const auto& t = *impl_->tiers;
  s.dram_used = t.used(storage::tier_kind::dram);
  s.dram_capacity = t.capacity(storage::tier_kind::dram);
  s.cxl_used = t.used(storage::tier_kind::cxl);
  s.cxl_capacity = t.capacity(storage::tier_kind::cxl);
  s.hbm_used = t.used(storage::tier_kind::hbm);
  s.hbm_capacity = t.capacity(storage::tier_kind::hbm);
  s.demotions = impl_->demotions.load(std::memory_order_relaxed);
  s.promotions = impl_->promotions.load(std::memory_order_relaxed);
  return s;
}

}  // namespace remora

#include "remora/runtime.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <functional>

#include "actors/memory_node_host.hpp"
#include "actors/node_client.hpp"
#include "actors/prefetcher.hpp"
#include "actors/tiering_manager.hpp"
#include "client/node_clients.hpp"
#include "client/raise.hpp"
#include "objects/local_cache.hpp"
#include "objects/record_pool.hpp"
#include "storage/slot.hpp"
#include "transport/byte_size.hpp"

namespace remora {

using namespace detail;
using actors::node_client;
using storage::object_location;

namespace {

// The cache keeps free room between these fractions of its capacity.
constexpr double low_free = 0.10;
constexpr std::size_t sweep_batch = 512;
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

std::uint64_t payload_address(std::byte* slot) { return reinterpret_cast<std::uint64_t>(slot); }

}  // namespace

struct Runtime::impl final : object_runtime {
  explicit impl(const Options& o);
  ~impl();

  void* deref_slow(object_record* r, bool for_write, bool scanning) override;
  std::unique_ptr<prefetch_session> follow(prefetch_plan plan) override;
  void fetch_many(std::span<object_record* const> records) override {
    for (std::size_t done = 0; done < records.size();) {
      const std::size_t handled = prefetch(records.subspan(done), clients_of_this_thread);
      if (handled == 0) break;  // the cache is full: the derefs will wait for room
      done += handled;
    }
  }
  // Which clients a fetch uses: the calling thread's, or a lease's.
  using client_source = std::function<node_client&(std::uint32_t node)>;
  std::size_t prefetch(std::span<object_record* const> chunks, const client_source& via);
  object_record* create(std::uint32_t size, void (*init)(void*, void*), void* arg) override;
  void release(object_record* r) noexcept override;

  node_client& client_for(std::uint32_t node) { return clients->mine(node); }
  std::byte* allocate_slot(std::uint32_t size);
  void* fetch(object_record* r, std::uint64_t flags);
  std::uint64_t new_id();
  std::uint32_t place(std::uint64_t id) const;
  std::size_t evacuate_round();
  std::vector<object_record*> write_back(std::vector<object_record*>& dirty);
  void queue_free(object_record* r);
  void flush_frees();
  bool under_pressure() const {
    return cache->fragmented() ||
           cache->free_room() < low_free * static_cast<double>(cache->capacity());
  }

  Options options;
  std::filesystem::path temporary_spill;
  actors::control_plane cp;
  std::unique_ptr<actors::memory_node_host> embedded;
  std::vector<actors::node_address> nodes;
  std::vector<std::uint64_t> node_ids;
  std::unique_ptr<std::atomic<bool>[]> node_down;
  std::unique_ptr<transport::context> ucx;
  std::unique_ptr<objects::local_cache> cache;
  objects::record_pool records;

  std::unique_ptr<client::node_clients> clients;
  const client_source clients_of_this_thread = [this](std::uint32_t n) -> node_client& {
    return client_for(n);
  };

  std::mutex frees_mutex;
  std::vector<std::vector<std::uint64_t>> frees;  // GUARDED_BY(frees_mutex): per node

  std::atomic<std::uint64_t> evictions{0}, writebacks{0}, bytes_in{0}, bytes_out{0};
  std::atomic<std::uint64_t> prefetch_issued{0}, prefetch_hits{0}, prefetch_wasted{0};
  std::unique_ptr<actors::tiering_manager> tiering;  // last: stops first
};

Runtime::impl::impl(const Options& o) : options(o) {
  if (o.hbm_cache())
    throw ConfigError("hbm_cache: this build has no GPU tier yet (the HBM tier is future work); "
                      "remove the option");
  if (o.cxl_cache())
    throw ConfigError("cxl_cache: the CXL/NUMA tier is future work in this build; remove the "
                      "option");
  if (o.dram_cache() < (4ull << 20))
    throw ConfigError("dram_cache of " + transport::format_byte_size(o.dram_cache()) +
                      " is too small: the local cache needs at least 4 MiB");
  if (o.memory_nodes().empty()) {
    actors::memory_node_host::options host;
    host.arena.capacity = o.embedded_capacity();
    host.arena.spill_dir = o.spill_dir();
    if (host.arena.spill_dir.empty()) {
      char pattern[] = "/tmp/remora-embedded-XXXXXX";
      if (::mkdtemp(pattern) == nullptr) throw ConfigError("cannot create a spill directory in /tmp");
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
  clients = std::make_unique<client::node_clients>(
      static_cast<std::uint32_t>(nodes.size()), [this](std::uint32_t node) {
        auto c = node_client::connect(cp, {nodes[node], options.auth_token(), options.timeout()});
        if (!c) client::raise(c.err());
        return std::move(c).value();
      });
  node_down = std::make_unique<std::atomic<bool>[]>(nodes.size());
  frees.resize(nodes.size());
  for (std::uint32_t i = 0; i < nodes.size(); ++i) {
    node_client& c = client_for(i);  // connects now: bad addresses fail here
    node_ids.push_back(c.node_id());
    c.watch(node_down[i]);
  }
  auto ctx = transport::context::create();
  if (!ctx) client::raise(ctx.err());
  ucx = std::move(ctx).value();
  auto made = objects::local_cache::create(*ucx, o.dram_cache());
  if (!made) client::raise(made.err());
  cache = std::move(made).value();
  tiering = std::make_unique<actors::tiering_manager>(
      cp, actors::tiering_manager::hooks{[this] { return under_pressure(); },
                                         [this] { return evacuate_round(); },
                                         [this] { flush_frees(); }});
}

Runtime::impl::~impl() {
  tiering.reset();
  flush_frees();
  clients->clear();
  cache.reset();
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
  for (std::uint32_t i = 0; i < node_ids.size(); ++i) {
    const std::uint64_t score = mix(id, node_ids[i]);
    if (i == 0 || score > best_score) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

std::byte* Runtime::impl::allocate_slot(std::uint32_t size) {
  if (std::byte* slot = cache->allocate(size)) return slot;
  tiering->nudge();
  // A thread whose open scope already pins objects holds the evacuator up
  // until the scope ends: it may dip into the reserve to finish the scope.
  const auto& t = this_thread;
  const bool pins = t.depth > 0 && t.hits.load(std::memory_order_relaxed) +
                                           t.misses.load(std::memory_order_relaxed) !=
                                       t.derefs_at_scope_start.load(std::memory_order_relaxed);
  if (pins)
    if (std::byte* slot = cache->allocate(size, true)) return slot;
  // Otherwise wait for the evacuator, parked (a thread that has dereferenced
  // nothing in its scope yet does not hold the evacuator up).
  park_guard parked;
  const auto until = std::chrono::steady_clock::now() + options.timeout();
  while (std::chrono::steady_clock::now() < until) {
    tiering->nudge();
    cache->wait_for_room(std::chrono::milliseconds(5));
    if (std::byte* slot = cache->allocate(size, pins)) return slot;
  }
  throw OutOfMemory("the local cache (" + transport::format_byte_size(cache->capacity()) +
                    ") has no room for an object of " + std::to_string(size) +
                    " bytes: what it holds is pinned by open DerefScopes. Keep scopes short, or "
                    "raise dram_cache");
}

object_record* Runtime::impl::create(std::uint32_t size, void (*init)(void*, void*), void* arg) {
  if (size > cache->max_object_size())
    throw ConfigError("an object of " + std::to_string(size) + " bytes does not fit this " +
                      transport::format_byte_size(cache->capacity()) + " local cache (at most " +
                      std::to_string(cache->max_object_size()) +
                      " bytes an object); raise dram_cache, or split the object");
  std::byte* slot = allocate_slot(size);
  object_record* r = records.make();
  r->size = size;
  r->id = new_id();
  r->node = place(r->id);
  init(slot, arg);
  cache->add_resident(r);
  r->meta().store(meta_present | meta_hot | meta_dirty | payload_address(slot),
                std::memory_order_release);
  if (under_pressure()) tiering->nudge();
  return r;
}

void* Runtime::impl::deref_slow(object_record* r, bool for_write, bool scanning) {
  const auto until = std::chrono::steady_clock::now() + options.timeout();
  for (unsigned spins = 0;; ++spins) {
    std::uint64_t m = r->meta().load(std::memory_order_acquire);
    const std::uint64_t flags = meta_hot | (for_write ? meta_dirty : 0) |
                                (scanning && !(m & meta_hot) ? meta_scanned : 0);
    if ((m & (meta_present | meta_evacuating)) == meta_present) {
      const std::uint64_t old = r->meta().fetch_or(flags, std::memory_order_acq_rel);
      if ((old & (meta_present | meta_evacuating)) == meta_present) {
        if ((old & meta_prefetched) &&
            (r->meta().fetch_and(~meta_prefetched, std::memory_order_acq_rel) & meta_prefetched))
          prefetch_hits.fetch_add(1, std::memory_order_relaxed);
        count(this_thread.hits);
        return reinterpret_cast<void*>(old & meta_address);
      }
      continue;  // an evacuation claimed it meanwhile
    }
    if (!(m & (meta_present | meta_fetching))) {
      if (r->meta().compare_exchange_weak(m, m | meta_fetching, std::memory_order_acq_rel))
        return fetch(r, flags);
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

void* Runtime::impl::fetch(object_record* r, std::uint64_t flags) {
  // This thread holds F: the remote fields are its to read and write.
  std::byte* slot = nullptr;
  try {
    if (node_down[r->node].load(std::memory_order_acquire))
      throw NodeUnavailable("memory node " + nodes[r->node].to_string() +
                            " is down (its control connection was lost); object " +
                            std::to_string(r->id) + " lives there");
    slot = allocate_slot(r->size);
    // The remote slot (header, payload, trailer) is read and verified in a
    // per-thread buffer; the cache keeps the payload alone.
    thread_local std::vector<std::byte> staging;
    object_location where{r->id, r->offset, r->version, r->size,
                          static_cast<std::uint32_t>(storage::slot_bytes(r->size))};
    staging.resize(where.slot_bytes);
    auto got = client_for(r->node).read_slot(where, staging);
    if (!got) client::raise(got.err());
    std::memcpy(slot, staging.data() + storage::payload_offset, r->size);
    r->offset = where.offset;
    r->version = where.version;
  } catch (...) {
    if (slot != nullptr) cache->free_slot(slot, r->size);
    r->meta().fetch_and(~meta_fetching, std::memory_order_acq_rel);
    throw;
  }
  cache->add_resident(r);
  bytes_in.fetch_add(r->size, std::memory_order_relaxed);
  count(this_thread.misses);
  r->meta().store(meta_present | flags | payload_address(slot), std::memory_order_release);
  if (under_pressure()) tiering->nudge();
  return slot;
}

std::unique_ptr<prefetch_session> Runtime::impl::follow(prefetch_plan plan) {
  // The prefetcher keeps one set of clients for its life (a pooled one: see
  // node_clients.hpp for what a fresh set costs).
  auto lease = std::make_shared<client::node_clients::lease>(clients->borrow());
  client_source via = [lease](std::uint32_t n) -> node_client& { return lease->to(n); };
  return std::make_unique<actors::prefetcher>(
      cp, std::move(plan),
      actors::prefetcher::hooks{
          [this, via](std::span<object_record* const> chunks) { return prefetch(chunks, via); },
          [this] { return prefetch_wasted.load(std::memory_order_relaxed); }});
}

std::size_t Runtime::impl::prefetch(std::span<object_record* const> chunks,
                                    const client_source& via) {
  // Claims F on each absent chunk, takes a slot without waiting (a full
  // cache is the evacuator's to fix, not a reason to block), then reads each
  // node's share with one batch. Prefetched chunks arrive with R, not H.
  struct claimed {
    object_record* r;
    std::byte* slot;
  };
  std::vector<std::vector<claimed>> per_node(nodes.size());
  bool full = false;
  std::size_t handled = 0;
  for (object_record* r : chunks) {
    std::uint64_t m = r->meta().load(std::memory_order_acquire);
    if ((m & (meta_present | meta_fetching)) || r->version == 0 ||
        !r->meta().compare_exchange_strong(m, m | meta_fetching, std::memory_order_acq_rel)) {
      ++handled;  // present, in transit, or never written home: nothing to fetch
      continue;
    }
    std::byte* slot = cache->allocate(r->size);
    if (slot == nullptr) {
      r->meta().fetch_and(~meta_fetching, std::memory_order_acq_rel);
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
    bool ok = !node_down[n].load(std::memory_order_acquire);
    if (ok) {
      try {
        ok = via(n).read_many(where, into).ok();
      } catch (const Error&) {
        ok = false;
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      object_record* r = batch[i].r;
      if (!ok) {
        cache->free_slot(batch[i].slot, r->size);
        r->meta().fetch_and(~meta_fetching, std::memory_order_acq_rel);
        continue;
      }
      r->offset = where[i].offset;
      r->version = where[i].version;
      cache->add_resident(r);
      bytes_in.fetch_add(r->size, std::memory_order_relaxed);
      r->meta().store(meta_present | meta_prefetched | meta_hot | payload_address(batch[i].slot),
                      std::memory_order_release);
      ++issued;
    }
  }
  prefetch_issued.fetch_add(issued, std::memory_order_relaxed);
  if (full || under_pressure()) tiering->nudge();
  return handled;
}

void Runtime::impl::release(object_record* r) noexcept {
  if (!cache->forget(r)) return;  // an evacuation holds it; finish() hands it back
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
    frees.resize(nodes.size());
  }
  for (std::uint32_t n = 0; n < batch.size(); ++n) {
    if (node_down[n].load(std::memory_order_acquire)) continue;
    for (std::size_t first = 0; first < batch[n].size(); first += free_batch) {
      auto ids = std::span(batch[n]).subspan(first, std::min(free_batch, batch[n].size() - first));
      try {
        (void)client_for(n).free(ids);  // an unknown id only means it is gone already
      } catch (const Error&) {
        return;  // the node is unreachable: its objects are lost with it
      }
    }
  }
}

std::vector<object_record*> Runtime::impl::write_back(std::vector<object_record*>& dirty) {
  // Returns the objects that could not be written back. Objects whose home
  // is down are given up: nothing can take their bytes, and later derefs of
  // them throw NodeUnavailable. The evacuation holds E on each object, so
  // its remote fields are ours.
  std::vector<object_record*> failed;
  std::vector<std::vector<object_record*>> fresh(nodes.size());
  for (object_record* r : dirty)
    if (r->version == 0 && !node_down[r->node].load(std::memory_order_acquire))
      fresh[r->node].push_back(r);
  for (std::uint32_t n = 0; n < fresh.size(); ++n) {
    if (fresh[n].empty()) continue;
    std::vector<std::uint64_t> ids;
    std::vector<std::uint32_t> sizes;
    for (object_record* r : fresh[n]) {
      ids.push_back(r->id);
      sizes.push_back(r->size);
    }
    auto where = client_for(n).allocate(ids, sizes);
    if (!where) continue;  // these keep version 0 and fail below
    for (std::size_t i = 0; i < where->size(); ++i) {
      fresh[n][i]->offset = (*where)[i].offset;
      fresh[n][i]->version = (*where)[i].version;
    }
  }
  for (object_record* r : dirty) {
    if (node_down[r->node].load(std::memory_order_acquire)) continue;
    if (r->version == 0) {
      failed.push_back(r);
      continue;
    }
    object_location where{r->id, r->offset, r->version, r->size,
                          static_cast<std::uint32_t>(storage::slot_bytes(r->size))};
    const auto* payload = objects::local_cache::slot_of(r);
    if (!client_for(r->node).write(where, {payload, r->size})) {
      failed.push_back(r);
      continue;
    }
    r->offset = where.offset;
    r->version = where.version;
    bytes_out.fetch_add(r->size, std::memory_order_relaxed);
  }
  return failed;
}

std::size_t Runtime::impl::evacuate_round() {
  auto candidates = cache->fragmented() ? cache->sweep_page() : cache->sweep(sweep_batch);
  if (candidates.empty()) return 0;
  // Candidates were cold when swept; once every scope open now has ended, a
  // candidate still cold is referenced by no live pointer.
  if (!wait_for_scopes(std::chrono::milliseconds(200))) return 0;
  auto victims = cache->claim(candidates);
  std::vector<object_record*> dirty;
  std::uint64_t unused_prefetches = 0;
  for (object_record* r : victims) {
    const std::uint64_t m = r->meta().load(std::memory_order_acquire);
    if (m & meta_dirty) dirty.push_back(r);
    if (m & meta_prefetched) ++unused_prefetches;
  }
  std::vector<object_record*> failed;
  try {
    failed = write_back(dirty);
  } catch (const Error&) {
    failed = dirty;  // no client for a node: keep them all for a later round
  }
  if (!failed.empty()) {
    cache->restore(failed);
    std::erase_if(victims, [&](object_record* r) {
      return std::find(failed.begin(), failed.end(), r) != failed.end();
    });
    std::erase_if(dirty, [&](object_record* r) {
      return std::find(failed.begin(), failed.end(), r) != failed.end();
    });
  }
  for (object_record* dead : cache->finish(victims)) {
    queue_free(dead);
    records.destroy(dead);
  }
  evictions.fetch_add(victims.size(), std::memory_order_relaxed);
  prefetch_wasted.fetch_add(unused_prefetches, std::memory_order_relaxed);
  writebacks.fetch_add(dirty.size(), std::memory_order_relaxed);
  return victims.size();
}

Runtime::Runtime(const Options& options) : impl_(std::make_unique<impl>(options)) {}
Runtime::~Runtime() = default;

object_runtime* Runtime::objects() { return impl_.get(); }

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
  s.dram_used = impl_->cache->used();
  s.dram_capacity = impl_->cache->capacity();
  return s;
}

}  // namespace remora

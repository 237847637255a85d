// Runtime::impl: the client runtime behind the public Runtime. It serves the
// slow paths of objects/ (object_runtime): misses on the caller's thread,
// prefetches for the prefetchers, creation and release; and runs the
// tiering rounds its tiering thread runs (tiering.cpp): eviction to the
// memory nodes, demotion and promotion between local tiers, moves in and out
// of HBM (device.cpp).
//
// Thread-safety: every member function may be called from any thread; shared
// state is atomic or guarded as marked.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "actors/control_plane.hpp"
#include "actors/memory_node_host.hpp"
#include "objects/far_store.hpp"
#include "objects/prefetcher.hpp"
#include "objects/record_pool.hpp"
#include "objects/tier_stack.hpp"
#include "objects/tiering_thread.hpp"
#include "remora/runtime.hpp"
#include "transport/context.hpp"

namespace remora {

using detail::object_record;
using detail::object_runtime;
using detail::prefetch_plan;
using detail::prefetch_session;

struct Runtime::impl final : object_runtime {
  explicit impl(const Options& o);
  ~impl();

  void* deref_slow(object_record* r, bool for_write, bool scanning) override;
  std::unique_ptr<prefetch_session> follow(prefetch_plan plan) override;
  void fetch_many(std::span<object_record* const> records) override;
  // Fetches the absent ones of `chunks` in one batch per node, without
  // waiting for cache room; how many it dealt with (see prefetcher.hpp).
  std::size_t prefetch(std::span<object_record* const> chunks);
  object_record* create(std::uint32_t size, void (*init)(void*, void*), void* arg) override;
  void release(object_record* r) noexcept override;

  // A slot in tier `tier`, or in the fastest host tier with room when `tier`
  // is tiers->size(); waits for the evacuator within the timeout.
  std::byte* allocate_slot(std::uint32_t size, std::size_t tier);
  void* fetch(object_record* r, detail::arrival flags);
  std::uint64_t new_id();
  std::uint32_t place(std::uint64_t id) const;
  // Tiering (tiering.cpp).
  std::size_t evacuate_round();
  std::size_t promote_round();
  std::size_t evacuate(std::size_t tier);
  std::size_t promote(std::size_t tier);
  std::vector<object_record*> write_back(std::vector<object_record*>& dirty);
  void bury(const std::vector<object_record*>& dead);
  bool under_pressure(std::size_t tier) const;
  bool under_pressure() const;
  // Moves present object `r` into tier `to` (tiers->size(): a host tier) on
  // the caller's thread: claims it, waits out the other threads' scopes,
  // copies, hands over (device.cpp). Returns without moving when another
  // thread holds it in transit; the caller looks again.
  void relocate(object_record* r, std::size_t to, std::chrono::steady_clock::time_point until);
  std::size_t hbm_tier() const;
  void* deref_device(object_record* r) override;
  void queue_free(object_record* r);
  void flush_frees();

  Options options;
  std::filesystem::path temporary_spill;
  actors::control_plane cp;
  std::unique_ptr<actors::memory_node_host> embedded;
  std::unique_ptr<objects::far_store> far;  // the memory nodes
  std::unique_ptr<transport::context> ucx;
  std::unique_ptr<objects::tier_stack> tiers;
  objects::record_pool records;

  std::mutex frees_mutex;
  std::vector<std::vector<std::uint64_t>> frees;  // GUARDED_BY(frees_mutex): per node

  std::atomic<std::uint64_t> evictions{0}, writebacks{0}, bytes_in{0}, bytes_out{0};
  std::atomic<std::uint64_t> demotions{0}, promotions{0};
  std::atomic<std::uint64_t> prefetch_issued{0}, prefetch_hits{0}, prefetch_wasted{0};
  std::unique_ptr<objects::tiering_thread> tiering;  // last: stops first
};

}  // namespace remora

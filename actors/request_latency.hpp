// request_latency: how long a memory node takes over its control requests,
// by kind, as histograms of fixed bounds (1 us to 1 s in 1-2-5 steps, and
// one bucket past the last). The time is the handler's own, from the
// request's arrival at the node's actor to its reply: allocating, finding
// and bringing objects back from disk, not the network to the client.
// Prometheus shows them as remora_request_duration_seconds; remora-ctl stats
// as percentiles.
//
// Thread-safety: none; the node's actor owns it.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "actors/node_stats.hpp"

namespace remora::actors {

enum class request_kind : std::uint8_t {
  hello,
  alloc,
  free,
  lookup,
  publication,  // publish, open, close, unpublish, retract
  blob_put,
  blob_get,
  blob_other,  // erase, stats
};
inline constexpr std::size_t request_kinds = 8;

std::string_view name_of(request_kind k);

/// The buckets' upper bounds in microseconds; the last bucket (past the
/// last bound) is unbounded.
inline constexpr std::array<std::uint64_t, 19> latency_bounds_us = {
    1,    2,    5,     10,    20,    50,     100,    200,    500,    1000,
    2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000};
inline constexpr std::size_t latency_buckets = latency_bounds_us.size() + 1;

class request_latency {
 public:
  using clock = std::chrono::steady_clock;

  /// Records one request of `kind` that took `took`.
  void record(request_kind kind, clock::duration took);

  /// Records the request from its construction to its destruction.
  class timer {
   public:
    timer(request_latency& to, request_kind kind) : to_(to), kind_(kind), started_(clock::now()) {}
    ~timer() { to_.record(kind_, clock::now() - started_); }
    timer(const timer&) = delete;
    timer& operator=(const timer&) = delete;

   private:
    request_latency& to_;
    request_kind kind_;
    clock::time_point started_;
  };
  timer time(request_kind kind) { return timer(*this, kind); }

  /// Writes the kinds that have seen a request into s.latency_*.
  void report(node_stats& s) const;

 private:
  struct histogram {
    std::array<std::uint64_t, latency_buckets> counts{};
    double sum_us = 0;
  };
  std::array<histogram, request_kinds> by_kind_{};
};

/// Kind `k` of s (an index into s.latency_kinds): its request count, and
/// the upper bound in microseconds of the bucket holding the q-quantile
/// (0 < q <= 1), or 0 when past the last bound.
std::uint64_t latency_count(const node_stats& s, std::size_t k);
std::uint64_t latency_quantile_us(const node_stats& s, std::size_t k, double q);

}  // namespace remora::actors

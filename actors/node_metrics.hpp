// node_metrics: a memory node's figures as Prometheus text, served at
// http://HOST:PORT/metrics (remora-memnode --metrics=PORT) by
// prometheus-cpp's pull exposer. The figures are the node's own
// (node_stats, as remora-ctl stats shows them), read from it at each
// scrape: capacity, use, objects, spill, requests, bytes served, sessions,
// leases and, with tenants, each tenant's use and quota.
//
// Thread-safety: the exposer's threads call the stats function.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actors/node_stats.hpp"
#include "transport/result.hpp"

namespace remora::actors {

class node_metrics {
 public:
  using stats_source = std::function<std::optional<node_stats>()>;

  /// Serves /metrics on bind:port (0: a free port). Errors: io when the
  /// address cannot be bound.
  static transport::result<std::unique_ptr<node_metrics>> start(const std::string& bind,
                                                                std::uint16_t port,
                                                                stats_source stats);
  ~node_metrics();

  /// The port it serves on.
  std::uint16_t port() const;

  struct impl;

 private:
  explicit node_metrics(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace remora::actors

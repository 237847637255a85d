// node_events: the log line a memory node prints about what changed since
// its last look (once a second): clients that came or went, spilling that
// started, went on or stopped, objects back from disk, a drain, requests
// refused, leases that lapsed. Quiet seconds print nothing. Each line starts
// with its level: "info:", or "warn:" when a client did something wrong
// (refusals, lapsed leases).
#pragma once

#include <optional>
#include <string>

#include "actors/node_stats.hpp"

namespace remora::actors {

class node_events {
 public:
  explicit node_events(node_stats first) : last_(std::move(first)) {}
  /// What changed since the last call (or the first figures), as one line.
  std::optional<std::string> next(const node_stats& now);

 private:
  node_stats last_;
  bool spilling_ = false;  // objects went out in the last look
};

}  // namespace remora::actors

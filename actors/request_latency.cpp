#include "actors/request_latency.hpp"

#include <algorithm>
#include <cmath>

namespace remora::actors {

std::string_view name_of(request_kind k) {
  switch (k) {
    case request_kind::hello:
      return "hello";
    case request_kind::alloc:
      return "alloc";
    case request_kind::free:
      return "free";
    case request_kind::lookup:
      return "lookup";
    case request_kind::publication:
      return "publication";
    case request_kind::blob_put:
      return "blob_put";
    case request_kind::blob_get:
      return "blob_get";
    case request_kind::blob_other:
      return "blob_other";
  }
  return "unknown";
}

void request_latency::record(request_kind kind, clock::duration took) {
  const double us = std::chrono::duration<double, std::micro>(took).count();
  auto& h = by_kind_[static_cast<std::size_t>(kind)];
  const auto bucket = std::lower_bound(latency_bounds_us.begin(), latency_bounds_us.end(),
                                       static_cast<std::uint64_t>(std::ceil(us))) -
                      latency_bounds_us.begin();
  ++h.counts[static_cast<std::size_t>(bucket)];
  h.sum_us += us;
}

void request_latency::report(node_stats& s) const {
  for (std::size_t k = 0; k < request_kinds; ++k) {
    const auto& h = by_kind_[k];
    if (std::all_of(h.counts.begin(), h.counts.end(), [](auto c) { return c == 0; })) continue;
    s.latency_kinds.emplace_back(name_of(static_cast<request_kind>(k)));
    s.latency_counts.insert(s.latency_counts.end(), h.counts.begin(), h.counts.end());
    s.latency_sum_us.push_back(h.sum_us);
  }
}

std::uint64_t latency_count(const node_stats& s, std::size_t k) {
  std::uint64_t n = 0;
  for (std::size_t b = 0; b < latency_buckets; ++b)
    n += s.latency_counts.at(k * latency_buckets + b);
  return n;
}

std::uint64_t latency_quantile_us(const node_stats& s, std::size_t k, double q) {
  const std::uint64_t n = latency_count(s, k);
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < latency_bounds_us.size(); ++b) {
    seen += s.latency_counts[k * latency_buckets + b];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return latency_bounds_us[b];
  }
  return 0;
}

}  // namespace remora::actors

#include "actors/node_metrics.hpp"

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>

#include "actors/request_latency.hpp"

#include <exception>
#include <limits>
#include <vector>

namespace remora::actors {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(const std::string& name, const std::string& help, MetricType type,
                    double value) {
  ClientMetric m;
  (type == MetricType::Counter ? m.counter.value : m.gauge.value) = value;
  return {name, help, type, {m}};
}

// The node's request latency histograms, one a kind of request seen.
MetricFamily latency_family(const node_stats& s) {
  MetricFamily f{"remora_request_duration_seconds",
                 "time the node took over control requests (its own work: allocating, finding, "
                 "bringing back from disk)",
                 MetricType::Histogram,
                 {}};
  for (std::size_t k = 0; k < s.latency_kinds.size(); ++k) {
    ClientMetric m;
    m.label = {{"request", s.latency_kinds[k]}};
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < latency_buckets; ++b) {
      seen += s.latency_counts.at(k * latency_buckets + b);
      m.histogram.bucket.push_back({seen, b < latency_bounds_us.size()
                                              ? double(latency_bounds_us[b]) / 1e6
                                              : std::numeric_limits<double>::infinity()});
    }
    m.histogram.sample_count = seen;
    m.histogram.sample_sum = s.latency_sum_us.at(k) / 1e6;
    f.metric.push_back(std::move(m));
  }
  return f;
}

// The node's figures, read at each scrape.
class stats_collectable final : public prometheus::Collectable {
 public:
  explicit stats_collectable(node_metrics::stats_source stats) : stats_(std::move(stats)) {}

  std::vector<MetricFamily> Collect() const override {
    const auto s = stats_();
    std::vector<MetricFamily> out;
    out.push_back(
        family("remora_up", "1 when the node answered this scrape", MetricType::Gauge, s ? 1 : 0));
    if (!s) return out;
    auto gauge = [&](const char* name, const char* help, double v) {
      out.push_back(family(name, help, MetricType::Gauge, v));
    };
    auto counter = [&](const char* name, const char* help, double v) {
      out.push_back(family(name, help, MetricType::Counter, v));
    };
    gauge("remora_capacity_bytes", "arena bytes before spilling", double(s->capacity));
    gauge("remora_used_bytes", "arena bytes held by objects", double(s->used));
    gauge("remora_objects", "live objects, resident or spilled", double(s->objects));
    gauge("remora_table_bytes", "the node's own memory for its objects (table), beside the arena",
          double(s->table_bytes));
    gauge("remora_spilled_objects", "objects on disk (RocksDB)", double(s->spilled_objects));
    gauge("remora_spilled_bytes", "bytes on disk (RocksDB)", double(s->spilled_bytes));
    counter("remora_spills_total", "objects moved to disk", double(s->spills));
    counter("remora_unspills_total", "objects brought back from disk", double(s->unspills));
    counter("remora_clean_spills_total",
            "spills that wrote nothing: the object's bytes were on disk already",
            double(s->clean_spills));
    counter("remora_room_waits_total",
            "allocations that waited for freed slots to leave their reuse delay",
            double(s->room_waits));
    counter("remora_requests_total", "control-plane requests handled", double(s->requests));
    counter("remora_request_errors_total", "requests refused", double(s->errors));
    counter("remora_bytes_served_total", "payload bytes of objects located for clients",
            double(s->bytes_served));
    gauge("remora_sessions", "clients connected", double(s->sessions));
    gauge("remora_leaving", "1 while the node is drained", s->leaving ? 1 : 0);
    counter("remora_leases_lapsed_total", "clients gone past the lease grace",
            double(s->leases_lapsed));
    counter("remora_objects_reclaimed_total", "objects of lapsed clients freed",
            double(s->objects_reclaimed));
    gauge("remora_published_arrays", "arrays published now", double(s->published));
    gauge("remora_connections", "control connections open (plain TCP)", double(s->connections));
    counter("remora_connections_refused_total", "connections closed as accepted: the cap",
            double(s->connections_refused));
    counter("remora_connections_expired_total", "connections closed: not admitted in time",
            double(s->connections_expired));
    counter("remora_connections_oversize_total",
            "connections closed: asked to read too much unadmitted",
            double(s->connections_oversize));
    counter("remora_connections_unknown_total",
            "connections closed: did not open with a token of the node's",
            double(s->connections_unknown));
    if (!s->tenant_names.empty()) {
      MetricFamily used{
          "remora_tenant_used_bytes", "payload bytes a tenant holds", MetricType::Gauge, {}};
      MetricFamily quota{"remora_tenant_quota_bytes", "a tenant's quota", MetricType::Gauge, {}};
      for (std::size_t t = 0; t < s->tenant_names.size(); ++t) {
        ClientMetric u, q;
        u.label = q.label = {{"tenant", s->tenant_names[t]}};
        u.gauge.value = double(s->tenant_used[t]);
        q.gauge.value = double(s->tenant_quota[t]);
        used.metric.push_back(u);
        quota.metric.push_back(q);
      }
      out.push_back(std::move(used));
      out.push_back(std::move(quota));
    }
    if (!s->latency_kinds.empty()) out.push_back(latency_family(*s));
    return out;
  }

 private:
  node_metrics::stats_source stats_;
};

}  // namespace

struct node_metrics::impl {
  std::shared_ptr<stats_collectable> figures;
  std::unique_ptr<prometheus::Exposer> exposer;  // last: stopped first
};

transport::result<std::unique_ptr<node_metrics>> node_metrics::start(const std::string& bind,
                                                                     std::uint16_t port,
                                                                     stats_source stats) {
  auto p = std::make_unique<impl>();
  p->figures = std::make_shared<stats_collectable>(std::move(stats));
  const std::string where = bind + ":" + std::to_string(port);
  try {
    p->exposer = std::make_unique<prometheus::Exposer>(where, 2);
  } catch (const std::exception& e) {
    return transport::error{transport::errc::io,
                            "metrics: cannot serve on " + where + ": " + e.what()};
  }
  p->exposer->RegisterCollectable(p->figures);
  return std::unique_ptr<node_metrics>(new node_metrics(std::move(p)));
}

node_metrics::node_metrics(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
node_metrics::~node_metrics() = default;

std::uint16_t node_metrics::port() const {
  const auto ports = impl_->exposer->GetListeningPorts();
  return ports.empty() ? 0 : static_cast<std::uint16_t>(ports.front());
}

}  // namespace remora::actors

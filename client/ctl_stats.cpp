#include "client/ctl_stats.hpp"

#include <algorithm>
#include <cstdio>

#include "actors/request_latency.hpp"
#include "transport/byte_size.hpp"

namespace remora::client {

namespace {

using transport::format_byte_size;

std::string percent(double fraction) {
  return std::to_string(static_cast<int>(fraction * 100 + 0.5)) + " %";
}

// "3d 4h", "2h 5m", "7m 12s", "42s".
std::string duration(std::uint64_t ms) {
  const std::uint64_t s = ms / 1000, m = s / 60, h = m / 60, d = h / 24;
  if (d > 0) return std::to_string(d) + "d " + std::to_string(h % 24) + "h";
  if (h > 0) return std::to_string(h) + "h " + std::to_string(m % 60) + "m";
  if (m > 0) return std::to_string(m) + "m " + std::to_string(s % 60) + "s";
  return std::to_string(s) + "s";
}

// The node's tenants as JSON objects, comma-separated.
std::string tenants_json(const actors::node_stats& s) {
  std::string out;
  for (std::size_t t = 0; t < s.tenant_names.size(); ++t)
    out += std::string(t == 0 ? "" : ", ") + "{\"name\": \"" + s.tenant_names[t] +
           "\", \"used\": " + std::to_string(s.tenant_used[t]) +
           ", \"quota\": " + std::to_string(s.tenant_quota[t]) + "}";
  return out;
}

// A bucket's upper bound in microseconds: "20 us", "5 ms", "1 s"; 0 is
// past the last bound.
std::string micros(std::uint64_t us) {
  if (us == 0) return "> 1 s";
  if (us >= 1000000) return std::to_string(us / 1000000) + " s";
  if (us >= 1000) return std::to_string(us / 1000) + " ms";
  return std::to_string(us) + " us";
}

// A bucket's upper bound, or null past the last.
std::string bound_json(std::uint64_t us) {
  return us == 0 ? "null" : std::to_string(us);
}

// The latency figures as JSON objects, comma-separated.
std::string latency_json(const actors::node_stats& s) {
  std::string out;
  for (std::size_t k = 0; k < s.latency_kinds.size(); ++k)
    out += std::string(k == 0 ? "" : ", ") + "{\"request\": \"" + s.latency_kinds[k] +
           "\", \"count\": " + std::to_string(actors::latency_count(s, k)) +
           ", \"p50_us\": " + bound_json(actors::latency_quantile_us(s, k, 0.5)) +
           ", \"p99_us\": " + bound_json(actors::latency_quantile_us(s, k, 0.99)) +
           ", \"mean_us\": " +
           std::to_string(s.latency_sum_us[k] / static_cast<double>(std::max<std::uint64_t>(
                                                    1, actors::latency_count(s, k)))) +
           "}";
  return out;
}

void section(const char* name) {
  std::printf("%s\n", name);
}

void row(const char* name, const std::string& value) {
  std::printf("  %-16s %s\n", name, value.c_str());
}

}  // namespace

void print_stats_table(const std::string& node, const actors::node_stats& s) {
  std::printf("memory node %s\n", node.c_str());
  section("server");
  row("version", s.version);
  row("pid", std::to_string(s.pid));
  row("uptime", duration(s.uptime_ms));
  section("memory");
  row("capacity", format_byte_size(s.capacity));
  row("used", format_byte_size(s.used) + " (" +
                  std::to_string(s.capacity ? 100 * s.used / s.capacity : 0) + " %)");
  row("watermarks",
      "spills from " + percent(s.high_watermark) + " down to " + percent(s.low_watermark));
  row("objects",
      std::to_string(s.objects) + " (their table: " + format_byte_size(s.table_bytes) +
          (s.objects ? ", " + std::to_string(s.table_bytes / s.objects) + " bytes an object"
                     : std::string()) +
          ")");
  section("spill (RocksDB)");
  row("spilled",
      std::to_string(s.spilled_objects) + " objects, " + format_byte_size(s.spilled_bytes));
  row("on disk", format_byte_size(s.spill_disk_bytes) + " (files and memtables)");
  row("spills", std::to_string(s.spills) + " out (" + std::to_string(s.clean_spills) +
                    " already on disk), " + std::to_string(s.unspills) + " back");
  row("waits for room", std::to_string(s.room_waits) + " (freed slots in their reuse delay)");
  section("clients");
  row("sessions", std::to_string(s.sessions) + (s.leaving ? " (draining)" : ""));
  for (std::size_t t = 0; t < s.tenant_names.size(); ++t)
    row(("tenant " + s.tenant_names[t]).c_str(),
        format_byte_size(s.tenant_used[t]) + " of " + format_byte_size(s.tenant_quota[t]));
  row("leases lapsed", std::to_string(s.leases_lapsed) + " clients, " +
                           std::to_string(s.objects_reclaimed) + " objects freed");
  row("connections",
      std::to_string(s.connections) + " open; closed: " + std::to_string(s.connections_refused) +
          " past the cap, " + std::to_string(s.connections_expired) + " not admitted in time, " +
          std::to_string(s.connections_oversize) + " over the unadmitted limit, " +
          std::to_string(s.connections_unknown) + " without a known token");
  section("traffic");
  row("requests", std::to_string(s.requests) + " (" + std::to_string(s.errors) + " refused)");
  row("bytes served", format_byte_size(s.bytes_served));
  section("sharing");
  row("published", std::to_string(s.published) + " arrays (" +
                       std::to_string(s.publications_held - s.published) +
                       " unpublished, still viewed)");
  if (s.latency_kinds.empty()) return;
  section("latency (the node's own time a request, at most)");
  for (std::size_t k = 0; k < s.latency_kinds.size(); ++k)
    row(s.latency_kinds[k].c_str(), std::to_string(actors::latency_count(s, k)) +
                                        " requests, p50 " +
                                        micros(actors::latency_quantile_us(s, k, 0.5)) + ", p99 " +
                                        micros(actors::latency_quantile_us(s, k, 0.99)));
}

void print_stats_json(const std::string& node, const actors::node_stats& s) {
  std::printf(
      "{\"node\": \"%s\", \"capacity\": %llu, \"used\": %llu, \"objects\": %llu, "
      "\"spilled_objects\": %llu, \"spilled_bytes\": %llu, \"spills\": %llu, \"unspills\": %llu, "
      "\"clean_spills\": %llu, \"room_waits\": %llu, \"requests\": %llu, \"errors\": %llu, "
      "\"bytes_served\": %llu, "
      "\"sessions\": %llu, \"table_bytes\": %llu, "
      "\"leaving\": %s, \"leases_lapsed\": %llu, \"objects_reclaimed\": %llu, "
      "\"published\": %llu, \"publications_held\": %llu, \"connections\": %llu, "
      "\"connections_refused\": %llu, \"connections_expired\": %llu, "
      "\"connections_oversize\": %llu, \"connections_unknown\": %llu, \"version\": \"%s\", "
      "\"pid\": %llu, "
      "\"uptime_ms\": %llu, \"high_watermark\": %.3f, \"low_watermark\": %.3f, "
      "\"spill_disk_bytes\": %llu, \"tenants\": [%s], \"latency\": [%s]}\n",
      node.c_str(), (unsigned long long)s.capacity, (unsigned long long)s.used,
      (unsigned long long)s.objects, (unsigned long long)s.spilled_objects,
      (unsigned long long)s.spilled_bytes, (unsigned long long)s.spills,
      (unsigned long long)s.unspills, (unsigned long long)s.clean_spills,
      (unsigned long long)s.room_waits, (unsigned long long)s.requests,
      (unsigned long long)s.errors, (unsigned long long)s.bytes_served,
      (unsigned long long)s.sessions, (unsigned long long)s.table_bytes,
      s.leaving ? "true" : "false", (unsigned long long)s.leases_lapsed,
      (unsigned long long)s.objects_reclaimed, (unsigned long long)s.published,
      (unsigned long long)s.publications_held, (unsigned long long)s.connections,
      (unsigned long long)s.connections_refused, (unsigned long long)s.connections_expired,
      (unsigned long long)s.connections_oversize, (unsigned long long)s.connections_unknown,
      s.version.c_str(), (unsigned long long)s.pid, (unsigned long long)s.uptime_ms,
      s.high_watermark, s.low_watermark, (unsigned long long)s.spill_disk_bytes,
      tenants_json(s).c_str(), latency_json(s).c_str());
}

}  // namespace remora::client

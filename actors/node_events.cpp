#include "actors/node_events.hpp"

#include <vector>

#include "transport/byte_size.hpp"

namespace remora::actors {

namespace {

std::string change(std::uint64_t before, std::uint64_t now) {
  return now >= before ? "+" + std::to_string(now - before) : "-" + std::to_string(before - now);
}

}  // namespace

std::optional<std::string> node_events::next(const node_stats& now) {
  const node_stats& before = last_;
  std::vector<std::string> info, warn;
  if (now.sessions != before.sessions)
    info.push_back(std::to_string(now.sessions) + " client(s) connected (" +
                   change(before.sessions, now.sessions) + ")");
  const std::uint64_t out = now.spills - before.spills, back = now.unspills - before.unspills;
  const std::string use =
      "use " + std::to_string(now.capacity ? 100 * now.used / now.capacity : 0) + " %";
  if (out > 0)
    info.push_back(std::string(spilling_ ? "spilling: " : "spilling started: ") +
                   std::to_string(out) + " object(s) out, " +
                   transport::format_byte_size(now.spilled_bytes) + " spilled, " + use);
  else if (spilling_)
    info.push_back("spilling stopped: " + std::to_string(now.spilled_objects) + " object(s), " +
                   transport::format_byte_size(now.spilled_bytes) + " spilled, " + use);
  spilling_ = out > 0;
  if (back > 0) info.push_back(std::to_string(back) + " object(s) back from disk");
  if (now.leaving && !before.leaving) info.push_back("draining: takes no new objects");
  if (now.errors > before.errors)
    warn.push_back(std::to_string(now.errors - before.errors) + " request(s) refused");
  if (now.leases_lapsed > before.leases_lapsed)
    warn.push_back(std::to_string(now.leases_lapsed - before.leases_lapsed) +
                   " client(s) gone past their lease, " +
                   std::to_string(now.objects_reclaimed - before.objects_reclaimed) +
                   " object(s) freed");
  const auto cut = [](const node_stats& s) {
    return s.connections_refused + s.connections_expired + s.connections_oversize +
           s.connections_unknown;
  };
  if (cut(now) > cut(before))
    warn.push_back(
        std::to_string(cut(now) - cut(before)) + " connection(s) closed before admission (" +
        change(before.connections_refused, now.connections_refused) + " past --max-connections, " +
        change(before.connections_expired, now.connections_expired) +
        " past --handshake-timeout, " +
        change(before.connections_oversize, now.connections_oversize) +
        " asked to read too much, " + change(before.connections_unknown, now.connections_unknown) +
        " without a known token)");
  last_ = now;
  if (info.empty() && warn.empty()) return std::nullopt;
  std::string line = warn.empty() ? "info:" : "warn:";
  bool first = true;
  for (const auto* list : {&warn, &info})
    for (const auto& what : *list) {
      line += (first ? " " : "; ") + what;
      first = false;
    }
  return line;
}

}  // namespace remora::actors

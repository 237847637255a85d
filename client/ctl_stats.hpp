// ctl_stats: how remora-ctl stats prints a node's figures: a table in
// sections (server, memory, spill, clients, traffic, sharing, latency), or one JSON
// object a line.
#pragma once

#include <string>

#include "actors/node_stats.hpp"

namespace remora::client {

void print_stats_table(const std::string& node, const actors::node_stats& s);
void print_stats_json(const std::string& node, const actors::node_stats& s);

}  // namespace remora::client

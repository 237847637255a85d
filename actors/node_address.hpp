// node_address: where a memory node's control plane listens, HOST:PORT, as
// users write it (Options::memory_node, --peers, etcd's member records).
//
// Thread-safety: a value.
#pragma once

#include <cstdint>
#include <string>

#include "transport/result.hpp"

namespace remora::actors {

struct node_address {
  std::string host;
  std::uint16_t port = 0;
  /// "host:port" -> address; errc::invalid_argument otherwise.
  static transport::result<node_address> parse(const std::string& text);
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

}  // namespace remora::actors

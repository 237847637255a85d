// What the drivers that talk to one running memory node share: a client of
// the node at "HOST:PORT", or the run ends (bench::fail) saying why.
#pragma once

#include <memory>
#include <string>

#include "actors/node_client.hpp"
#include "bench/driver.hpp"

namespace remora::bench {

inline std::unique_ptr<actors::node_client> connect_node(actors::control_plane& cp,
                                                         const std::string& node,
                                                         const std::string& auth_token) {
  auto address = actors::node_address::parse(node);
  if (!address) fail(address.err().message);
  actors::node_client::options o;
  o.address = *address;
  o.auth_token = auth_token;
  auto client = actors::node_client::connect(cp, o);
  if (!client) fail(client.err().message);
  return std::move(client).value();
}

}  // namespace remora::bench

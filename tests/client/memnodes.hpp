// What the client tests against real remora-memnode processes share: the
// address of a started node, and an object big enough that a few hundred
// thousand of them overflow a 4 MiB cache.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "tests/support/child_process.hpp"

namespace remora::testing {

/// Waits for `p` (a remora-memnode with --port=0) to listen; its address.
inline std::string start_node(child_process& p) {
  auto line = p.wait_for_line("listening on", std::chrono::seconds(30));
  REQUIRE(line.has_value());
  return "127.0.0.1:" + std::to_string(port_from_line(*line));
}

struct wide {
  std::uint64_t a, b, pad[30];
};

}  // namespace remora::testing

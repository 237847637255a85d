// A real remora-memnode process on 127.0.0.1 (a free port), and helpers to
// connect node_clients to it and to fill and check objects.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "actors/control_plane.hpp"
#include "actors/node_client.hpp"
#include "tests/support/child_process.hpp"
#include "transport/test_pattern.hpp"

namespace remora::testing {

struct memnode_process {
  explicit memnode_process(std::vector<std::string> args) : process(command(std::move(args))) {
    auto line = process.wait_for_line("listening on", std::chrono::seconds(30));
    REQUIRE(line.has_value());
    port = static_cast<std::uint16_t>(port_from_line(*line));
    REQUIRE(port > 0);
  }

  static std::vector<std::string> command(std::vector<std::string> args) {
    std::vector<std::string> argv{REMORA_MEMNODE, "--port=0"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  actors::node_client::options client_options(std::string token = {}) const {
    actors::node_client::options o;
    o.address = {"127.0.0.1", port};
    o.auth_token = std::move(token);
    o.timeout = std::chrono::seconds(10);
    return o;
  }

  child_process process;
  std::uint16_t port = 0;
};

inline std::unique_ptr<actors::node_client> connect_client(actors::control_plane& cp,
                                                           const memnode_process& node,
                                                           std::string token = {}) {
  auto c = actors::node_client::connect(cp, node.client_options(std::move(token)));
  INFO((c ? std::string() : c.err().message));
  REQUIRE(c.ok());
  return std::move(c).value();
}

/// The bytes object `id` is filled with in these tests.
inline std::vector<std::byte> object_bytes(std::uint64_t id, std::uint32_t size) {
  std::vector<std::byte> b(size);
  transport::fill_test_pattern(id, 0, b);
  return b;
}

/// How many of the objects at `where` read back other bytes than
/// object_bytes() of their id, or of pattern[i] where a pattern is given
/// (each read must succeed).
inline std::size_t wrong_reads(actors::node_client& client,
                               std::span<storage::object_location> where,
                               std::span<const std::uint64_t> pattern = {}) {
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < where.size(); ++i) {
    auto& w = where[i];
    std::vector<std::byte> back(w.size);
    auto r = client.data().read(w, back);
    INFO((r ? "" : r.err().message));
    REQUIRE(r.ok());
    wrong += back != object_bytes(pattern.empty() ? w.id : pattern[i], w.size);
  }
  return wrong;
}

// Checks that `e` is the typed error `code` with a message saying why.
inline void require_error(const transport::error& e, transport::errc code) {
  INFO(e.message);
  CHECK(e.code == code);
  CHECK_FALSE(e.message.empty());
}

}  // namespace remora::testing

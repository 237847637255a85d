// serving_peer: a real remora-transport-demo process serving a region on
// 127.0.0.1, and this test process's UCX connection to it.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "transport/batch.hpp"
#include "transport/bootstrap.hpp"
#include "transport/test_pattern.hpp"

namespace remora::testing {

inline constexpr std::uint64_t peer_seed = 5;

struct serving_peer {
  explicit serving_peer(std::uint64_t size, std::vector<std::string> extra = {})
      : process(command(size, std::move(extra))) {
    auto line = process.wait_for_line("listening on", std::chrono::seconds(20));
    REQUIRE(line.has_value());
    port = static_cast<std::uint16_t>(port_from_line(*line));
    auto s = transport::tcp_stream::connect("127.0.0.1", port, transport::after(std::chrono::seconds(5)));
    REQUIRE(s.ok());
    stream.emplace(std::move(s).value());
    auto h = transport::receive_hello(*stream, transport::after(std::chrono::seconds(5)));
    REQUIRE(h.ok());
    greeting = std::move(h).value();
    auto u = transport::local_ucx::open();
    REQUIRE(u.ok());
    ucx = std::move(u).value();
    auto e = ucx.worker->connect(greeting.address);
    REQUIRE(e.ok());
    ep.emplace(std::move(e).value());
    auto r = transport::remote_region::unpack(*ep, greeting.key);
    REQUIRE(r.ok());
    remote.emplace(std::move(r).value());
  }

  ~serving_peer() {
    remote.reset();
    if (ep) ep->close(transport::after(std::chrono::seconds(1)));
  }

  static std::vector<std::string> command(std::uint64_t size, std::vector<std::string> extra) {
    std::vector<std::string> argv{REMORA_TRANSPORT_DEMO, "--serve", "--port=0",
                                  "--size=" + std::to_string(size),
                                  "--seed=" + std::to_string(peer_seed)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  child_process process;
  std::uint16_t port = 0;
  std::optional<transport::tcp_stream> stream;
  transport::hello greeting;
  transport::local_ucx ucx;
  std::optional<transport::endpoint> ep;
  std::optional<transport::remote_region> remote;
};

/// The index of the first byte of `got` that differs from the peer's pattern
/// at `offset`, or -1 when all match.
inline long long first_mismatch(std::span<const std::byte> got, std::uint64_t offset,
                                std::uint64_t seed = peer_seed) {
  for (std::size_t i = 0; i < got.size(); ++i)
    if (got[i] != transport::test_pattern(seed, offset + i)) return static_cast<long long>(i);
  return -1;
}

}  // namespace remora::testing

// Raw TCP peers of a memory node for the tests of what an unauthenticated
// peer can make a node do: connect, see whether the node closed the
// connection, and how much memory the node's process holds.
#pragma once

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "actors/node_client.hpp"

namespace remora::testing {

/// VmRSS of process `pid`, in bytes.
inline std::uint64_t resident_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

/// A TCP connection to `where` (HOST:PORT on loopback).
inline int connect_to(const std::string& where) {
  const auto address = *actors::node_address::parse(where);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(address.port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  return fd;
}

/// Whether the node closed `fd` within `timeout` (what it sent first, its
/// side of a handshake, is read and dropped).
inline bool closed_within(int fd, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    if (::recv(fd, buf, sizeof buf, 0) <= 0) return true;
  }
}

/// With `cap` connections held open at the node at `where`, one more is
/// closed at once and the held ones are not; then all are closed, and the
/// node has had half a second to see it.
inline void check_connection_cap(const std::string& where, int cap) {
  std::vector<int> held;
  for (int i = 0; i < cap; ++i) held.push_back(connect_to(where));
  const int one_more = connect_to(where);
  CHECK(closed_within(one_more, std::chrono::seconds(5)));
  for (int fd : held) CHECK_FALSE(closed_within(fd, std::chrono::milliseconds(100)));
  ::close(one_more);
  for (int fd : held) ::close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

}  // namespace remora::testing

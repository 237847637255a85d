// unused_port: a loopback TCP port nobody holds now, for a test that starts a
// server needing a port number up front (etcd). It is drawn below the
// kernel's ephemeral range: a port the kernel handed out for binding to
// port 0 may be taken as the local end of any outgoing connection before
// the server binds it, which a port below the range never is.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <stdexcept>

namespace remora::testing {

/// Binds a loopback TCP socket to `port` (0: any) and closes it; the port
/// bound, or 0 when it was taken.
inline std::uint16_t bind_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("unused_port: cannot make a socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  return ok ? ntohs(a.sin_port) : 0;
}

inline std::uint16_t unused_port() {
  unsigned low = 0;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
  if (low > 11024) {
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<unsigned> below(10000, low - 1);
    for (int tries = 0; tries < 100; ++tries)
      if (const std::uint16_t port = bind_loopback(static_cast<std::uint16_t>(below(rng))))
        return port;
  }
  // An unusual range, or nothing free below it: whatever the kernel gives.
  if (const std::uint16_t port = bind_loopback(0)) return port;
  throw std::runtime_error("unused_port: cannot bind a loopback socket");
}

}  // namespace remora::testing

// bootstrap: the plain TCP exchange that introduces two processes before UCX
// can connect them. A serving process listens; a client connects and receives
// a `hello` (the server's sealed worker address and region key) as
// length-prefixed frames. The connection then stays open as a liveness
// channel: its closing is the client's goodbye.
//
// Frame: u32 little-endian payload length, then the payload.
// Thread-safety: one stream, one thread.
#pragma once

#include <cstdint>
#include <string>

#include "transport/blob.hpp"
#include "transport/deadline.hpp"
#include "transport/result.hpp"

namespace remora::transport {

class tcp_stream {
 public:
  static result<tcp_stream> connect(const std::string& host, std::uint16_t port, deadline until);
  explicit tcp_stream(int fd) : fd_(fd) {}
  tcp_stream(tcp_stream&& other) noexcept;
  tcp_stream& operator=(tcp_stream&& other) noexcept;
  ~tcp_stream();

  result<void> send_frame(std::span<const std::byte> payload, deadline until);
  /// Errors: peer_unreachable when the peer closed, protocol for a frame over
  /// `max_size`, timeout.
  result<bytes> receive_frame(deadline until, std::size_t max_size = 1 << 20);

  int fd() const { return fd_; }

 private:
  int fd_;
};

class tcp_listener {
 public:
  /// Listens on host:port; port 0 picks a free one (see port()).
  static result<tcp_listener> open(const std::string& host, std::uint16_t port);
  tcp_listener(tcp_listener&& other) noexcept;
  ~tcp_listener();

  std::uint16_t port() const { return port_; }
  /// Errors: timeout when nobody connected before `until`.
  result<tcp_stream> accept(deadline until);

 private:
  tcp_listener(int fd, std::uint16_t port) : fd_(fd), port_(port) {}
  int fd_;
  std::uint16_t port_;
};

/// What a serving process tells each client that connects.
struct hello {
  bytes address;  // sealed worker address
  bytes key;      // sealed remote key of the exposed region
};

result<void> send_hello(tcp_stream& stream, const hello& h, deadline until);
result<hello> receive_hello(tcp_stream& stream, deadline until);

}  // namespace remora::transport

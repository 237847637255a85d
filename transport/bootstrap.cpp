#include "transport/bootstrap.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace remora::transport {

namespace {

error os_error(errc code, const std::string& what) {
  return error{code, what + ": " + std::strerror(errno)};
}

// Waits until `fd` is ready for `events`; errc::timeout at the deadline.
result<void> wait_ready(int fd, short events, deadline until, const char* what) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, millis_left(until));
    if (n > 0) return {};
    if (n == 0) return error{errc::timeout, std::string(what) + ": timed out"};
    if (errno != EINTR) return os_error(errc::io, what);
  }
}

result<sockaddr_in> resolve(const std::string& host, std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) == 1) return addr;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr)
    return error{errc::peer_unreachable, "cannot resolve host '" + host + "'"};
  addr.sin_addr = reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr;
  ::freeaddrinfo(found);
  return addr;
}

}  // namespace

result<tcp_stream> tcp_stream::connect(const std::string& host, std::uint16_t port,
                                       deadline until) {
  auto addr = resolve(host, port);
  if (!addr) return addr.err();
  const std::string where = host + ":" + std::to_string(port);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return os_error(errc::io, "socket");
  tcp_stream stream(fd);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&*addr), sizeof *addr) != 0) {
    if (errno != EINPROGRESS) return os_error(errc::peer_unreachable, "connecting to " + where);
    if (auto r = wait_ready(fd, POLLOUT, until, "connecting"); !r)
      return error{r.err().code, "connecting to " + where + ": " + r.err().message};
    int so_error = 0;
    socklen_t len = sizeof so_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0)
      return error{errc::peer_unreachable,
                   "connecting to " + where + ": " + std::strerror(so_error)};
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return stream;
}

tcp_stream::tcp_stream(tcp_stream&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

tcp_stream& tcp_stream::operator=(tcp_stream&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

tcp_stream::~tcp_stream() {
  if (fd_ >= 0) ::close(fd_);
}

result<void> tcp_stream::send_frame(std::span<const std::byte> payload, deadline until) {
  const auto length = static_cast<std::uint32_t>(payload.size());
  bytes frame(4 + payload.size());
  std::memcpy(frame.data(), &length, 4);
  if (!payload.empty()) std::memcpy(frame.data() + 4, payload.data(), payload.size());
  std::size_t sent = 0;
  while (sent < frame.size()) {
    if (auto r = wait_ready(fd_, POLLOUT, until, "sending a frame"); !r) return r;
    ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return os_error(errc::peer_unreachable, "sending a frame");
    }
    sent += static_cast<std::size_t>(n);
  }
  return {};
}

namespace {

result<void> receive_exact(int fd, std::byte* into, std::size_t size, deadline until) {
  std::size_t got = 0;
  while (got < size) {
    if (auto r = wait_ready(fd, POLLIN, until, "receiving a frame"); !r) return r;
    ssize_t n = ::recv(fd, into + got, size - got, 0);
    if (n == 0) return error{errc::peer_unreachable, "the peer closed the connection"};
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return os_error(errc::peer_unreachable, "receiving a frame");
    }
    got += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

result<bytes> tcp_stream::receive_frame(deadline until, std::size_t max_size) {
  std::uint32_t length = 0;
  if (auto r = receive_exact(fd_, reinterpret_cast<std::byte*>(&length), 4, until); !r)
    return r.err();
  if (length > max_size)
    return error{errc::protocol, "frame of " + std::to_string(length) +
                                     " bytes exceeds the limit of " + std::to_string(max_size)};
  bytes payload(length);
  if (auto r = receive_exact(fd_, payload.data(), length, until); !r) return r.err();
  return payload;
}

result<tcp_listener> tcp_listener::open(const std::string& host, std::uint16_t port) {
  auto addr = resolve(host, port);
  if (!addr) return addr.err();
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return os_error(errc::io, "socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const std::string where = host + ":" + std::to_string(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&*addr), sizeof *addr) != 0 || ::listen(fd, 64) != 0) {
    auto e = os_error(errc::io, "listening on " + where);
    ::close(fd);
    return e;
  }
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  return tcp_listener(fd, ntohs(bound.sin_port));
}

tcp_listener::tcp_listener(tcp_listener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}

tcp_listener::~tcp_listener() {
  if (fd_ >= 0) ::close(fd_);
}

result<tcp_stream> tcp_listener::accept(deadline until) {
  for (;;) {
    if (auto r = wait_ready(fd_, POLLIN, until, "waiting for a client"); !r) return r.err();
    int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return tcp_stream(fd);
    }
    if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
      return os_error(errc::io, "accepting a client");
  }
}

result<void> send_hello(tcp_stream& stream, const hello& h, deadline until) {
  if (auto r = stream.send_frame(h.address, until); !r) return r;
  return stream.send_frame(h.key, until);
}

result<hello> receive_hello(tcp_stream& stream, deadline until) {
  auto address = stream.receive_frame(until, 64 * 1024);
  if (!address) return address.err();
  auto key = stream.receive_frame(until, 64 * 1024);
  if (!key) return key.err();
  return hello{std::move(address).value(), std::move(key).value()};
}

}  // namespace remora::transport

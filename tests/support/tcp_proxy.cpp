#include "tests/support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace remora::testing {

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

tcp_proxy::tcp_proxy(std::uint16_t to_port) : to_port_(to_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  auto a = loopback(0);
  socklen_t len = sizeof a;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0 || ::pipe(wake_) != 0)
    throw std::runtime_error("tcp_proxy: cannot listen on 127.0.0.1");
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { loop(); });
}

tcp_proxy::~tcp_proxy() {
  stop_ = true;
  (void)!::write(wake_[1], "x", 1);
  thread_.join();
  cut();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::size_t tcp_proxy::cut() {
  std::lock_guard held(mutex_);
  const std::size_t n = pairs_.size();
  for (auto [c, s] : pairs_) {
    ::shutdown(c, SHUT_RDWR);
    ::shutdown(s, SHUT_RDWR);
    ::close(c);
    ::close(s);
  }
  pairs_.clear();
  (void)!::write(wake_[1], "x", 1);
  return n;
}

void tcp_proxy::loop() {
  char buffer[64 << 10];
  while (!stop_) {
    std::vector<pollfd> fds{{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    std::vector<std::pair<int, int>> pairs;
    {
      std::lock_guard held(mutex_);
      pairs = pairs_;
    }
    for (auto [c, s] : pairs) {
      fds.push_back({c, POLLIN, 0});
      fds.push_back({s, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
    if (fds[1].revents != 0) {
      char drain[64];
      (void)!::read(wake_[0], drain, sizeof drain);
      continue;  // the set of connections may have changed
    }
    if (fds[0].revents & POLLIN) {
      const int c = ::accept(listener_, nullptr, nullptr);
      const int s = ::socket(AF_INET, SOCK_STREAM, 0);
      auto a = loopback(to_port_);
      if (c >= 0 && s >= 0 && ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        const int one = 1;  // forward each piece at once, as the ends sent it
        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::lock_guard held(mutex_);
        pairs_.emplace_back(c, s);
        ++accepted_;
      } else {
        if (c >= 0) ::close(c);
        if (s >= 0) ::close(s);
      }
      continue;
    }
    std::lock_guard held(mutex_);  // cut() may not close what is being forwarded
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      const auto& pair = pairs[(i - 2) / 2];
      const int from = fds[i].fd, to = from == pair.first ? pair.second : pair.first;
      if (std::find(pairs_.begin(), pairs_.end(), pair) == pairs_.end()) continue;  // cut
      const ssize_t got = ::read(from, buffer, sizeof buffer);
      bool closed = got <= 0;
      for (ssize_t sent = 0; !closed && sent < got;) {
        const ssize_t n = ::send(to, buffer + sent, got - sent, MSG_NOSIGNAL);
        if (n <= 0) closed = true;
        sent += n;
      }
      if (closed) {  // one end hung up: so does the other
        ::close(pair.first);
        ::close(pair.second);
        std::erase(pairs_, pair);
        break;  // fds are stale now
      }
    }
  }
}

}  // namespace remora::testing

// tcp_proxy: a TCP forwarder on 127.0.0.1 for tests that cut a connection
// without killing either end (as a failed switch or a firewall would). Every
// connection it accepts is forwarded to `to_port`; cut() closes all of them
// at once, and new ones are forwarded again.
//
// Thread-safety: cut() and connections() from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace remora::testing {

class tcp_proxy {
 public:
  explicit tcp_proxy(std::uint16_t to_port);
  ~tcp_proxy();  // closes everything
  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  std::uint16_t port() const { return port_; }
  /// Closes every forwarded connection (both sides); how many there were.
  std::size_t cut();
  /// Connections accepted so far.
  std::size_t accepted() const { return accepted_.load(); }

 private:
  void loop();

  const std::uint16_t to_port_;
  int listener_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: cut() and the destructor wake the loop
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> accepted_{0};
  std::mutex mutex_;
  std::vector<std::pair<int, int>> pairs_;  // GUARDED_BY(mutex_): client, server
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace remora::testing

// forced_transports: UCX_TLS set for this process, and the peers it starts,
// while the object lives (UCX reads it when a context is made); the value
// before comes back after.
#pragma once

#include <cstdlib>
#include <string>

namespace remora::testing {

class forced_transports {
 public:
  explicit forced_transports(const char* tls) {
    if (const char* old = std::getenv("UCX_TLS"); old != nullptr) saved_ = old;
    ::setenv("UCX_TLS", tls, 1);
  }
  ~forced_transports() {
    if (saved_.empty())
      ::unsetenv("UCX_TLS");
    else
      ::setenv("UCX_TLS", saved_.c_str(), 1);
  }
  forced_transports(const forced_transports&) = delete;
  forced_transports& operator=(const forced_transports&) = delete;

 private:
  std::string saved_;
};

}  // namespace remora::testing

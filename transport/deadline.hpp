// Deadlines: every wait in Remora is bounded. A deadline is a point on the
// steady clock; helpers build one from a duration.
#pragma once

#include <chrono>

namespace remora::transport {

using clock = std::chrono::steady_clock;
using deadline = clock::time_point;

inline deadline after(clock::duration d) {
  return clock::now() + d;
}
inline bool expired(deadline d) {
  return clock::now() >= d;
}

/// Milliseconds left until `d`, never negative.
inline int millis_left(deadline d) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(d - clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace remora::transport

// eventually: polls a condition for a bounded time, for tests that wait on
// a background thread's work without depending on how fast it runs.
#pragma once

#include <chrono>
#include <thread>

namespace remora::testing {

/// Polls `done` every millisecond for up to `limit`; its last answer.
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  for (auto until = std::chrono::steady_clock::now() + limit;
       std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(std::chrono::milliseconds(1)))
    if (done()) return true;
  return done();
}

}  // namespace remora::testing

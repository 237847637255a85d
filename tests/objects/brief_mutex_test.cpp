// brief_mutex: mutual exclusion through its spinning and its sleeping
// paths, try_lock, and a holder that takes it batch after batch while
// others wait.
#include "objects/brief_mutex.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/support/eventually.hpp"

using namespace std::chrono_literals;
using remora::objects::brief_mutex;
using remora::testing::eventually;

TEST_CASE("brief_mutex: threads taking it at once each get it alone", "[brief_mutex]") {
  brief_mutex m;
  std::uint64_t count = 0;  // guarded by m: a lost update shows as a short count
  int inside = 0;
  bool overlapped = false;
  constexpr int threads = 4, rounds = 20'000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        if (t == 0 && i % 64 == 0) m.yield_to_waiters();  // a batch holder's way in
        std::lock_guard lock(m);
        overlapped |= ++inside != 1;
        ++count;
        --inside;
      }
    });
  for (auto& w : workers) w.join();
  CHECK_FALSE(overlapped);
  CHECK(count == std::uint64_t{threads} * rounds);
}

TEST_CASE("brief_mutex: a waiter past its spins sleeps and is woken by the unlock",
          "[brief_mutex]") {
  brief_mutex m;
  m.lock();
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    std::lock_guard lock(m);
    got = true;
  });
  // Held far longer than a waiter spins (about 20 us): it must sleep.
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(got.load());
  CHECK_FALSE(m.try_lock());
  m.unlock();
  CHECK(eventually([&] { return got.load(); }));
  waiter.join();
  CHECK(m.try_lock());
  m.unlock();
}

TEST_CASE("brief_mutex: a holder taking it batch after batch lets a waiter in", "[brief_mutex]") {
  brief_mutex m;
  std::atomic<bool> stop{false}, got{false};
  std::atomic<std::uint64_t> batches{0}, work{0};
  std::thread holder([&] {
    while (!stop.load()) {
      m.yield_to_waiters();
      std::lock_guard lock(m);
      batches.fetch_add(1);
      // A batch's work: the lock is free only between batches.
      for (std::uint64_t k = 0; k < 2000; k = k + 1 + work.load(std::memory_order_relaxed)) {
      }
    }
  });
  CHECK(eventually([&] { return batches.load() > 100; }));  // the holder is at it
  std::thread waiter([&] {
    for (int i = 0; i < 1000; ++i) {
      std::lock_guard lock(m);
    }
    got = true;
  });
  const bool waiter_done = eventually([&] { return got.load(); });
  stop = true;
  holder.join();
  waiter.join();
  CHECK(waiter_done);
}

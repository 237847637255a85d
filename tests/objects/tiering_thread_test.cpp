// The tiering thread runs rounds while there is pressure, when nudged, and
// housekeeping on its own; it stops cleanly.
#include "objects/tiering_thread.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/support/eventually.hpp"

using namespace std::chrono_literals;
using remora::objects::tiering_thread;
using remora::testing::eventually;

TEST_CASE("pressure is evacuated round by round until it is gone", "[tiering]") {
  std::atomic<int> pressure{0}, rounds{0}, housekeeping{0};
  tiering_thread t({[&] { return pressure.load() > 0; },
                    [&] {
                      rounds.fetch_add(1);
                      return static_cast<std::size_t>(pressure.fetch_sub(1) > 0);
                    },
                    [&] { housekeeping.fetch_add(1); }});
  pressure = 5;
  t.nudge();
  REQUIRE(eventually([&] { return pressure.load() == 0; }));
  CHECK(rounds.load() >= 5);
  CHECK(eventually([&] { return housekeeping.load() >= 2; }));  // also without nudges
}

TEST_CASE("a round that moves nothing ends the burst, a later nudge starts another", "[tiering]") {
  std::atomic<bool> stuck{true};
  std::atomic<int> rounds{0};
  tiering_thread t({[&] { return stuck.load(); },
                    [&] {
                      rounds.fetch_add(1);
                      return std::size_t{0};
                    },
                    [] {}});
  REQUIRE(eventually([&] { return rounds.load() >= 1; }));  // the tick sees the pressure
  stuck = false;
  const int seen = rounds.load();
  std::this_thread::sleep_for(50ms);
  CHECK(rounds.load() <= seen + 1);  // no pressure: no more rounds
}

TEST_CASE("destroying the thread while rounds run joins it", "[tiering]") {
  std::atomic<int> rounds{0};
  {
    tiering_thread t({[] { return true; },
                      [&] {
                        rounds.fetch_add(1);
                        std::this_thread::sleep_for(1ms);
                        return std::size_t{1};
                      },
                      [] {}});
    t.nudge();
    REQUIRE(eventually([&] { return rounds.load() > 0; }));
  }
  const int after = rounds.load();
  std::this_thread::sleep_for(20ms);
  CHECK(rounds.load() == after);
}

// request_latency: requests land in the bucket of their time; the node's
// figures carry the kinds seen, their counts and quantiles.
#include <catch2/catch.hpp>

#include <thread>

#include "actors/request_latency.hpp"

using namespace std::chrono_literals;
using remora::actors::latency_bounds_us;
using remora::actors::latency_buckets;
using remora::actors::node_stats;
using remora::actors::request_kind;
using remora::actors::request_latency;

TEST_CASE("request latencies land in the bucket of their time, by kind", "[latency]") {
  request_latency latency;
  for (int i = 0; i < 98; ++i) latency.record(request_kind::lookup, 3us);  // (2, 5] us
  latency.record(request_kind::lookup, 1500us);                            // (1, 2] ms
  latency.record(request_kind::lookup, 2s);                                // past 1 s
  latency.record(request_kind::alloc, 1us);                                // [0, 1] us

  node_stats s;
  latency.report(s);
  REQUIRE(s.latency_kinds == std::vector<std::string>{"alloc", "lookup"});  // kinds seen only
  REQUIRE(s.latency_counts.size() == 2 * latency_buckets);
  REQUIRE(s.latency_sum_us.size() == 2);
  CHECK(s.latency_counts[0] == 1);                        // alloc, first bucket
  CHECK(s.latency_counts[latency_buckets + 2] == 98);     // lookup, (2, 5] us
  CHECK(s.latency_counts[2 * latency_buckets - 1] == 1);  // lookup, past the last bound
  CHECK(remora::actors::latency_count(s, 1) == 100);
  CHECK(s.latency_sum_us[1] == Approx(98 * 3 + 1500 + 2e6));

  CHECK(remora::actors::latency_quantile_us(s, 1, 0.5) == 5);
  CHECK(remora::actors::latency_quantile_us(s, 1, 0.99) == 2000);
  CHECK(remora::actors::latency_quantile_us(s, 1, 1.0) == 0);  // past the last bound
  CHECK(remora::actors::latency_quantile_us(s, 0, 0.5) == 1);
}

TEST_CASE("a timer records the time from its start to its end", "[latency]") {
  request_latency latency;
  {
    const auto timed = latency.time(request_kind::blob_put);
    std::this_thread::sleep_for(2ms);
  }
  node_stats s;
  latency.report(s);
  REQUIRE(s.latency_kinds == std::vector<std::string>{"blob_put"});
  CHECK(remora::actors::latency_count(s, 0) == 1);
  CHECK(s.latency_sum_us[0] >= 2000);
  CHECK(remora::actors::latency_quantile_us(s, 0, 0.5) >= 2000);
}

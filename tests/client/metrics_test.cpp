// remora-memnode --metrics=PORT: Prometheus text at /metrics, scraped while
// two tenants' clients hold objects on the node.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/http_get.hpp"

using namespace std::chrono_literals;
using remora::testing::child_process;

namespace {

// The value of the sample `name` (with its labels) in Prometheus text, or -1.
double sample(const std::string& text, const std::string& name) {
  const auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("remora-memnode --metrics serves the node's figures as Prometheus text",
          "[client][metrics]") {
  const auto file = std::filesystem::temp_directory_path() /
                    ("remora-metrics-tenants-" + std::to_string(::getpid()));
  std::ofstream(file) << "a token-a 16MiB\nb token-b 16MiB\n";
  remora::Options options;
  auto nodes =
      remora::testing::start_nodes(1, options, {"--tenants=" + file.string(), "--metrics=0"});
  std::filesystem::remove(file);
  auto line = nodes[0]->wait_for_line("metrics on", 30s);
  REQUIRE(line.has_value());
  const auto port = static_cast<std::uint16_t>(std::stoul(line->substr(line->rfind(':') + 1)));

  remora::Runtime a(remora::testing::as_tenant(options, "a"));
  auto array = a.make_array<std::uint64_t>(1 << 20);  // 8 MiB: half the cache's worth goes home
  for (std::size_t i = 0; i < array.size(); i += 512) array.write(i, i);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < array.size(); i += 512) sum += array.read(i);
  CHECK(sum > 0);

  const auto text = remora::testing::http_get(port, "/metrics");
  REQUIRE(text.has_value());
  CHECK(sample(*text, "remora_up") == 1);
  CHECK(sample(*text, "remora_capacity_bytes") == 128.0 * (1 << 20));
  CHECK(sample(*text, "remora_objects") > 0);
  // Their table: at least 32 bytes an object (an entry and its id).
  CHECK(sample(*text, "remora_table_bytes") >= 32 * sample(*text, "remora_objects"));
  CHECK(sample(*text, "remora_sessions") >= 1);
  CHECK(sample(*text, "remora_requests_total") > 0);
  CHECK(sample(*text, "remora_tenant_used_bytes{tenant=\"a\"}") > 0);
  CHECK(sample(*text, "remora_tenant_used_bytes{tenant=\"b\"}") == 0);
  CHECK(sample(*text, "remora_tenant_quota_bytes{tenant=\"b\"}") == 16.0 * (1 << 20));
  CHECK(text->find("# TYPE remora_requests_total counter") != std::string::npos);
  // The node's time over the client's requests, as histograms by kind.
  CHECK(text->find("# TYPE remora_request_duration_seconds histogram") != std::string::npos);
  const double allocs = sample(*text, "remora_request_duration_seconds_count{request=\"alloc\"}");
  CHECK(allocs > 0);
  CHECK(sample(*text, "remora_request_duration_seconds_bucket{request=\"alloc\",le=\"+Inf\"}") ==
        allocs);
  CHECK(sample(*text, "remora_request_duration_seconds_count{request=\"hello\"}") >= 1);
  CHECK(sample(*text, "remora_request_duration_seconds_sum{request=\"alloc\"}") > 0);
  CHECK_FALSE(remora::testing::http_get(port, "/nothing-here").has_value());
}

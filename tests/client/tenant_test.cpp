// Tenants (remora-memnode --tenants=FILE) against a real node: a client is
// the tenant whose token it gives; a tenant past its quota gets OutOfMemory,
// naming the quota, while another goes on; remora-ctl shows each one's use.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/child_process.hpp"

using namespace std::chrono_literals;
using remora::testing::child_process;

namespace {

struct kib {
  std::uint64_t words[128];
};

}  // namespace

TEST_CASE("a tenant past its quota gets OutOfMemory while another goes on", "[client][tenant]") {
  const auto file =
      std::filesystem::temp_directory_path() / ("remora-tenants-" + std::to_string(::getpid()));
  std::ofstream(file) << "# name token quota\na token-a 24MiB\nb token-b 24MiB\n";
  remora::Options options;
  auto nodes = remora::testing::start_nodes(1, options, {"--tenants=" + file.string()});
  std::filesystem::remove(file);
  const std::string where = options.memory_nodes()[0];
  // No token, or one of nobody's: refused.
  CHECK_THROWS_AS(remora::Runtime(remora::Options(options)), remora::AuthError);
  CHECK_THROWS_AS(remora::Runtime(remora::Options(options).auth_token("token-c")),
                  remora::AuthError);

  remora::Runtime a(remora::Options(options).auth_token("token-a").dram_cache(4 << 20).timeout(2s));
  remora::Runtime b(remora::Options(options).auth_token("token-b").dram_cache(4 << 20));
  // a fills its quota (24 MiB of 1 KiB objects, and more)...
  std::vector<remora::UniquePtr<kib>> mine;
  std::string refusal;
  try {
    for (std::uint64_t i = 0; i < 40'000; ++i) mine.push_back(a.make_unique<kib>(kib{{i}}));
  } catch (const remora::OutOfMemory& e) {
    refusal = e.what();
  }
  CHECK(refusal.find("quota of 24.0 MiB") != std::string::npos);
  CHECK(mine.size() < 40'000);
  // ...and what it has still reads back.
  std::uint64_t wrong = 0;
  for (std::uint64_t i = 0; i < mine.size(); ++i) wrong += mine[i].read().words[0] != i;
  CHECK(wrong == 0);
  // b writes and reads 12 MiB as if a were not there.
  std::vector<remora::UniquePtr<kib>> theirs;
  for (std::uint64_t i = 0; i < 12 * 1024; ++i) theirs.push_back(b.make_unique<kib>(kib{{i}}));
  for (std::uint64_t i = 0; i < theirs.size(); ++i) wrong += theirs[i].read().words[0] != i;
  CHECK(wrong == 0);
  // remora-ctl shows each tenant's use.
  child_process ctl({REMORA_CTL, "stats", where, "--auth-token=token-b"});
  auto line = ctl.wait_for_line("tenant a", 20s);
  REQUIRE(line.has_value());
  CHECK(line->find("of 24.0 MiB") != std::string::npos);
  CHECK(ctl.wait_exit(10s) == 0);
}

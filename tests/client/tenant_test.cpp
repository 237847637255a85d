// Tenants (remora-memnode --tenants=FILE) against a real node: a client is
// the tenant whose token it gives; a tenant past its quota gets OutOfMemory,
// naming the quota, while another goes on; remora-ctl shows each one's use;
// a tenant's remote key reaches its own region and nothing else, whatever a
// client does with raw UCX gets.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "actors/node_client.hpp"
#include "remora/remora.hpp"
#include "storage/slot.hpp"
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
  remora::Options options;
  auto nodes = remora::testing::start_tenant_node(options);
  const std::string where = options.memory_nodes()[0];
  // No token, or one of nobody's: refused.
  CHECK_THROWS_AS(remora::Runtime(remora::Options(options)), remora::AuthError);
  CHECK_THROWS_AS(remora::Runtime(remora::Options(options).auth_token("token-c")),
                  remora::AuthError);

  remora::Runtime a(remora::testing::as_tenant(options, "a").timeout(2s));
  remora::Runtime b(remora::testing::as_tenant(options, "b"));
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
  // The objects past the quota stayed in a's cache: their write-backs failed.
  CHECK(a.stats().writeback_failures > 0);
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

namespace {

// remora-test-raw-get's outcome: its output line about the read and how it
// ended.
struct raw_read {
  std::string line;
  std::optional<int> exit;
};

raw_read raw_get(const std::string& where, const std::string& token, std::uint64_t address,
                 std::size_t length) {
  char hex[32];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(address));
  // A faulting reader ends by its signal, without UCX's backtrace.
  child_process reader({REMORA_RAW_GET, where, token, hex, std::to_string(length)},
                       {"UCX_HANDLE_ERRORS=none"});
  raw_read out;
  out.line = reader.wait_for_line("read", 20s).value_or("");
  out.exit = reader.wait_exit(20s);
  return out;
}

}  // namespace

TEST_CASE("a tenant's remote key reaches its own region alone, even with raw UCX gets",
          "[client][tenant]") {
  remora::Options options;
  auto nodes = remora::testing::start_tenant_node(options);
  const std::string where = options.memory_nodes()[0];

  // b keeps a secret on the node: 64 KiB of a pattern no region starts with.
  remora::actors::control_plane cp;
  auto with_token = [&](const char* token) {
    remora::actors::node_client::options options;
    options.address = *remora::actors::node_address::parse(where);
    options.auth_token = token;
    return options;
  };
  auto b = remora::actors::node_client::connect(cp, with_token("token-b"));
  REQUIRE(b.ok());
  auto a = remora::actors::node_client::connect(cp, with_token("token-a"));
  REQUIRE(a.ok());
  // Each tenant was given a region of its own.
  const auto& b_region = (*b)->data().region();
  const auto& a_region = (*a)->data().region();
  CHECK(a_region.base() != b_region.base());
  CHECK((a_region.base() + a_region.size() <= b_region.base() ||
         b_region.base() + b_region.size() <= a_region.base()));

  constexpr std::uint32_t secret_bytes = 64 << 10;
  const std::uint64_t id = 0x5ec2e7;
  const std::uint32_t size = secret_bytes;
  auto placed = (*b)->allocate(std::span(&id, 1), std::span(&size, 1));
  REQUIRE(placed.ok());
  std::vector<std::byte> secret(secret_bytes);
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = std::byte(0xa5 ^ (i * 7));
  REQUIRE((*b)->data().write((*placed)[0], secret).ok());
  const std::uint64_t secret_at =
      b_region.base() + (*placed)[0].offset + remora::storage::payload_offset;
  char first[40] = {};
  for (int i = 0; i < 16; ++i)
    std::snprintf(first + 2 * i, 3, "%02x", static_cast<unsigned>(secret[i]));

  // The reader works: as b, a raw get of b's address reads the secret.
  auto own = raw_get(where, "token-b", secret_at, 64);
  CHECK(own.line == std::string("read OK ") + first);
  CHECK(own.exit == 0);
  // As a, small and large raw gets at b's address never read it: the
  // address, translated through a's key, lands in the reader's own process
  // (it faults there, or reads its own bytes), never in b's region.
  for (std::size_t length : {std::size_t{64}, std::size_t{secret_bytes}, std::size_t{4} << 20}) {
    INFO("a raw get of " << length << " bytes");
    auto stolen = raw_get(where, "token-a", secret_at, length);
    INFO(stolen.line);
    CHECK(stolen.line.find(first) == std::string::npos);
    CHECK(stolen.exit.has_value());
  }
  // Over UCX tcp, whose emulated gets read any address named, the node
  // does not serve tenants' data at all: such a client is refused, saying why.
  {
    child_process tcp_reader({REMORA_RAW_GET, where, "token-a"}, {"UCX_TLS=tcp,self"});
    auto refused = tcp_reader.wait_for_line("connect failed", 20s);
    REQUIRE(refused.has_value());
    CHECK(refused->find("no UCX transport in common") != std::string::npos);
    CHECK(tcp_reader.wait_exit(20s) == 1);
  }
  // Nor can a free b's object or learn where it is.
  auto freed = (*a)->free(std::span(&id, 1));
  REQUIRE_FALSE(freed.ok());
  CHECK(freed.err().code == remora::transport::errc::unknown_object);
  auto found = (*a)->lookup(std::span(&id, 1));
  REQUIRE_FALSE(found.ok());
  CHECK(found.err().code == remora::transport::errc::unknown_object);
  // b's secret is intact.
  std::vector<std::byte> back(secret_bytes);
  auto location = (*placed)[0];
  REQUIRE((*b)->data().read(location, back).ok());
  CHECK(back == secret);
}

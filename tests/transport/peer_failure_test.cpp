// Peers that stall or die: the caller gets an error within its deadline and
// never hangs or crashes. Stalls matter over TCP, where UCX emulates RMA with
// active messages that need the target's progress; over shared memory reads
// stay one-sided and keep working.
#include <signal.h>
#include <stdlib.h>

#include <thread>

#include "tests/support/forced_transports.hpp"
#include "tests/transport/serving_peer.hpp"

using namespace remora::transport;
using remora::testing::first_mismatch;
using remora::testing::forced_transports;
using remora::testing::serving_peer;
using namespace std::chrono_literals;

namespace {

double seconds_since(clock::time_point start) {
  return std::chrono::duration<double>(clock::now() - start).count();
}

// Whether UCX chooses its transports (shared memory, on one host); a test
// about those says so when it skips.
bool default_transports() {
  if (std::getenv("UCX_TLS") == nullptr) return true;
  WARN("UCX_TLS is set; this test is about UCX's default shared-memory transports: skipped");
  return false;
}

}  // namespace

TEST_CASE("a peer that never answers over TCP: timeout within the deadline",
          "[transport][failure]") {
  forced_transports tcp("tcp");
  serving_peer peer(1 << 20, {"--stall"});
  std::vector<std::byte> into(4096);
  batch b(*peer.ucx.worker);
  REQUIRE(b.get(*peer.remote, 0, into.data(), into.size()).ok());
  auto start = clock::now();
  auto r = b.wait(after(2s));
  const double took = seconds_since(start);
  REQUIRE_FALSE(r.ok());
  CHECK(r.err().code == errc::timeout);
  CHECK(took >= 1.9);
  CHECK(took < 4.5);  // the deadline plus the bounded abort grace
  // The endpoint was given up: later operations fail at once, clearly.
  auto again = b.get(*peer.remote, 0, into.data(), into.size());
  REQUIRE_FALSE(again.ok());
  CHECK(again.err().code == errc::peer_unreachable);
}

TEST_CASE("a stalled peer still serves one-sided gets over shared memory", "[transport][failure]") {
  if (!default_transports()) return;
  serving_peer peer(1 << 20, {"--stall"});
  std::vector<std::byte> into(1 << 20);
  batch b(*peer.ucx.worker);
  REQUIRE(b.get(*peer.remote, 0, into.data(), into.size()).ok());
  auto r = b.wait(after(5s));
  INFO((r ? "" : r.err().message));
  REQUIRE(r.ok());
  CHECK(first_mismatch(into, 0) == -1);
}

TEST_CASE("a peer killed mid-transfer over TCP: an error within the deadline",
          "[transport][failure]") {
  forced_transports tcp("tcp");
  serving_peer peer(64 << 20);
  constexpr std::size_t chunk = 1 << 20, count = 512;  // ~0.5 GiB: long enough to be cut off
  std::vector<std::byte> into(chunk);
  batch b(*peer.ucx.worker);
  for (std::size_t i = 0; i < count; ++i)
    REQUIRE(b.get(*peer.remote, (i % 64) * chunk, into.data(), chunk).ok());
  std::thread killer([&] {
    std::this_thread::sleep_for(50ms);
    peer.process.signal(SIGKILL);
  });
  auto start = clock::now();
  auto r = b.wait(after(5s));
  const double took = seconds_since(start);
  killer.join();
  REQUIRE_FALSE(r.ok());
  INFO(r.err().message);
  CHECK((r.err().code == errc::timeout || r.err().code == errc::peer_unreachable));
  CHECK(took < 7.5);
  // The liveness channel says the same: the peer's stream closed.
  auto frame = peer.stream->receive_frame(after(2s));
  REQUIRE_FALSE(frame.ok());
  CHECK(frame.err().code == errc::peer_unreachable);
  // Active messages to the dead peer fail too, within their deadline.
  std::uint64_t range[2] = {0, 8};
  start = clock::now();
  auto sent = peer.ep->closed() ? result<void>(error{errc::peer_unreachable, "closed"})
                                : peer.ep->send_am(demo_checksum_request,
                                                   std::as_bytes(std::span(range)), after(2s));
  (void)sent;  // eager sends may complete locally; what matters is the bound
  CHECK(seconds_since(start) < 4.5);
}

TEST_CASE("a peer killed mid-transfer over shared memory: no hang, no wrong bytes",
          "[transport][failure]") {
  if (!default_transports()) return;
  serving_peer peer(64 << 20);
  constexpr std::size_t chunk = 1 << 20;
  std::vector<std::byte> into(chunk);
  peer.process.signal(SIGKILL);
  REQUIRE(peer.process.wait_exit(5s).has_value());
  batch b(*peer.ucx.worker);
  auto start = clock::now();
  auto issued = b.get(*peer.remote, 3 * chunk, into.data(), chunk);
  auto r = issued ? b.wait(after(3s)) : issued;
  CHECK(seconds_since(start) < 5.5);
  // Shared memory outlives its owner, so the read may still succeed; if it
  // does, the bytes must be the right ones.
  if (r.ok()) CHECK(first_mismatch(into, 3 * chunk) == -1);
}

// UCX 1.13's shared-memory transport leaks the segment table of an endpoint
// whose peer's FIFO is gone: 800 bytes here, which fail this test's process
// in the ASan run unless worker::connect has LeakSanitizer overlook them or
// tests/lsan.supp finds libuct on their stacks.
TEST_CASE("endpoints to a peer killed a moment before are refused at once and leave nothing",
          "[transport][failure]") {
  if (!default_transports()) return;
  serving_peer peer(1 << 20);
  // Nothing of this process holds the peer's shared memory any more.
  peer.remote.reset();
  peer.ep->close(after(1s));
  peer.process.signal(SIGKILL);
  REQUIRE(peer.process.wait_exit(5s).has_value());
  for (int i = 0; i < 8; ++i) {
    const auto start = clock::now();
    auto e = peer.ucx.worker->connect(peer.greeting.address);
    CHECK(seconds_since(start) < 2);
    REQUIRE_FALSE(e.ok());
    INFO(e.err().message);
    CHECK(e.err().code == errc::peer_unreachable);
  }
}

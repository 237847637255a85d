// Two real processes on 127.0.0.1: this test and a serving
// remora-transport-demo. Run over UCX's default transports and, by CTest,
// again with UCX_TLS=tcp.
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "tests/transport/serving_peer.hpp"

using namespace remora::transport;
using remora::testing::first_mismatch;
using remora::testing::serving_peer;
using namespace std::chrono_literals;

namespace {
constexpr std::uint64_t region_size = 64ull << 20;
}

TEST_CASE("gets of 1 B to 64 MiB arrive byte for byte", "[transport][two-process]") {
  serving_peer peer(region_size);
  batch b(*peer.ucx.worker);
  for (std::uint64_t size :
       {1ull, 7ull, 64ull, 4096ull, 65549ull, 1ull << 20, 16ull << 20, 64ull << 20}) {
    const std::uint64_t offset = size == region_size ? 0 : (size * 13 + 5) % (region_size - size);
    std::vector<std::byte> into(size);
    REQUIRE(b.get(*peer.remote, offset, into.data(), size).ok());
    auto done = b.wait(after(30s));
    INFO("size " << size << ": " << (done ? "" : done.err().message));
    REQUIRE(done.ok());
    CHECK(first_mismatch(into, offset) == -1);
  }
}

TEST_CASE("puts of 1 B to 64 MiB land byte for byte", "[transport][two-process]") {
  serving_peer peer(region_size);
  batch b(*peer.ucx.worker);
  std::uint64_t seed = 100;
  for (std::uint64_t size : {1ull, 64ull, 4096ull, 1ull << 20, 64ull << 20}) {
    const std::uint64_t offset = size == region_size ? 0 : (size * 31 + 3) % (region_size - size);
    std::vector<std::byte> data(size), back(size);
    for (std::uint64_t i = 0; i < size; ++i) data[i] = test_pattern(seed, offset + i);
    REQUIRE(b.put(*peer.remote, offset, data.data(), size).ok());
    REQUIRE(b.wait(after(30s)).ok());
    REQUIRE(b.get(*peer.remote, offset, back.data(), size).ok());
    REQUIRE(b.wait(after(30s)).ok());
    CHECK(first_mismatch(back, offset, seed) == -1);
    ++seed;
  }
  // The bytes are really in the peer's memory: it checksums them itself.
  std::vector<std::byte> data(4096);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i ^ 0x5a);
  REQUIRE(b.put(*peer.remote, 8192, data.data(), data.size()).ok());
  REQUIRE(b.wait(after(10s)).ok());
  std::optional<bytes> answer;
  REQUIRE(
      peer.ucx.worker
          ->on_am(demo_checksum_reply, [&](std::span<const std::byte> p,
                                           const am_reply&) { answer.emplace(p.begin(), p.end()); })
          .ok());
  std::uint64_t range[2] = {8192, data.size()};
  REQUIRE(peer.ep->send_am(demo_checksum_request, std::as_bytes(std::span(range)), after(5s)).ok());
  REQUIRE(peer.ucx.worker->progress_until([&] { return answer.has_value(); }, after(10s), "reply")
              .ok());
  REQUIRE(answer->size() == 4);
  std::uint32_t sum = 0;
  std::memcpy(&sum, answer->data(), 4);
  CHECK(sum == fnv1a(data));
}

TEST_CASE("a batch of 10,000 small gets completes with one wait", "[transport][two-process]") {
  serving_peer peer(region_size);
  constexpr std::size_t count = 10000, size = 64;
  std::vector<std::byte> into(count * size);
  std::vector<std::uint64_t> offsets(count);
  batch b(*peer.ucx.worker);
  for (std::size_t i = 0; i < count; ++i) {
    offsets[i] = (i * 1000003ull) % (region_size - size);
    REQUIRE(b.get(*peer.remote, offsets[i], into.data() + i * size, size).ok());
  }
  REQUIRE(b.wait(after(30s)).ok());
  CHECK(b.pending() == 0);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < count; ++i)
    wrong += first_mismatch(std::span(into).subspan(i * size, size), offsets[i]) != -1;
  CHECK(wrong == 0);
}

TEST_CASE("the completion-callback form reports once, after every get",
          "[transport][two-process]") {
  serving_peer peer(region_size);
  std::vector<std::byte> into(1000 * 256);
  batch b(*peer.ucx.worker);
  for (std::size_t i = 0; i < 1000; ++i)
    REQUIRE(b.get(*peer.remote, i * 4096, into.data() + i * 256, 256).ok());
  int calls = 0;
  bool ok = false;
  b.submit([&](result<void> r) {
    ++calls;
    ok = r.ok();
  });
  CHECK(b.pending() == 0);  // handed over: the batch is free for reuse
  REQUIRE(peer.ucx.worker->progress_until([&] { return calls > 0; }, after(20s), "callback").ok());
  CHECK(calls == 1);
  CHECK(ok);
  for (std::size_t i = 0; i < 1000; ++i)
    REQUIRE(first_mismatch(std::span(into).subspan(i * 256, 256), i * 4096) == -1);
}

TEST_CASE("over shared memory, a copy out of the mapped region reads what a get does",
          "[transport][two-process]") {
  serving_peer peer(region_size);
  if (!peer.remote->mapped()) {
    // (UCX_TLS=tcp: the peer's region is not in this process.)
    WARN("the region is not mapped into this process: nothing to copy from");
    return;
  }
  for (std::uint64_t size : {1ull, 8ull, 96ull, 4096ull, 1ull << 20}) {
    const std::uint64_t offset = (size * 17 + 3) % (region_size - size);
    std::vector<std::byte> into(size);
    REQUIRE(peer.remote->copy_out(offset, into.data(), size).ok());
    CHECK(first_mismatch(into, offset) == -1);
  }
  // Across the 2 MiB stretches that reads fault in at once, to the last byte.
  constexpr std::uint64_t stretch = stretch_set::stretch;
  for (std::uint64_t offset : {stretch - 100, 3 * stretch - 1, region_size - 5000}) {
    const std::uint64_t size = std::min<std::uint64_t>(stretch + 200, region_size - offset);
    std::vector<std::byte> into(size);
    REQUIRE(peer.remote->copy_out(offset, into.data(), size).ok());
    CHECK(first_mismatch(into, offset) == -1);
  }
  std::byte byte{};
  auto past_end = peer.remote->copy_out(region_size, &byte, 1);
  REQUIRE_FALSE(past_end.ok());
  CHECK(past_end.err().code == errc::out_of_range);
}

TEST_CASE("a stretch of a mapping is claimed once, by its first reader", "[transport]") {
  constexpr std::size_t stretch = stretch_set::stretch;
  stretch_set set(130 * stretch + 1);  // 131 stretches, the last one short
  CHECK(set.claim(0));
  CHECK_FALSE(set.claim(0));
  CHECK(set.claim(63));
  CHECK(set.claim(64));
  CHECK(set.claim(130));
  CHECK_FALSE(set.claim(130));
  std::atomic<int> first{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      for (std::size_t at = 1; at < 130; ++at) first += set.claim(at);
    });
  for (auto& r : readers) r.join();
  CHECK(first == 127);  // 1..129 but 63 and 64, each once
}

TEST_CASE("accesses outside the remote region are refused locally", "[transport][two-process]") {
  serving_peer peer(1 << 20);
  std::vector<std::byte> into(64);
  batch b(*peer.ucx.worker);
  auto past_end = b.get(*peer.remote, (1 << 20) - 10, into.data(), 64);
  REQUIRE_FALSE(past_end.ok());
  CHECK(past_end.err().code == errc::out_of_range);
  auto wrapped = b.put(*peer.remote, ~0ull - 2, into.data(), 64);
  REQUIRE_FALSE(wrapped.ok());
  CHECK(wrapped.err().code == errc::out_of_range);
  CHECK(b.pending() == 0);
  REQUIRE(b.get(*peer.remote, (1 << 20) - 64, into.data(), 64).ok());  // the last bytes are fine
  REQUIRE(b.wait(after(10s)).ok());
  CHECK(first_mismatch(into, (1 << 20) - 64) == -1);
}

TEST_CASE("corrupted or truncated address and key blobs give clear errors",
          "[transport][two-process]") {
  serving_peer peer(1 << 20);
  const bytes& address = peer.greeting.address;
  const bytes& key = peer.greeting.key;
  for (std::size_t cut :
       {std::size_t{0}, std::size_t{10}, address.size() / 2, address.size() - 1}) {
    auto r = peer.ucx.worker->connect(std::span(address).first(cut));
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::bad_address);
  }
  for (std::size_t at : {std::size_t{20}, address.size() / 2, address.size() - 1}) {
    bytes flipped = address;
    flipped[at] ^= std::byte{0x01};
    auto r = peer.ucx.worker->connect(flipped);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::bad_address);
  }
  for (std::size_t cut : {std::size_t{0}, std::size_t{16}, std::size_t{24}, key.size() - 1}) {
    auto r = remote_region::unpack(*peer.ep, std::span(key).first(cut));
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::bad_key);
  }
  for (std::size_t at : {std::size_t{17}, std::size_t{30}, key.size() - 1}) {
    bytes flipped = key;
    flipped[at] ^= std::byte{0x80};
    auto r = remote_region::unpack(*peer.ep, flipped);
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::bad_key);
  }
  auto swapped = remote_region::unpack(*peer.ep, address);
  REQUIRE_FALSE(swapped.ok());
  CHECK(swapped.err().code == errc::bad_key);
  // The good blobs still work after all that.
  std::vector<std::byte> into(128);
  batch b(*peer.ucx.worker);
  REQUIRE(b.get(*peer.remote, 0, into.data(), into.size()).ok());
  REQUIRE(b.wait(after(10s)).ok());
  CHECK(first_mismatch(into, 0) == -1);
}

// Blob stores against real memory nodes: values written by one process are
// read byte for byte by another; sizes from nothing to 64 MiB; a replaced
// value is never read half old, half new; eviction at the store's capacity
// and when the node is full, least recent first, pins honoured; clear
// errors and tenants' own stores.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"

using namespace std::chrono_literals;
using remora::testing::child_process;

namespace {

std::vector<std::byte> filled(std::size_t bytes, unsigned char with) {
  return std::vector<std::byte>(bytes, std::byte(with));
}

std::vector<std::byte> pattern(std::size_t bytes, std::uint64_t seed) {
  std::vector<std::byte> v(bytes);
  for (std::size_t j = 0; j < bytes; ++j) v[j] = std::byte((seed * 131 + j * 7) % 251);
  return v;
}

}  // namespace

TEST_CASE("a blob store is shared across processes, byte for byte", "[client][blobs]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(2, options);
  // Another process writes on the first node; two runtimes over both
  // nodes then check where keys live.
  child_process writer({REMORA_BLOBS, options.memory_nodes()[0], "kv", "put", "40", "300000"});
  REQUIRE(writer.wait_for_line("put 40", 60s).has_value());
  CHECK(writer.wait_exit(30s) == 0);
  {
    remora::Runtime rt(remora::Options{}.memory_node(options.memory_nodes()[0]));
    auto kv = rt.blob_store("kv");
    for (std::uint64_t i = 0; i < 40; ++i) {
      auto v = kv.get("key-" + std::to_string(i));
      REQUIRE(v.has_value());
      CHECK(*v == pattern(300000, i));
    }
    // Written here, checked by another process.
    for (std::uint64_t i = 0; i < 40; ++i) kv.put("key-" + std::to_string(i), pattern(300000, i));
  }
  child_process checker({REMORA_BLOBS, options.memory_nodes()[0], "kv", "check", "40", "300000"});
  auto line = checker.wait_for_line("checked", 60s);
  REQUIRE(line.has_value());
  CHECK(*line == "checked 40 wrong 0 missing 0");
  // Over two nodes, two runtimes agree where each key lives.
  remora::Runtime a(remora::Options(options).dram_cache(4 << 20));
  remora::Runtime b(remora::Options(options).dram_cache(4 << 20));
  auto ka = a.blob_store("kv2");
  auto kb = b.blob_store("kv2");
  for (std::uint64_t i = 0; i < 64; ++i) ka.put("k" + std::to_string(i), pattern(1000 + i, i));
  std::uint64_t wrong = 0;
  for (std::uint64_t i = 0; i < 64; ++i)
    wrong += kb.get("k" + std::to_string(i)) != pattern(1000 + i, i);
  CHECK(wrong == 0);
  auto many = kb.get_many({"k1", "nothing", "k63", "k2"});
  REQUIRE(many.size() == 4);
  CHECK(many[0] == pattern(1001, 1));
  CHECK_FALSE(many[1].has_value());
  CHECK(many[2] == pattern(1063, 63));
  CHECK(many[3] == pattern(1002, 2));
  CHECK(kb.stats().keys == 64);
  CHECK(kb.stats().hits >= 66);

  // The same into the caller's buffers, used again and again.
  const std::vector<std::string> keys{"k1", "nothing", "k63", "k2"};
  std::vector<std::vector<std::byte>> buffers(keys.size(), filled(1100, 0xee));
  std::vector<std::span<std::byte>> into(buffers.begin(), buffers.end());
  for (int round = 0; round < 3; ++round) {
    auto sizes = kb.get_many_into(keys, into);
    REQUIRE(sizes.size() == 4);
    CHECK(sizes[0] == std::optional<std::size_t>(1001));
    CHECK_FALSE(sizes[1].has_value());
    CHECK(sizes[2] == std::optional<std::size_t>(1063));
    CHECK(sizes[3] == std::optional<std::size_t>(1002));
    CHECK(std::equal(many[0]->begin(), many[0]->end(), buffers[0].begin()));
    CHECK(buffers[1] == filled(1100, 0xee));  // nothing there: untouched
    CHECK(std::equal(many[2]->begin(), many[2]->end(), buffers[2].begin()));
    CHECK(std::equal(many[3]->begin(), many[3]->end(), buffers[3].begin()));
    CHECK(buffers[2][1063] == std::byte{0xee});  // past the value: untouched
  }
  std::vector<std::byte> small(1062);
  into[2] = small;
  try {
    (void)kb.get_many_into(keys, into);
    FAIL("a buffer too small for k63 was taken");
  } catch (const remora::InvalidObject& e) {
    CHECK(std::string(e.what()).find("'k63' holds 1063 bytes; the buffer has 1062") !=
          std::string::npos);
  }
  CHECK_THROWS_AS(kb.get_many_into(keys, std::span(into).first(3)), remora::InvalidObject);
}

TEST_CASE("blob values from nothing to 64 MiB, read into a caller's buffer", "[client][blobs]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(1, options, {"--capacity=256MiB"});
  remora::Runtime rt(remora::Options(options).dram_cache(4 << 20));
  auto kv = rt.blob_store("sizes");
  for (std::size_t bytes : {std::size_t{0}, std::size_t{1}, std::size_t{1} << 20,
                            (std::size_t{1} << 20) + 1, std::size_t{64} << 20}) {
    const auto value = pattern(bytes, bytes);
    kv.put("v", value);
    auto back = kv.get("v");
    REQUIRE(back.has_value());
    CHECK(back->size() == bytes);
    CHECK(*back == value);
    std::vector<std::byte> buffer(bytes + 10);
    auto n = kv.get_into("v", buffer);
    REQUIRE(n.has_value());
    CHECK(*n == bytes);
    CHECK(std::equal(value.begin(), value.end(), buffer.begin()));
    if (bytes > 0) {
      std::vector<std::byte> small(bytes - 1);
      CHECK_THROWS_AS(kv.get_into("v", small), remora::InvalidObject);
    }
  }
  CHECK(kv.contains("v"));
  CHECK(kv.erase("v"));
  CHECK_FALSE(kv.contains("v"));
  CHECK_FALSE(kv.erase("v"));
  CHECK_FALSE(kv.get("v").has_value());
  std::vector<std::byte> buffer(8);
  CHECK_FALSE(kv.get_into("v", buffer).has_value());
}

TEST_CASE("a replaced blob is read whole, old or new, never a mix", "[client][blobs][threads]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(1, options);
  remora::Runtime rt(remora::Options(options).dram_cache(4 << 20));
  auto kv = rt.blob_store("swap");
  const std::size_t bytes = (3 << 20) + 12345;  // four pieces
  kv.put("k", filled(bytes, 0));
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> reads{0}, mixed{0}, missing{0};
  auto reader = [&] {
    auto mine = kv;  // copies share the store
    while (!done.load()) {
      auto v = mine.get("k");
      if (!v || v->size() != bytes) {
        ++missing;
        continue;
      }
      const auto first = (*v)[0];
      mixed += std::any_of(v->begin(), v->end(), [&](std::byte b) { return b != first; });
      ++reads;
    }
  };
  std::thread r1(reader), r2(reader);
  for (unsigned i = 1; i <= 60; ++i) kv.put("k", filled(bytes, static_cast<unsigned char>(i)));
  done = true;
  r1.join();
  r2.join();
  CHECK(reads > 0);
  CHECK(mixed == 0);
  CHECK(missing == 0);
  CHECK(kv.get("k") == filled(bytes, 60));
}

TEST_CASE("a blob store evicts least recent keys past its capacity, pins honoured",
          "[client][blobs]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(1, options);
  remora::Runtime rt(remora::Options(options).dram_cache(4 << 20));
  auto kv = rt.blob_store("lru", {.capacity = 4 << 20});
  kv.put("pinned", pattern(1 << 20, 99), {.pin = 600s});
  for (std::uint64_t i = 0; i < 3; ++i) kv.put("k" + std::to_string(i), pattern(1 << 20, i));
  CHECK(kv.get("k0").has_value());  // k0 is now more recent than k1 and k2
  kv.put("k3", pattern(1 << 20, 3));
  kv.put("k4", pattern(1 << 20, 4));
  CHECK(kv.contains("pinned"));
  CHECK(kv.contains("k0"));
  CHECK_FALSE(kv.contains("k1"));
  CHECK_FALSE(kv.contains("k2"));
  CHECK(kv.get("k4") == pattern(1 << 20, 4));
  const auto s = kv.stats();
  CHECK(s.evictions == 2);
  CHECK(s.keys == 4);
  CHECK(s.bytes == 4u << 20);
  CHECK(s.misses == 0);
  CHECK(s.puts == 6);
}

TEST_CASE("a node out of room evicts blobs to make it, and tenants keep their own stores",
          "[client][blobs]") {
  remora::Options options;
  auto nodes = remora::testing::start_tenant_node(options, "8MiB");
  remora::Runtime a(remora::testing::as_tenant(options, "a"));
  remora::Runtime b(remora::testing::as_tenant(options, "b"));
  auto ka = a.blob_store("kv");
  auto kb = b.blob_store("kv");
  kb.put("theirs", pattern(1000, 5));
  // Twenty values of 1 MiB through a quota of 8: the oldest go.
  for (std::uint64_t i = 0; i < 20; ++i) ka.put("k" + std::to_string(i), pattern(1 << 20, i));
  CHECK(ka.get("k19") == pattern(1 << 20, 19));
  CHECK_FALSE(ka.contains("k0"));
  CHECK(ka.stats().evictions >= 12);
  // b's store of the same name is b's alone.
  CHECK_FALSE(ka.contains("theirs"));
  CHECK(kb.get("theirs") == pattern(1000, 5));
  CHECK_FALSE(kb.contains("k19"));
}

TEST_CASE(
    "in a pool of replicas a blob store keeps one copy: a value lost with its dead node is a miss",
    "[client][blobs][replicas]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(2, options);
  remora::Runtime rt(
      remora::Options(options).replicas(2).dram_cache(4 << 20).timeout(2s).dead_after(1s));
  auto kv = rt.blob_store("kv");
  for (int k = 0; k < 20; ++k) kv.put("k" + std::to_string(k), pattern(3000, k));
  for (int k = 0; k < 20; ++k) CHECK(kv.get("k" + std::to_string(k)) == pattern(3000, k));
  nodes[0]->signal(SIGKILL);
  REQUIRE(nodes[0]->wait_exit(5s).has_value());
  // NodeUnavailable for the dead node's keys until it is known dead (1 s
  // without an answer); then their keys are homed on the other node.
  CHECK(remora::testing::eventually(
      [&] {
        try {
          for (int k = 0; k < 20; ++k) (void)kv.contains("k" + std::to_string(k));
          return true;
        } catch (const remora::NodeUnavailable&) {
          return false;
        }
      },
      20s));
  int found = 0;
  for (int k = 0; k < 20; ++k) {
    auto v = kv.get("k" + std::to_string(k));  // a miss or the value, never an error
    if (v) CHECK(*v == pattern(3000, k));
    found += v.has_value();
  }
  CHECK(found < 20);  // rendezvous put some on the dead node (p = 2^-20 that it put none)
  kv.put("after", pattern(100, 1));
  CHECK(kv.get("after") == pattern(100, 1));
  CHECK_THROWS_AS(rt.blob_store(""), remora::InvalidObject);
  CHECK_THROWS_AS(remora::BlobStore{}.get("k"), remora::InvalidObject);
}

// Published arrays against real memory nodes: publish in one process, open
// and read in another (two threads); unpublish while views are open; a
// reader killed does not hold the array for ever; names are scoped to the
// tenant; wrong element sizes, unknown and taken names are clear errors,
// and a failed publish leaves the array as it was; with replicas or
// erasure coding, a published array survives the loss of a node.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "actors/control_plane.hpp"
#include "actors/node_client.hpp"
#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/fill_array.hpp"

using namespace std::chrono_literals;
using remora::testing::child_process;
using remora::testing::stats_of;

namespace {

// An array of `n` elements, element i holding 7i + 3 (what
// remora-test-read-published checks).
remora::Array<std::uint64_t> filled(remora::Runtime& rt, std::size_t n) {
  auto a = rt.make_array<std::uint64_t>(n);
  remora::testing::fill_array(a, [](std::size_t i) { return 7 * i + 3; });
  return a;
}

std::uint64_t wrong_in(const remora::ArrayView<std::uint64_t>& v) {
  std::uint64_t wrong = 0;
  for (std::size_t i = 0; i < v.size(); ++i) wrong += v.read(i) != 7 * i + 3;
  return wrong;
}

constexpr std::size_t elements = 1 << 20;  // 8 MiB: twice the readers' 4 MiB caches

// After node 0 died: a runtime of the nodes left, with plain options, opens
// "table" and reads every element right; once it is unpublished and the
// views `mine` and `theirs` are closed, those nodes hold no publication.
void survivors_read_then_free(const remora::Options& options, remora::actors::control_plane& cp,
                              remora::ArrayView<std::uint64_t>& mine,
                              remora::ArrayView<std::uint64_t>& theirs) {
  const auto survivors =
      std::vector<std::string>(options.memory_nodes().begin() + 1, options.memory_nodes().end());
  remora::Options left;
  for (const auto& where : survivors) left.memory_node(where);
  remora::Runtime late(left.dram_cache(4 << 20).timeout(2s));
  auto again = late.open_array<std::uint64_t>("table");
  CHECK(wrong_in(again) == 0);
  late.unpublish("table");
  mine = {};
  theirs = {};
  again = {};
  CHECK(remora::testing::eventually(
      [&] {
        std::uint64_t held = 0;
        for (const auto& where : survivors) held += stats_of(cp, where).publications_held;
        return held == 0;
      },
      20s));
}

}  // namespace

TEST_CASE("an array published in one process is read by two threads of another",
          "[client][sharing]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(2, options);
  remora::actors::control_plane cp;
  remora::Runtime rt(remora::Options(options).dram_cache(4 << 20));
  auto view = rt.publish("table", filled(rt, elements));
  CHECK(view.size() == elements);
  CHECK(view.name() == "table");
  CHECK(wrong_in(view) == 0);  // the publisher reads it too, from home
  for (int run = 0; run < 2; ++run) {
    child_process reader({REMORA_READ_PUBLISHED,
                          options.memory_nodes()[0] + "," + options.memory_nodes()[1], "table"});
    auto line = reader.wait_for_line("read", 60s);
    REQUIRE(line.has_value());
    CHECK(*line == "read " + std::to_string(elements) + " wrong 0");
    CHECK(reader.wait_exit(30s) == 0);
  }
  CHECK(stats_of(cp, options.memory_nodes()[0]).published == 1);
}

TEST_CASE("an unpublished array is freed once its last view closes", "[client][sharing]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(1, options);
  const std::string where = options.memory_nodes()[0];
  remora::actors::control_plane cp;
  remora::Runtime publisher(remora::Options(options).dram_cache(4 << 20));
  remora::Runtime reader(remora::Options(options).dram_cache(4 << 20));
  const auto before = stats_of(cp, where).objects;
  std::optional<remora::ArrayView<std::uint64_t>> mine =
      publisher.publish("table", filled(publisher, elements));
  auto theirs = reader.open_array<std::uint64_t>("table");
  auto copy = theirs;  // copies share the view
  publisher.unpublish("table");
  CHECK_THROWS_AS(reader.open_array<std::uint64_t>("table"), remora::InvalidObject);
  CHECK_THROWS_AS(publisher.unpublish("table"), remora::InvalidObject);
  // Open views go on reading it.
  CHECK(wrong_in(theirs) == 0);
  mine.reset();
  CHECK(wrong_in(copy) == 0);
  auto s = stats_of(cp, where);
  CHECK(s.published == 0);
  CHECK(s.publications_held == 1);
  CHECK(s.objects > before);
  theirs = {};
  CHECK(stats_of(cp, where).objects > before);  // the copy still views it
  copy = {};
  CHECK(remora::testing::eventually([&] { return stats_of(cp, where).objects == before; }, 10s));
  CHECK(stats_of(cp, where).publications_held == 0);
  // The name is free again.
  auto again = publisher.publish("table", filled(publisher, 1000));
  CHECK(reader.open_array<std::uint64_t>("table").read(999) == 7 * 999 + 3);
}

TEST_CASE("a reader that dies does not hold a published array for ever", "[client][sharing]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(1, options, {"--lease-grace=2s"});
  const std::string where = options.memory_nodes()[0];
  remora::actors::control_plane cp;
  const auto before = stats_of(cp, where).objects;
  {
    remora::Runtime publisher(remora::Options(options).dram_cache(4 << 20));
    (void)publisher.publish("table", filled(publisher, elements));
  }
  // The publisher is gone, its view closed: the name keeps the array.
  CHECK(stats_of(cp, where).objects > before);
  child_process reader({REMORA_READ_PUBLISHED, where, "table", "hold"});
  REQUIRE(reader.wait_for_line("viewing", 60s).has_value());
  reader.signal(SIGKILL);
  CHECK(reader.wait_exit(10s).has_value());
  remora::Runtime other(remora::Options(options).dram_cache(4 << 20));
  other.unpublish("table");
  // Once the killed reader's lease lapses, nothing holds it.
  CHECK(remora::testing::eventually([&] { return stats_of(cp, where).objects == before; }, 30s));
}

TEST_CASE("published names: unknown, taken, wrong element size, other tenants",
          "[client][sharing]") {
  remora::Options options;
  auto nodes = remora::testing::start_tenant_node(options, "64MiB");
  remora::Runtime a(remora::testing::as_tenant(options, "a"));
  remora::Runtime a2(remora::testing::as_tenant(options, "a"));
  remora::Runtime b(remora::testing::as_tenant(options, "b"));

  CHECK_THROWS_AS(a.open_array<std::uint64_t>("nothing"), remora::InvalidObject);
  CHECK_THROWS_AS(a.unpublish("nothing"), remora::InvalidObject);
  auto view = a.publish("table", filled(a, 100'000));
  try {
    (void)a2.open_array<std::uint32_t>("table");
    FAIL("a wrong element size was accepted");
  } catch (const remora::InvalidObject& e) {
    CHECK(std::string(e.what()).find("8 bytes, not 4") != std::string::npos);
  }
  CHECK(wrong_in(a2.open_array<std::uint64_t>("table")) == 0);
  // Another tenant sees no such name, and may use it for its own.
  CHECK_THROWS_AS(b.open_array<std::uint64_t>("table"), remora::InvalidObject);
  CHECK_THROWS_AS(b.unpublish("table"), remora::InvalidObject);
  auto theirs = b.publish("table", filled(b, 10));
  CHECK(b.open_array<std::uint64_t>("table").size() == 10);
  CHECK(a2.open_array<std::uint64_t>("table").size() == 100'000);

  // A taken name: InvalidObject, and the array stays the caller's, as it was.
  auto array = filled(a2, 50'000);
  CHECK_THROWS_AS(a2.publish("table", std::move(array)), remora::InvalidObject);
  REQUIRE(array.size() == 50'000);
  array.write(17, 1);
  std::uint64_t wrong = 0;
  for (std::size_t i = 0; i < array.size(); ++i)
    wrong += array.read(i) != (i == 17 ? 1 : 7 * i + 3);
  CHECK(wrong == 0);
  auto renamed = a2.publish("table-2", std::move(array));
  CHECK(a.open_array<std::uint64_t>("table-2").read(17) == 1);
}

TEST_CASE("with replicas(2), a published array outlives a node SIGKILLed under its readers",
          "[client][sharing][replicas][failure]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(3, options, {"--lease-grace=2s"});
  options.dram_cache(4 << 20).replicas(2).timeout(2s);
  remora::actors::control_plane cp;
  remora::Runtime publisher(options);
  auto mine = publisher.publish("table", filled(publisher, elements));
  remora::Runtime reader(options);
  auto theirs = reader.open_array<std::uint64_t>("table");
  // Two copies of every chunk, spread over the three nodes.
  constexpr std::uint64_t chunks = elements * 8 / remora::array_chunk_bytes;
  std::uint64_t held = 0;
  for (const auto& where : options.memory_nodes()) {
    const auto s = stats_of(cp, where);
    CHECK(s.objects > chunks / 3);
    held += s.objects;
  }
  CHECK(held >= 2 * chunks);
  CHECK(wrong_in(theirs) == 0);
  nodes[0]->signal(SIGKILL);
  REQUIRE(nodes[0]->wait_exit(5s).has_value());
  CHECK(wrong_in(theirs) == 0);
  CHECK(wrong_in(mine) == 0);
  CHECK(reader.stats().failovers > 0);
  // The nodes left serve it, and free their copies once it is unpublished
  // and unviewed (those the publisher may have rebuilt meanwhile are the
  // publication's too).
  survivors_read_then_free(options, cp, mine, theirs);
}

TEST_CASE("the publisher rebuilds copies lost with a node: a second death loses nothing",
          "[client][sharing][replicas][erasure][failure]") {
  // Two copies of each chunk: replicas(2), or erasure(2, 1) (m + 1 whole
  // copies of a shared chunk).
  const bool erasure = GENERATE(false, true);
  remora::Options options;
  auto nodes = remora::testing::start_nodes(3, options);
  options.dram_cache(4 << 20).timeout(2s).dead_after(1s);
  if (erasure)
    options.erasure(2, 1);
  else
    options.replicas(2);
  remora::actors::control_plane cp;
  remora::Runtime publisher(options);
  auto mine = publisher.publish("table", filled(publisher, elements));
  constexpr std::uint64_t chunks = elements * 8 / remora::array_chunk_bytes;
  nodes[0]->signal(SIGKILL);
  REQUIRE(nodes[0]->wait_exit(5s).has_value());
  // Node 0 is taken for dead after a second; then every chunk it held a
  // copy of gets one on the node of the two left that had none: each of
  // them holds every chunk.
  const auto held_on = [&](std::size_t node) {
    return stats_of(cp, options.memory_nodes()[node]).objects;
  };
  CHECK(remora::testing::eventually(
      [&] {
        return held_on(1) == chunks && held_on(2) == chunks &&
               publisher.stats().repairs > chunks / 3;
      },
      30s));
  CHECK(publisher.stats().repairs <= chunks);
  // The second death: node 2 alone serves every chunk to a runtime that
  // opens the name now.
  nodes[1]->signal(SIGKILL);
  REQUIRE(nodes[1]->wait_exit(5s).has_value());
  remora::Runtime late(
      remora::Options{}.memory_node(options.memory_nodes()[2]).dram_cache(4 << 20).timeout(2s));
  auto again = late.open_array<std::uint64_t>("table");
  CHECK(wrong_in(again) == 0);
  late.unpublish("table");
}

TEST_CASE("with erasure(2, 1), a published array leaves its spans and outlives a node SIGKILLed",
          "[client][sharing][erasure][failure]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(3, options, {"--lease-grace=2s"});
  options.dram_cache(4 << 20).erasure(2, 1).timeout(2s);
  remora::actors::control_plane cp;
  remora::Runtime publisher(options);
  // A second array in the same spans' neighbourhood stays coded and private.
  auto kept = filled(publisher, elements / 16);
  auto mine = publisher.publish("table", filled(publisher, elements));
  remora::Runtime reader(options);
  auto theirs = reader.open_array<std::uint64_t>("table");
  // Two whole copies (m + 1) of every chunk, and its spans' parity freed:
  // what the nodes hold beyond them is the other array's (its 32 chunks
  // and at most a parity column each). Were the table's spans kept, their
  // parity alone would be 256 more.
  constexpr std::uint64_t chunks = elements * 8 / remora::array_chunk_bytes;
  constexpr std::uint64_t others = 2 * (elements / 16 * 8 / remora::array_chunk_bytes);
  std::uint64_t held = 0;
  CHECK(remora::testing::eventually(
      [&] {
        held = 0;
        for (const auto& where : options.memory_nodes()) held += stats_of(cp, where).objects;
        return held >= 2 * chunks && held <= 2 * chunks + others;
      },
      10s));
  CHECK(wrong_in(theirs) == 0);
  nodes[0]->signal(SIGKILL);
  REQUIRE(nodes[0]->wait_exit(5s).has_value());
  CHECK(wrong_in(theirs) == 0);
  CHECK(wrong_in(mine) == 0);
  CHECK(reader.stats().failovers > 0);
  std::uint64_t wrong = 0;
  for (std::size_t i = 0; i < kept.size(); ++i) wrong += kept.read(i) != 7 * i + 3;
  CHECK(wrong == 0);
  survivors_read_then_free(options, cp, mine, theirs);
}

TEST_CASE("with erasure(2, 1), a publish that fails gives back an array that reads and writes",
          "[client][sharing][erasure]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(3, options);
  options.dram_cache(4 << 20).erasure(2, 1);
  remora::Runtime rt(options);
  auto first = rt.publish("table", filled(rt, 1000));
  // The name is taken: the array comes back, its chunks now whole copies.
  auto array = filled(rt, elements);
  CHECK_THROWS_AS(rt.publish("table", std::move(array)), remora::InvalidObject);
  REQUIRE(array.size() == elements);
  array.write(17, 1);
  std::uint64_t wrong = 0;
  for (std::size_t i = 0; i < array.size(); ++i)
    wrong += array.read(i) != (i == 17 ? 1 : 7 * i + 3);
  CHECK(wrong == 0);
  // Published under a free name, the write went home with it.
  auto view = rt.publish("table-2", std::move(array));
  remora::Runtime other(options);
  CHECK(other.open_array<std::uint64_t>("table-2").read(17) == 1);
  CHECK(other.open_array<std::uint64_t>("table-2").read(elements - 1) == 7 * (elements - 1) + 3);
}

TEST_CASE("an embedded pool publishes to its own runtime", "[client][sharing]") {
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20).embedded_capacity(64 << 20));
  auto view = rt.publish("table", filled(rt, elements));
  auto again = rt.open_array<std::uint64_t>("table");
  CHECK(wrong_in(again) == 0);
  std::uint64_t sum = 0;
  for (std::uint64_t x : again.scan()) sum += x;
  CHECK(sum == 7 * (elements * (elements - 1) / 2) + 3 * elements);
}

TEST_CASE("chunks never written are published as zeros, and another runtime reads them so",
          "[client][sharing]") {
  remora::Options options;
  auto nodes = remora::testing::start_nodes(2, options);
  remora::Runtime rt(remora::Options(options).dram_cache(4 << 20));
  // The first half written; the second never touched, so its chunks exist
  // nowhere until the publish writes their zeros home.
  auto a = rt.make_array<std::uint64_t>(elements);
  for (std::size_t i = 0; i < elements / 2;) {  // (a whole number of chunks)
    remora::DerefScope scope;
    for (auto& v : a.span_mut(scope, i)) v = 7 * i++ + 3;
  }
  auto view = rt.publish("half", std::move(a));
  remora::Runtime other(remora::Options(options).dram_cache(4 << 20));
  auto theirs = other.open_array<std::uint64_t>("half");
  REQUIRE(theirs.size() == elements);
  std::uint64_t wrong = 0;
  for (std::size_t i = 0; i < elements; ++i)
    wrong += theirs.read(i) != (i < elements / 2 ? 7 * i + 3 : 0);
  CHECK(wrong == 0);
  CHECK(other.stats().bytes_in > 0);  // from the nodes, zeros too
}

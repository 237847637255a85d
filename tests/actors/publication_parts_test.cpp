// A table of hundreds of thousands of chunks published through a real
// memory node: it goes in parts and is read back in slices, whole; a mend
// in parts replaces it; a publish refused at any part gives the publisher
// back every object it had sent; and a publisher killed between parts
// leaves nothing behind once its lease lapses.
#include <signal.h>

#include <algorithm>
#include <numeric>

#include "tests/actors/memnode_fixture.hpp"
#include "tests/support/eventually.hpp"

using namespace remora;
using testing::connect_client;
using testing::memnode_process;
using testing::require_error;
using transport::errc;

namespace {

// `n` new objects of 64 bytes from `first` on, allocated by `c`.
std::vector<std::uint64_t> objects_of(actors::node_client& c, std::uint64_t first, std::size_t n) {
  std::vector<std::uint64_t> ids(n);
  std::iota(ids.begin(), ids.end(), first);
  for (std::size_t at = 0; at < n; at += 50'000) {
    const std::size_t k = std::min<std::size_t>(50'000, n - at);
    const std::vector<std::uint32_t> sizes(k, 64);
    REQUIRE(c.allocate(std::span(ids).subspan(at, k), sizes).ok());
  }
  return ids;
}

// A description of `bytes` bytes that differs with `seed`.
std::vector<char> description_of(std::size_t bytes, unsigned seed) {
  std::vector<char> d(bytes);
  for (std::size_t i = 0; i < bytes; ++i) d[i] = static_cast<char>((i * 31 + seed) % 251);
  return d;
}

}  // namespace

TEST_CASE("a publication of 300,000 chunks goes in parts and reads back whole",
          "[memnode][publications]") {
  memnode_process node({"--capacity=256MiB"});
  actors::control_plane cp;
  auto publisher = connect_client(cp, node);
  auto reader = connect_client(cp, node);
  // 2.3 MiB of ids and 5 MiB of description: six parts of 1 MiB.
  const auto ids = objects_of(*publisher, 1, 300'000);
  const auto description = description_of((5 << 20) + 123, 1);
  auto took = publisher->publish(77, "t", description, ids);
  INFO((took ? std::string() : took.err().message));
  REQUIRE(took.ok());
  CHECK(*took == ids.size());
  auto opened = reader->open("t");
  REQUIRE(opened.ok());
  CHECK(opened->id == 77);
  CHECK(std::ranges::equal(opened->description, description));  // every slice, in order
  CHECK(publisher->stats()->published == 1);
  // The publication's objects are its own now: the publisher cannot free them.
  require_error(publisher->free(std::span(ids).first(1)).err(), errc::unknown_object);

  // A mend in parts: the new description is what the next open reads.
  const auto rebuilt = objects_of(*publisher, 1'000'001, 200'000);
  const auto mended = description_of((3 << 20) + 7, 2);
  REQUIRE(publisher->mend(77, mended, rebuilt).ok());
  auto again = reader->open("t");
  REQUIRE(again.ok());
  CHECK(std::ranges::equal(again->description, mended));
  require_error(publisher->free(std::span(rebuilt).first(1)).err(), errc::unknown_object);

  // Refused at the last part (an id not the publisher's), at a middle part,
  // or for its name: each time every object sent is the publisher's again.
  auto mine = objects_of(*publisher, 2'000'001, 300'000);
  auto bad_last = mine;
  bad_last.back() = 999'999'999;
  require_error(publisher->publish(78, "u", description, bad_last).err(), errc::unknown_object);
  auto bad_middle = mine;
  bad_middle[150'000] = 999'999'999;  // in the second part of 131,072 ids
  require_error(publisher->publish(79, "u", description, bad_middle).err(), errc::unknown_object);
  require_error(publisher->publish(80, "t", description, mine).err(), errc::already_exists);
  CHECK(publisher->stats()->published == 1);
  auto freed = publisher->free(mine);
  REQUIRE(freed.ok());
  CHECK(*freed == mine.size());

  // Unpublished and every view closed: the 500,000 objects go.
  REQUIRE(publisher->unpublish("t").ok());
  REQUIRE(reader->close(77).ok());
  REQUIRE(reader->close(77).ok());
  auto last = publisher->close(77);
  REQUIRE(last.ok());
  CHECK(*last == ids.size() + rebuilt.size());
  CHECK(publisher->stats()->objects == 0);
}

TEST_CASE("a publisher killed between the parts of a publication leaves nothing behind",
          "[memnode][publications]") {
  memnode_process node({"--capacity=64MiB", "--lease-grace=1s"});
  actors::control_plane cp;
  auto watcher = connect_client(cp, node);
  testing::child_process publisher(
      {REMORA_STAGE_CLIENT, "127.0.0.1:" + std::to_string(node.port), "10000"});
  auto line = publisher.wait_for_line("staged", std::chrono::seconds(30));
  REQUIRE(line.has_value());
  CHECK(*line == "staged 10000");
  CHECK(watcher->stats()->objects == 10'000);  // the staged publication's now
  publisher.signal(SIGKILL);
  // Once its lease lapses, what it staged is freed with its own objects.
  CHECK(testing::eventually(
      [&] {
        auto s = watcher->stats();
        return s && s->objects == 0 && s->objects_reclaimed == 10'000;
      },
      std::chrono::seconds(20)));
  CHECK(watcher->stats()->leases_lapsed == 1);
  CHECK(watcher->stats()->publications_held == 0);
}

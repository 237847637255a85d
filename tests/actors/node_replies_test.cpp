// A node's answers are taken only in the shape asked for: about objects
// (alloc, place, lookup), each object's slot in order; a blob store's get,
// a value a key whose pieces hold its bytes. Anything else is the node's
// protocol error, never indexed past, written into or read past.
#include "actors/node_replies.hpp"

#include <catch2/catch.hpp>

using remora::actors::blob_reply;
using remora::actors::slots_for;
using remora::actors::values_for;
using remora::storage::object_id;
using remora::storage::object_location;
using remora::transport::errc;
using remora::transport::error;
using remora::transport::result;

namespace {

std::vector<object_location> slots(std::initializer_list<object_id> ids) {
  std::vector<object_location> out;
  for (object_id id : ids) out.push_back({id, id * 4096, 1, 64, 128});
  return out;
}

}  // namespace

TEST_CASE("a node's answer must name each object asked about, in order", "[messages]") {
  const std::vector<object_id> asked{7, 9, 11};

  auto whole = slots_for(asked, slots({7, 9, 11}), "127.0.0.1:4242", "alloc");
  REQUIRE(whole);
  REQUIRE(whole->size() == 3);
  CHECK((*whole)[1].id == 9);
  CHECK((*whole)[1].offset == 9 * 4096);

  auto shorter = slots_for(asked, slots({7, 9}), "127.0.0.1:4242", "alloc");
  REQUIRE(!shorter);
  CHECK(shorter.err().code == errc::protocol);
  CHECK_THAT(shorter.err().message,
             Catch::Contains("127.0.0.1:4242 answered alloc of 3 objects with 2 slots"));

  auto longer = slots_for(asked, slots({7, 9, 11, 13}), "n", "lookup");
  REQUIRE(!longer);
  CHECK(longer.err().code == errc::protocol);

  auto swapped = slots_for(asked, slots({7, 11, 9}), "n", "place");
  REQUIRE(!swapped);
  CHECK(swapped.err().code == errc::protocol);
  CHECK_THAT(swapped.err().message, Catch::Contains("object 11's slot in place 1"));

  // A refusal passes through as it is.
  auto refused = slots_for(
      asked, result<std::vector<object_location>>(error{errc::no_space, "quota"}), "n", "alloc");
  REQUIRE(!refused);
  CHECK(refused.err().code == errc::no_space);

  // Nothing asked, nothing answered.
  CHECK(slots_for({}, slots({}), "n", "lookup"));
}

TEST_CASE("a node's blob values must be one a key, their pieces holding their bytes",
          "[messages]") {
  const auto piece = [](object_id id, std::uint32_t size) {
    return object_location{id, id * 4096, 1, size, size + 64};
  };
  std::vector<blob_reply> values{{true, 300, {piece(1, 200), piece(2, 100)}}, {false, 0, {}}};

  auto whole = values_for(2, values, true, "n");
  REQUIRE(whole);
  CHECK((*whole)[0].pieces.size() == 2);
  CHECK(!(*whole)[1].found);

  auto fewer = values_for(3, values, true, "127.0.0.1:4242");
  REQUIRE(!fewer);
  CHECK(fewer.err().code == errc::protocol);
  CHECK_THAT(fewer.err().message,
             Catch::Contains("127.0.0.1:4242 answered blob_get of 3 keys with 2 values"));

  // Pieces holding more than the value's size would be read past the
  // buffer its size gave; fewer would leave part of it unread.
  for (std::uint32_t last : {101u, 99u}) {
    auto misfit = values;
    misfit[0].pieces[1] = piece(2, last);
    auto got = values_for(2, misfit, true, "n");
    REQUIRE(!got);
    CHECK(got.err().code == errc::protocol);
    CHECK_THAT(got.err().message, Catch::Contains("a value of 300 bytes in place 0"));
  }

  // Not located (a test of presence): no pieces are expected.
  std::vector<blob_reply> present{{true, 300, {}}};
  CHECK(values_for(1, present, false, "n"));
  CHECK(!values_for(1, present, true, "n"));
}

// The memory node's register of published arrays, alone: names per tenant,
// views per client, when a publication is to be freed, and who may mend
// its description.
#include "actors/publications.hpp"

#include <catch2/catch.hpp>

using remora::actors::publications;
using remora::transport::errc;

TEST_CASE("a publication is freed once unpublished and its last view closed", "[publications]") {
  publications p;
  const std::vector<char> d{'x'};
  REQUIRE(p.add(0, "t", 100, d, 1).ok());
  CHECK(p.add(0, "t", 101, d, 1).err().code == errc::already_exists);
  CHECK(p.add(0, "u", 100, d, 1).err().code == errc::already_exists);  // the id
  CHECK(p.add(0, "", 102, d, 1).err().code == errc::invalid_argument);
  REQUIRE(p.add(1, "t", 103, d, 1).ok());  // another tenant's own "t"
  auto o = p.open(0, "t", 2);
  REQUIRE(o.ok());
  CHECK(o->id == 100);
  CHECK(o->description == d);
  REQUIRE(p.open(0, "t", 2).ok());  // client 2 holds two views
  CHECK(p.open(2, "t", 2).err().code == errc::unknown_object);
  CHECK(p.close(1, 100, 2).err().code == errc::unknown_object);  // not tenant 1's
  CHECK(p.close(0, 100, 3).err().code == errc::unknown_object);  // 3 holds none

  auto removed = p.remove(0, "t");
  REQUIRE(removed.ok());
  CHECK_FALSE(removed->has_value());  // views are open
  CHECK(p.open(0, "t", 4).err().code == errc::unknown_object);
  CHECK(p.named() == 1);
  CHECK(p.held() == 2);
  CHECK_FALSE(p.close(0, 100, 1)->has_value());  // the publisher's view
  CHECK_FALSE(p.close(0, 100, 2)->has_value());
  auto last = p.close(0, 100, 2);
  REQUIRE(last.ok());
  CHECK(last->value() == 100);
  CHECK(p.held() == 1);
}

TEST_CASE("a viewer that is gone closes its views, and retract undoes a publish", "[publications]") {
  publications p;
  REQUIRE(p.add(0, "t", 100, {}, 1).ok());
  REQUIRE(p.open(0, "t", 2).ok());
  CHECK(p.retract(0, 100, 1).err().code == errc::invalid_argument);  // 2 views it
  REQUIRE(p.remove(0, "t").ok());
  CHECK(p.forget(1).empty());
  CHECK(p.forget(2) == std::vector<std::uint64_t>{100});
  CHECK(p.held() == 0);

  REQUIRE(p.add(0, "t", 200, {}, 1).ok());
  CHECK(p.retract(0, 200, 2).err().code == errc::invalid_argument);
  REQUIRE(p.retract(0, 200, 1).ok());
  CHECK(p.named() == 0);
  CHECK(p.held() == 0);
  REQUIRE(p.add(0, "t", 201, {}, 1).ok());  // the name is free again
}

TEST_CASE("a viewer mends a publication's description, and no one else may", "[publications]") {
  publications p;
  REQUIRE(p.add(0, "t", 100, {'a'}, 1).ok());
  CHECK(p.mend(0, 100, {'b'}, 2).err().code == errc::invalid_argument);  // 2 views none
  CHECK(p.mend(1, 100, {'b'}, 1).err().code == errc::unknown_object);    // not tenant 1's
  CHECK(p.mend(0, 101, {'b'}, 1).err().code == errc::unknown_object);
  CHECK(p.open(0, "t", 3)->description == std::vector<char>{'a'});
  REQUIRE(p.mend(0, 100, {'b'}, 1).ok());
  CHECK(p.open(0, "t", 3)->description == std::vector<char>{'b'});
  REQUIRE(p.remove(0, "t").ok());
  CHECK(p.mend(0, 100, {'c'}, 1).err().code == errc::unknown_object);  // unpublished
}

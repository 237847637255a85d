// The memory node's register of published arrays, alone: names per tenant,
// views per client, when a publication is to be freed, and who may mend
// its description.
#include "actors/publications.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

using remora::actors::publications;
using remora::transport::errc;
using bytes = remora::storage::huge_vector<char>;

TEST_CASE("a publication is freed once unpublished and its last view closed", "[publications]") {
  publications p;
  const bytes d{'x'};
  REQUIRE(p.add(0, "t", 100, d, 1).ok());
  CHECK(p.add(0, "t", 101, d, 1).err().code == errc::already_exists);
  CHECK(p.add(0, "u", 100, d, 1).err().code == errc::already_exists);  // the id
  CHECK(p.add(0, "", 102, d, 1).err().code == errc::invalid_argument);
  REQUIRE(p.add(1, "t", 103, d, 1).ok());  // another tenant's own "t"
  auto o = p.open(0, "t", 2, 64);
  REQUIRE(o.ok());
  CHECK(o->id == 100);
  CHECK(std::ranges::equal(o->description, d));
  REQUIRE(p.open(0, "t", 2, 64).ok());  // client 2 holds two views
  CHECK(p.open(2, "t", 2, 64).err().code == errc::unknown_object);
  CHECK(p.close(1, 100, 2).err().code == errc::unknown_object);  // not tenant 1's
  CHECK(p.close(0, 100, 3).err().code == errc::unknown_object);  // 3 holds none

  auto removed = p.remove(0, "t");
  REQUIRE(removed.ok());
  CHECK_FALSE(removed->has_value());  // views are open
  CHECK(p.open(0, "t", 4, 64).err().code == errc::unknown_object);
  CHECK(p.named() == 1);
  CHECK(p.held() == 2);
  CHECK_FALSE(p.close(0, 100, 1)->has_value());  // the publisher's view
  CHECK_FALSE(p.close(0, 100, 2)->has_value());
  auto last = p.close(0, 100, 2);
  REQUIRE(last.ok());
  CHECK(last->value() == 100);
  CHECK(p.held() == 1);
}

TEST_CASE("a viewer that is gone closes its views, and retract undoes a publish",
          "[publications]") {
  publications p;
  REQUIRE(p.add(0, "t", 100, {}, 1).ok());
  REQUIRE(p.open(0, "t", 2, 64).ok());
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
  CHECK(p.open(0, "t", 3, 64)->description == std::vector<char>{'a'});
  REQUIRE(p.mend(0, 100, {'b'}, 1).ok());
  CHECK(p.open(0, "t", 3, 64)->description == std::vector<char>{'b'});
  REQUIRE(p.remove(0, "t").ok());
  CHECK(p.mend(0, 100, {'c'}, 1).err().code == errc::unknown_object);  // unpublished
}

TEST_CASE("a description is read in slices, and a mend shows as a new generation",
          "[publications]") {
  publications p;
  bytes d(10);
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<char>('a' + i);
  REQUIRE(p.add(0, "t", 100, d, 1).ok());
  auto o = p.open(0, "t", 2, 4);
  REQUIRE(o.ok());
  CHECK(o->description_bytes == 10);
  CHECK(o->description == std::vector<char>(d.begin(), d.begin() + 4));
  auto rest = p.describe(0, 100, 2, 8, 4);
  REQUIRE(rest.ok());
  CHECK(rest->offset == 8);
  CHECK(rest->description == std::vector<char>{'i', 'j'});
  CHECK(p.describe(0, 100, 2, 10, 4)->description.empty());
  CHECK(p.describe(0, 100, 2, 11, 4).err().code == errc::out_of_range);
  CHECK(p.describe(0, 100, 3, 0, 4).err().code == errc::unknown_object);  // 3 holds no view
  CHECK(p.describe(1, 100, 2, 0, 4).err().code == errc::unknown_object);  // not tenant 1's
  const auto before = o->generation;
  REQUIRE(p.mend(0, 100, {'z'}, 2).ok());
  auto after = p.describe(0, 100, 2, 0, 4);
  REQUIRE(after.ok());
  CHECK(after->generation == before + 1);
  CHECK(after->description_bytes == 1);
}

TEST_CASE("parts of a description come in order from one client, and end with its publish",
          "[publications]") {
  using staging = publications::staging;
  publications p;
  const std::vector<char> ab{'a', 'b'}, c{'c'};
  CHECK(p.stage(0, 100, 1, 4, 1, ab).err().code == errc::invalid_argument);  // no part 0
  REQUIRE(p.stage(0, 100, 1, 4, 0, ab).value() == staging::publish);
  CHECK(p.staged(100));
  CHECK(p.staged_by_other(100, 2));
  CHECK_FALSE(p.staged_by_other(100, 1));
  CHECK(p.stage(0, 100, 2, 4, 1, c).err().code == errc::already_exists);    // not 2's
  CHECK(p.stage(0, 100, 1, 4, 2, c).err().code == errc::invalid_argument);  // part 1 is due
  CHECK(p.stage(0, 100, 1, 5, 1, c).err().code == errc::invalid_argument);  // another total
  CHECK(p.stage(0, 100, 1, 4, 1, std::vector<char>{'c', 'd', 'e'}).err().code ==
        errc::invalid_argument);
  REQUIRE(p.stage(0, 100, 1, 4, 1, c).ok());
  CHECK_FALSE(p.take_staged(100, 2).has_value());
  auto part = p.take_staged(100, 1);
  REQUIRE(part.has_value());
  CHECK(part->kind == staging::publish);
  CHECK(part->description_bytes == 4);
  CHECK(part->description == bytes{'a', 'b', 'c'});
  CHECK_FALSE(p.staged(100));
  CHECK(p.stage(0, 200, 1, publications::most_description_bytes + 1, 0, ab).err().code ==
        errc::invalid_argument);
  for (std::uint64_t id = 300; id < 300 + publications::most_stagings; ++id)
    REQUIRE(p.stage(0, id, 1, 4, 0, ab).ok());
  CHECK(p.stage(0, 400, 1, 4, 0, ab).err().code == errc::invalid_argument);  // too many at once
  REQUIRE(p.stage(0, 400, 2, 4, 0, ab).ok());  // another client's are its own
}

TEST_CASE("parts of a mend need a view, and a viewer gone takes what it staged with it",
          "[publications]") {
  using staging = publications::staging;
  publications p;
  REQUIRE(p.add(0, "t", 100, {'a'}, 1).ok());
  CHECK(p.stage(0, 100, 2, 2, 0, std::vector<char>{'b'}).err().code ==
        errc::unknown_object);  // 2 views none
  CHECK(p.stage(1, 100, 1, 2, 0, std::vector<char>{'b'}).err().code ==
        errc::unknown_object);  // not tenant 1's
  REQUIRE(p.stage(0, 100, 1, 2, 0, std::vector<char>{'b'}).value() == staging::mend);
  REQUIRE(p.stage(0, 200, 1, 2, 0, std::vector<char>{'x'}).value() == staging::publish);
  REQUIRE(p.stage(0, 300, 2, 2, 0, std::vector<char>{'y'}).value() == staging::publish);
  auto freed = p.forget(1);                         // 1's view of 100 closes; 100 stays published
  CHECK(freed == std::vector<std::uint64_t>{200});  // what 200 took goes
  CHECK_FALSE(p.staged(100));
  CHECK_FALSE(p.staged(200));
  CHECK(p.staged(300));

  REQUIRE(p.open(0, "t", 3, 64).ok());
  REQUIRE(p.stage(0, 100, 3, 2, 0, std::vector<char>{'b'}).ok());
  REQUIRE(p.remove(0, "t").ok());
  CHECK(p.close(0, 100, 3).value() == std::optional<std::uint64_t>{100});
  CHECK_FALSE(p.staged(100));  // freed with the publication
}

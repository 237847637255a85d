#include "storage/spill_store.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

using namespace remora::storage;
using remora::transport::errc;

namespace {

/// A fresh directory under /tmp, removed with everything in it.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string pattern = "/tmp/remora-spill-test-XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::string sub(const char* name) const { return (path / name).string(); }
};

std::vector<std::byte> spilled_payload(object_id id, std::size_t size) {
  std::vector<std::byte> p(size);
  for (std::size_t i = 0; i < size; ++i) p[i] = static_cast<std::byte>((id >> (i % 8 * 8)) + i);
  return p;
}

/// Distinct, non-zero, spread over the key space.
object_id id_of(std::size_t i) {
  return (i + 1) * 0x9e3779b97f4a7c15ULL;
}

}  // namespace

TEST_CASE("10,000 objects of mixed sizes round-trip through the spill store", "[storage][spill]") {
  temp_dir tmp;
  auto store = spill_store::open(tmp.sub("not/yet/there"));
  REQUIRE(store.ok());
  spill_store& spill = **store;

  constexpr std::size_t count = 10'000;
  const std::size_t sizes[] = {0, 1, 63, 500, 4096, 12'000};
  std::mt19937 rng(7);
  std::vector<std::size_t> size_of(count);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    size_of[i] = sizes[rng() % std::size(sizes)];
    total += size_of[i];
    const auto r =
        spill.put(id_of(i), static_cast<std::uint32_t>(i), spilled_payload(id_of(i), size_of[i]));
    REQUIRE(r.ok());
  }
  CHECK(spill.objects() == count);
  CHECK(spill.bytes() == total);

  std::size_t wrong = 0;
  for (std::size_t i = 0; i < count; ++i) {
    auto got = spill.get(id_of(i));
    REQUIRE(got.ok());
    wrong += got->first != i || got->second != spilled_payload(id_of(i), size_of[i]);
  }
  CHECK(wrong == 0);

  // Replacing an object keeps the counts exact.
  REQUIRE(spill.put(id_of(0), 99, spilled_payload(1, 777)).ok());
  total += 777 - size_of[0];
  CHECK(spill.objects() == count);
  CHECK(spill.bytes() == total);
  auto replaced = spill.get(id_of(0));
  REQUIRE(replaced.ok());
  CHECK(replaced->first == 99);
  CHECK(replaced->second == spilled_payload(1, 777));
  size_of[0] = 777;

  for (std::size_t i = 0; i < count; i += 2) {
    REQUIRE(spill.erase(id_of(i)).ok());
    total -= size_of[i];
  }
  CHECK(spill.objects() == count / 2);
  CHECK(spill.bytes() == total);
  for (std::size_t i = 0; i < count; ++i) {
    auto got = spill.get(id_of(i));
    if (i % 2 == 0) {
      REQUIRE_FALSE(got.ok());
      REQUIRE(got.err().code == errc::unknown_object);
    } else {
      REQUIRE(got.ok());
      wrong += got->second != spilled_payload(id_of(i), size_of[i]);
    }
  }
  CHECK(wrong == 0);
}

TEST_CASE("unknown ids are reported as unknown_object", "[storage][spill]") {
  temp_dir tmp;
  auto store = spill_store::open(tmp.sub("spill"));
  REQUIRE(store.ok());
  auto got = (*store)->get(42);
  REQUIRE_FALSE(got.ok());
  CHECK(got.err().code == errc::unknown_object);
  CHECK(got.err().message.find("object 42") != std::string::npos);
  auto erased = (*store)->erase(42);
  REQUIRE_FALSE(erased.ok());
  CHECK(erased.err().code == errc::unknown_object);
  CHECK((*store)->objects() == 0);
}

TEST_CASE("opening a spill directory wipes what it held", "[storage][spill]") {
  temp_dir tmp;
  const std::string dir = tmp.sub("spill");
  {
    auto store = spill_store::open(dir);
    REQUIRE(store.ok());
    for (object_id id = 1; id <= 100; ++id)
      REQUIRE((*store)->put(id, 1, spilled_payload(id, 1000)).ok());
  }
  auto reopened = spill_store::open(dir);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->objects() == 0);
  CHECK((*reopened)->bytes() == 0);
  auto got = (*reopened)->get(1);
  REQUIRE_FALSE(got.ok());
  CHECK(got.err().code == errc::unknown_object);
}

TEST_CASE("a spill directory in use is refused with a clear error", "[storage][spill]") {
  temp_dir tmp;
  const std::string dir = tmp.sub("spill");
  auto first = spill_store::open(dir);
  REQUIRE(first.ok());
  REQUIRE((*first)->put(1, 1, spilled_payload(1, 10)).ok());

  auto second = spill_store::open(dir);
  REQUIRE_FALSE(second.ok());
  CHECK(second.err().code == errc::io);
  CHECK(second.err().message.find(dir) != std::string::npos);
  CHECK(second.err().message.find("another memory node may be using it") != std::string::npos);

  // Another process is refused the same way; the child only reports back.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto r = spill_store::open(dir);
    const bool refused = !r.ok() && r.err().code == errc::io &&
                         r.err().message.find("another memory node") != std::string::npos;
    ::_exit(refused ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);

  // The refused opens left the first store's contents alone.
  auto got = (*first)->get(1);
  REQUIRE(got.ok());
  CHECK(got->second == spilled_payload(1, 10));
  first = remora::transport::error{errc::io, "closed"};
  CHECK(spill_store::open(dir).ok());
}

TEST_CASE("a spill directory that cannot be created is an io error", "[storage][spill]") {
  auto store = spill_store::open("/proc/remora-no-such-dir/spill");
  REQUIRE_FALSE(store.ok());
  CHECK(store.err().code == errc::io);
  CHECK(store.err().message.find("/proc/remora-no-such-dir/spill") != std::string::npos);
}

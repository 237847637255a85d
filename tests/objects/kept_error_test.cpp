// Errors of the out-of-line steps the inline access paths call
// (deref_scope.hpp): a failed step keeps its error and says so, and the
// inline path throws it with its type and message; each thread keeps its
// own; a deref whose slow path fails throws what that path threw.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "objects/record_pool.hpp"
#include "remora/detail/object_record.hpp"
#include "remora/errors.hpp"

using namespace remora::detail;

namespace {

// A runtime whose slow deref fails with OutOfMemory, or hands out `payload`.
class failing_runtime final : public object_runtime {
 public:
  bool fails = true;
  alignas(8) std::byte payload[64] = {};

  void* deref_slow(object_record*, bool, bool) override {
    if (fails) throw remora::OutOfMemory("no room for the object");
    return payload;
  }
  void fetch_many(std::span<object_record* const>) override {}
  bool read_part(object_record*, std::uint32_t, std::span<std::byte>) override { return false; }
  std::unique_ptr<prefetch_session> follow(prefetch_plan) override { return nullptr; }
  object_record* create(std::uint32_t, void (*)(void*, void*), void*) override { return nullptr; }
  object_record* create_zeroed(std::uint32_t) override { return nullptr; }
  void release(object_record*) noexcept override {}
  void* deref_device(object_record*) override { return nullptr; }
};

// Keeps `e` as the calling thread's error, as a failed step does.
template <class E>
void keep(const E& e) {
  try {
    throw e;
  } catch (...) {
    keep_error();
  }
}

}  // namespace

TEST_CASE("a kept error is thrown with its type and message, once", "[objects][kept_error]") {
  keep(remora::InvalidObject("index 9 is past the end"));
  try {
    raise_kept();
    FAIL("raise_kept returned");
  } catch (const remora::InvalidObject& e) {
    CHECK(std::string(e.what()).find("index 9 is past the end") != std::string::npos);
  }
  // Thrown, it is no longer kept: a second raise has nothing to throw.
  CHECK_THROWS_AS(raise_kept(), std::logic_error);
}

TEST_CASE("each thread keeps its own error", "[objects][kept_error]") {
  keep(remora::AccessConflict("another thread writes it"));
  bool other_had_none = false;
  std::thread other([&] {
    try {
      raise_kept();
    } catch (const std::logic_error&) {
      other_had_none = true;
    } catch (...) {
    }
  });
  other.join();
  CHECK(other_had_none);
  CHECK_THROWS_AS(raise_kept(), remora::AccessConflict);
}

TEST_CASE(
    "a deref whose slow path fails throws that path's error, and one that succeeds returns "
    "its payload",
    "[objects][kept_error]") {
  failing_runtime rt;
  remora::objects::record_pool pool;
  object_record* record = pool.make();  // absent: a deref takes the slow path
  {
    remora::DerefScope scope;
    CHECK(deref_slow_kept(record, &rt, false, false) == nullptr);
    CHECK_THROWS_AS(raise_kept(), remora::OutOfMemory);
    CHECK_THROWS_WITH(deref_address(record, &rt, false), Catch::Contains("no room for the object"));
    rt.fails = false;
    std::memcpy(rt.payload, "bytes", 6);
    CHECK(std::memcmp(deref_address(record, &rt, true), "bytes", 6) == 0);
  }
  pool.destroy(record);
}

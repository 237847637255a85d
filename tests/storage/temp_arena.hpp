// A memory node's arena over a spill directory of its own, removed with it:
// what the arena tests start from.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "storage/arena.hpp"
#include "transport/context.hpp"

namespace remora::storage::testing {

class temp_arena {
 public:
  /// `o` without its spill_dir, which the arena gets here.
  explicit temp_arena(arena::options o) {
    REQUIRE(::mkdtemp(dir_.data()) != nullptr);
    auto ctx = transport::context::create();
    REQUIRE(ctx.ok());
    ctx_ = std::move(*ctx);
    o.spill_dir = dir_ + "/spill";
    auto a = arena::open(*ctx_, o);
    REQUIRE(a.ok());
    arena_ = std::move(*a);
  }
  ~temp_arena() {
    arena_.reset();
    std::filesystem::remove_all(dir_);
  }
  temp_arena(const temp_arena&) = delete;
  temp_arena& operator=(const temp_arena&) = delete;

  arena& operator*() { return *arena_; }

 private:
  std::string dir_ = "/tmp/remora-arena-test-XXXXXX";
  std::unique_ptr<transport::context> ctx_;
  std::unique_ptr<arena> arena_;
};

}  // namespace remora::storage::testing

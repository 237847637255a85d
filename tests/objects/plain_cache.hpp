// A local cache of `bytes` over plain memory, for the unit tests of objects/.
#pragma once

#include <catch2/catch.hpp>

#include <memory>

#include "objects/local_cache.hpp"
#include "storage/tier_memory.hpp"

namespace remora::testing {

inline std::unique_ptr<objects::local_cache> plain_cache(std::size_t bytes) {
  auto memory = storage::open_plain_tier(bytes);
  REQUIRE(memory.ok());
  auto cache = objects::local_cache::create(std::move(memory).value());
  REQUIRE(cache.ok());
  return std::move(cache).value();
}

}  // namespace remora::testing

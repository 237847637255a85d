// random_id: a fresh 64-bit id for what the object core names in the pool
// (objects; the erasure store's spans and parity objects). Random, so that
// runtimes need no coordination to keep them apart; never 0.
//
// Thread-safety: each thread draws from its own generator.
#pragma once

#include <cstdint>
#include <random>

namespace remora::objects {

inline std::uint64_t random_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uint64_t id = 0;
  while (id == 0) id = random();
  return id;
}

}  // namespace remora::objects

// random_id: a fresh 64-bit id for what the object core names in the pool
// (objects; the erasure store's spans and parity objects). Random, so that
// runtimes need no coordination to keep them apart; never 0.
//
// Thread-safety: each thread draws from its own generator.
#pragma once

#include <cstdint>
#include <random>

namespace remora::objects {

// SplitMix64 over a per-thread state seeded from the system: 8 bytes of
// thread-local storage, so that the library's static TLS stays small enough
// for a module loaded at run time (python3 dlopen()s remora's).
inline std::uint64_t random_id() {
  thread_local std::uint64_t state = [] {
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device();
  }();
  std::uint64_t id = 0;
  while (id == 0) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    id = z ^ (z >> 31);
  }
  return id;
}

}  // namespace remora::objects

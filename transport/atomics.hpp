// One-sided 64-bit atomics on a peer's registered region: compare-and-swap
// and add. Over shared memory they are the CPU's own atomic instructions on
// the shared page, so they are atomic with respect to the owner's
// std::atomic_ref operations on the same word; over TCP UCX emulates them in
// the owner's progress thread, also atomically.
//
// Thread-safety: the thread that owns the endpoint's worker.
// REQUIRES: offsets are 8-byte aligned.
#pragma once

#include <cstdint>

#include "transport/deadline.hpp"
#include "transport/remote_region.hpp"
#include "transport/result.hpp"

namespace remora::transport {

/// Atomically: if the word at `offset` equals `expected`, store `desired`.
/// Returns the word's previous value (equal to `expected` iff it swapped).
result<std::uint64_t> compare_swap(const remote_region& at, std::uint64_t offset,
                                   std::uint64_t expected, std::uint64_t desired, deadline until);

/// Atomically adds `value` (mod 2^64) to the word at `offset`, and waits
/// until the add is complete at the peer.
result<void> atomic_add(const remote_region& at, std::uint64_t offset, std::uint64_t value,
                        deadline until);

}  // namespace remora::transport

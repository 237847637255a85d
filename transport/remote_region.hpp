// remote_region: a peer's registered region as seen through one endpoint:
// its base address and size, and the unpacked UCX remote key. Offsets given
// to get/put are relative to the region and checked against its size, so a
// bad offset is an error here rather than a fault on the peer.
//
// Thread-safety: used by the thread that owns the endpoint's worker.
// REQUIRES: destroyed before its endpoint.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <ucp/api/ucp.h>

#include "transport/endpoint.hpp"
#include "transport/result.hpp"

namespace remora::transport {

/// Which 2 MiB stretches of a mapping have been faulted in; any thread may
/// claim one.
class stretch_set {
 public:
  static constexpr std::size_t stretch = 2 << 20;
  explicit stretch_set(std::size_t bytes) : words_((bytes / stretch + 64) / 64) {}
  /// True for the first caller that claims stretch `at`.
  bool claim(std::size_t at) {
    auto& word = words_.at(at / 64);
    const std::uint64_t bit = std::uint64_t{1} << (at % 64);
    if (word.load(std::memory_order_relaxed) & bit) return false;
    return (word.fetch_or(bit, std::memory_order_relaxed) & bit) == 0;
  }

 private:
  std::vector<std::atomic<std::uint64_t>> words_;
};

class remote_region {
 public:
  /// Unpacks a sealed key made by region::pack_key(). Errors: bad_key for a
  /// corrupt, truncated or foreign blob.
  static result<remote_region> unpack(endpoint& ep, std::span<const std::byte> sealed_key);

  remote_region(remote_region&& other) noexcept;
  remote_region& operator=(remote_region&& other) noexcept;
  ~remote_region();

  endpoint& link() const { return *endpoint_; }
  std::uint64_t base() const { return base_; }
  std::size_t size() const { return size_; }
  ucp_rkey_h rkey() const { return rkey_; }

  /// ok when [offset, offset + length) lies inside the region.
  result<void> check(std::uint64_t offset, std::size_t length) const;

  /// A hint that gets of [offset, offset + length) follow soon: where the
  /// region is mapped into this process (shared memory), the CPU starts
  /// loading those bytes, so a batch of small gets overlaps its cache
  /// misses instead of taking them one after another. Does nothing
  /// otherwise, or out of bounds.
  void prefetch(std::uint64_t offset, std::size_t length) const;
  /// prefetch() of [offset, offset + length) for each of `offsets`, with
  /// the loads started back to back: each one that misses the TLB holds the
  /// core's retirement until its translation is done, so hints issued apart
  /// (between a batch's other work) take their translations one by one.
  void prefetch(std::span<const std::uint64_t> offsets, std::size_t length) const;

  /// Whether the region is mapped into this process (shared memory).
  bool mapped() const { return mapped_ != nullptr; }

  /// A hint that puts to [offset, offset + length) follow: over shared
  /// memory, the first time they reach a 2 MiB stretch of the region, this
  /// process's mapping of all of it is faulted in with one call, where the
  /// puts' copies would take a fault per 4 KiB (a client filling a fresh
  /// node spent a third of its time in them). Does nothing otherwise.
  void prepare_puts(std::uint64_t offset, std::size_t length) const;

  /// prepare_puts, and over shared memory the CPU starts loading the first
  /// line of [offset, offset + length) to write it: an atomic on a cold
  /// line is a locked instruction the core cannot overlap with the next,
  /// so a batch of them asks for its lines ahead. Does nothing otherwise.
  void prefetch_for_puts(std::uint64_t offset, std::size_t length) const;

  /// Reads and local writes of the mapping (prefetch, copy_out, the *_in
  /// operations below) go through `view`'s mapping of the same region from
  /// now on: every unpacked key maps the region anew, and a fresh mapping
  /// faults its pages in one by one on first touch (several microseconds a
  /// page on a virtual machine), so the endpoints of many threads read and
  /// write through one. Does nothing unless both are mapped and name the
  /// same region. REQUIRES: `view` outlives this region's reads and writes.
  void read_through(const remote_region& view);

  /// Over shared memory, a one-sided write's steps as UCX's shared-memory
  /// transport does them (a locked compare-and-swap, a copy, a locked add),
  /// done here on the mapping reads go through, without UCX's requests:
  /// a page written home is then mapped for the reads that follow.
  /// compare_swap_in returns the word it found (the swap happened if it is
  /// `expected`). REQUIRES: mapped(); offsets of words 8-byte aligned.
  /// Errors: out_of_range; peer_unreachable when the endpoint was closed.
  result<std::uint64_t> compare_swap_in(std::uint64_t offset, std::uint64_t expected,
                                        std::uint64_t desired) const;
  result<void> copy_in(std::uint64_t offset, const void* from, std::size_t length) const;
  result<void> add_in(std::uint64_t offset, std::uint64_t value) const;

  /// What a get of [offset, offset + length) does over shared memory, a
  /// copy out of the mapping, without UCX's request and completion.
  /// REQUIRES: mapped(). Errors: out_of_range; peer_unreachable when the
  /// endpoint was closed (the peer given up), as a get would.
  result<void> copy_out(std::uint64_t offset, void* into, std::size_t length) const;

 private:
  remote_region(endpoint& ep, ucp_rkey_h rkey, std::uint64_t base, std::size_t size)
      : endpoint_(&ep), rkey_(rkey), base_(base), size_(size) {}

  // ok when [offset, offset + length) may be read or written through the
  // mapping: within the region, its endpoint open (a peer given up is not
  // touched, as a get or put would refuse it).
  result<void> may_touch(std::uint64_t offset, std::size_t length) const;

  endpoint* endpoint_;
  ucp_rkey_h rkey_;
  std::uint64_t base_;
  std::size_t size_;
  const std::byte* mapped_ = nullptr;   // the region in this process, if mapped
  std::byte* writable_ = nullptr;       // mapped_, to write through (prepare_puts, *_in)
  mutable std::vector<bool> prepared_;  // by 2 MiB stretch: faulted in for puts
  // By 2 MiB stretch of the mapping reads go through: faulted in for reads.
  // Shared with the regions that read through the same mapping.
  std::shared_ptr<stretch_set> read_ready_;

  // Over shared memory, the first read that reaches a 2 MiB stretch of the
  // mapping faults all of it in with one call: a fresh mapping takes a
  // fault per 4 KiB otherwise, and a client reading 256 KiB blobs spent a
  // fifth of its time in them.
  void prepare_reads(std::uint64_t offset, std::size_t length) const;
};

}  // namespace remora::transport

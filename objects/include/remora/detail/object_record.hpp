// object_record: the local face of one remote object, shared by every handle
// (UniquePtr, SharedPtr copies) that refers to it, at a stable address.
//
// A record has two parts in a record_pool chunk: its metadata word, in a
// dense array that the deref fast path walks (8 bytes an object), and the
// rest (this struct, 32 bytes), which only slow paths touch. The word's
// address follows from the record's by arithmetic (meta_word below).
//
//   chunk (4 MiB aligned):
//   [ meta words: 65536 x 8 B ][ records: 65536 x 32 B ][ cache indexes: 65536 x 4 B ]
//
// The metadata word:
//
//   63  62  61  60  59  58  57  56  55 .. 48  47 ................ 0
//   +---+---+---+---+---+---+---+---+--------+--------------------+
//   | P | D | H | E | F | R | S | G |   0    | payload's address  |
//   +---+---+---+---+---+---+---+---+--------+--------------------+
//   P present  the payload is in the local cache at the address
//   D dirty    written since it was fetched (or never written back)
//   H hot      dereferenced since the evacuator last looked
//   E evacuating  being written back and dropped: derefs wait
//   F fetching    absent, and one thread is fetching it: others wait
//   R prefetched  (bit 58) brought in by a prefetcher, not dereferenced yet;
//                 the evacuator takes such objects last
//   S scanned     (bit 57) last touched by a scan: the first to be evacuated
//   G device      (bit 56) the payload is in GPU memory (the HBM tier): host
//                 derefs take the slow path, which brings it to a host tier
//
// The fast path (deref of a present, hot object) is one load, one test and
// one mask; the slow path (object_runtime::deref_slow) fetches, sets H and D,
// and waits out E and F. A present object's address never changes until it is
// evacuated, and evacuation waits until no DerefScope that could have seen it
// is still open.
//
// The remote fields (node, offset, version) are written only by the thread
// that holds F (a fetch) or E (an evacuation), so they need no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "remora/deref_scope.hpp"
#include "remora/order.hpp"

namespace remora::detail {

inline constexpr std::uint64_t meta_present = 1ull << 63;
inline constexpr std::uint64_t meta_dirty = 1ull << 62;
inline constexpr std::uint64_t meta_hot = 1ull << 61;
inline constexpr std::uint64_t meta_evacuating = 1ull << 60;
inline constexpr std::uint64_t meta_fetching = 1ull << 59;
inline constexpr std::uint64_t meta_prefetched = 1ull << 58;
inline constexpr std::uint64_t meta_scanned = 1ull << 57;
inline constexpr std::uint64_t meta_device = 1ull << 56;
inline constexpr std::uint64_t meta_address = (1ull << 48) - 1;

static_assert((meta_address & (meta_present | meta_dirty | meta_hot | meta_evacuating |
                               meta_fetching | meta_prefetched | meta_scanned | meta_device)) == 0,
              "flags and address must not overlap");

inline constexpr std::size_t records_per_chunk = 1 << 16;
inline constexpr std::size_t record_chunk_bytes = 4u << 20;  // also the chunks' alignment
inline constexpr std::size_t record_meta_bytes = records_per_chunk * 8;

struct object_record {
  std::atomic<std::uint32_t> refs{1};  // handles (SharedPtr copies) alive
  std::uint32_t size = 0;              // payload bytes
  std::uint64_t id = 0;                // pool-wide object id, never 0
  std::uint32_t node = 0;              // the home node's index in the runtime
  std::uint32_t version = 0;           // the remote slot's version; 0: none yet
  std::uint64_t offset = 0;            // the remote slot's offset in its node's arena

  /// The record's metadata word. REQUIRES: the record lives in a record_pool.
  std::atomic<std::uint64_t>& meta() const {
    return *reinterpret_cast<std::atomic<std::uint64_t>*>(chunk() + index() * 8);
  }
  /// Where the local cache keeps the record in its CLOCK, while resident.
  /// Owned by the cache (under its lock).
  std::uint32_t& cache_index() const {
    return *reinterpret_cast<std::uint32_t*>(chunk() + record_meta_bytes +
                                             records_per_chunk * 32 + index() * 4);
  }

 private:
  std::uintptr_t chunk() const {
    return reinterpret_cast<std::uintptr_t>(this) & ~std::uintptr_t{record_chunk_bytes - 1};
  }
  std::uintptr_t index() const {
    return (reinterpret_cast<std::uintptr_t>(this) - chunk() - record_meta_bytes) / 32;
  }
};

static_assert(sizeof(object_record) == 32, "records pack 32 bytes each");
static_assert(record_meta_bytes + records_per_chunk * (sizeof(object_record) + 4) <=
              record_chunk_bytes);

/// What a prefetcher follows: the chunks of one array, its declared order (in
/// elements) and the reader's progress, which the reader publishes in
/// `cursor` (an element index for sequential and strided orders, the number
/// of elements read since the declaration otherwise) without a message.
struct prefetch_plan {
  const std::vector<object_record*>* chunks = nullptr;  // REQUIRES: outlives the session
  std::size_t elements_per_chunk = 1;
  std::size_t size = 0;  // elements
  order::declared order;
  std::shared_ptr<std::atomic<std::uint64_t>> cursor;
};

/// A running prefetcher; destroying it stops it (and waits for it).
class prefetch_session {
 public:
  virtual ~prefetch_session() = default;
};

/// The runtime as objects/ sees it: what the slow paths and handles call.
/// Implemented by the client runtime.
class object_runtime {
 public:
  /// Makes `r` present (fetching it if absent), sets H (and D when
  /// `for_write`; S when `scanning`: touched once), and returns the payload's
  /// address. Throws remora::Error.
  virtual void* deref_slow(object_record* r, bool for_write, bool scanning = false) = 0;
  /// Fetches, in batches, those of `records` that are absent (no H: they are
  /// about to be dereferenced). Best effort: what cannot be fetched now is
  /// left to the derefs.
  virtual void fetch_many(std::span<object_record* const> records) = 0;
  /// Starts a prefetcher that follows `plan` until the session is destroyed.
  virtual std::unique_ptr<prefetch_session> follow(prefetch_plan plan) = 0;
  /// Creates an object of `size` bytes, present and dirty, whose payload is
  /// written by `init`, and returns its record (refs == 1).
  virtual object_record* create(std::uint32_t size, void (*init)(void* payload, void* arg),
                                void* arg) = 0;
  /// The last handle is gone: frees the object locally and at its home.
  virtual void release(object_record* r) noexcept = 0;
  /// Makes `r` resident in the HBM tier (moving it there) and returns its
  /// device address. Throws ConfigError without an HBM tier.
  virtual void* deref_device(object_record* r) = 0;

 protected:
  ~object_runtime() = default;
};

/// The fast path shared by every handle. REQUIRES: r != nullptr, inside a DerefScope.
inline void* deref_address(object_record* r, object_runtime* rt, bool for_write) {
  const std::uint64_t m = r->meta().load(std::memory_order_acquire);
  const std::uint64_t want = meta_present | meta_hot | (for_write ? meta_dirty : 0);
  if ((m & (want | meta_evacuating | meta_prefetched | meta_device)) == want) [[likely]] {
    count(this_thread.hits);
    return reinterpret_cast<void*>(m & meta_address);
  }
  return rt->deref_slow(r, for_write);
}

/// The device address of `r` in the HBM tier, for CUDA kernels.
/// REQUIRES: inside a DerefScope (it pins device residency as deref pins host
/// residency).
inline void* deref_device_address(object_record* r, object_runtime* rt) {
  const std::uint64_t m = r->meta().load(std::memory_order_acquire);
  const std::uint64_t want = meta_present | meta_hot | meta_device;
  if ((m & (want | meta_evacuating)) == want) [[likely]]
    return reinterpret_cast<void*>(m & meta_address);
  return rt->deref_device(r);
}

/// A touch-once deref for scans: an object not already hot is marked S, and
/// the evacuator takes S objects first, so a scan does not push hot objects
/// out. Protection by the DerefScope is the same as deref's.
inline void* deref_scanning(object_record* r, object_runtime* rt) {
  const std::uint64_t m = r->meta().load(std::memory_order_acquire);
  if ((m & (meta_present | meta_hot | meta_evacuating | meta_prefetched | meta_device)) ==
      (meta_present | meta_hot)) [[likely]] {
    count(this_thread.hits);
    return reinterpret_cast<void*>(m & meta_address);
  }
  return rt->deref_slow(r, false, true);
}

}  // namespace remora::detail

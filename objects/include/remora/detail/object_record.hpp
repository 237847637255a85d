// object_record: the local face of one remote object, shared by every handle
// (UniquePtr, SharedPtr copies) that refers to it, at a stable address.
//
// A record has two parts in a record_pool chunk: its metadata word, in a
// dense array that the deref fast path walks (8 bytes an object), and the
// rest (this struct, 32 bytes), which only slow paths touch. The word's
// address follows from the record's by arithmetic (meta_word below).
//
//   chunk (4 MiB aligned):
//   [ meta words: 93184 x 8 B ][ records: 93184 x 32 B ][ cache indexes: 93184 x 4 B ]
//   [ shared flags: 93184 x 1 B ]
//
// As many records as fill the chunk (45 bytes an object), not a power of
// two: the chunk sits in huge pages, so every byte of it is memory in use
// (with 65536 records, 64 bytes an object).
//
// The metadata word (meta_word.hpp) says where the object is locally and in
// which state; its transitions are meta_word's members. The fast path (deref
// of a present, hot object) is one load, one test and one mask; the slow path
// (object_runtime::deref_slow) fetches, sets H and D, and waits out E and F.
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
#include "remora/detail/meta_word.hpp"
#include "remora/order.hpp"

namespace remora::detail {

inline constexpr std::size_t records_per_chunk = 91 * 1024;
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
  meta_word& meta() const { return *reinterpret_cast<meta_word*>(chunk() + index() * 8); }
  /// Where the local cache keeps the record in its CLOCK, while resident.
  /// Owned by the cache (under its lock).
  std::uint32_t& cache_index() const {
    return *reinterpret_cast<std::uint32_t*>(chunk() + record_meta_bytes + records_per_chunk * 32 +
                                             index() * 4);
  }
  /// Whether the object belongs to a publication (a published array's
  /// chunk), 1 or 0. Owned by the object store (objects/sharing.cpp), which
  /// reads and writes it atomically.
  std::uint8_t& shared_flag() const {
    return *reinterpret_cast<std::uint8_t*>(chunk() + record_meta_bytes + records_per_chunk * 36 +
                                            index());
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
static_assert(record_meta_bytes + records_per_chunk * (sizeof(object_record) + 4 + 1) <=
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
  /// The reader published a new position in the plan's cursor.
  virtual void reader_moved() = 0;
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
  /// about to be dereferenced). Waits for room as a deref would, within the
  /// timeout; what still cannot be fetched is left to the derefs.
  virtual void fetch_many(std::span<object_record* const> records) = 0;
  /// Copies bytes [from, from + into.size()) of `r`'s payload from its home
  /// into `into` when `r` is absent, leaving it absent: nothing is cached.
  /// Returns false, having done nothing, when `r` is present or in transit
  /// (the caller derefs it instead). Throws as deref_slow does.
  virtual bool read_part(object_record* r, std::uint32_t from, std::span<std::byte> into) = 0;
  /// Whether Arrays check that threads meet on their chunks as the contract
  /// allows (Options::check_access; array_state::check_access).
  virtual bool checks_access() const { return false; }
  /// Starts a prefetcher that follows `plan` until the session is destroyed.
  virtual std::unique_ptr<prefetch_session> follow(prefetch_plan plan) = 0;
  /// Creates an object of `size` bytes, present and dirty, whose payload is
  /// written by `init`, and returns its record (refs == 1).
  virtual object_record* create(std::uint32_t size, void (*init)(void* payload, void* arg),
                                void* arg) = 0;
  /// Creates an object of `size` zero bytes, absent and never written: it
  /// takes no room anywhere until its first deref zeroes a slot for it
  /// (no read), and only once written does it go home. Returns its record
  /// (refs == 1).
  virtual object_record* create_zeroed(std::uint32_t size) = 0;
  /// The last handle is gone: frees the object locally and at its home.
  virtual void release(object_record* r) noexcept = 0;
  /// Makes `r` resident in the HBM tier (moving it there) and returns its
  /// device address. Throws ConfigError without an HBM tier.
  virtual void* deref_device(object_record* r) = 0;

 protected:
  ~object_runtime() = default;
};

/// rt->deref_slow, its error kept (deref_scope.hpp): null when it failed.
void* deref_slow_kept(object_record* r, object_runtime* rt, bool for_write, bool scanning) noexcept;

/// The fast path shared by every handle. A `scanning` deref is touch-once:
/// an object not already hot is marked S in the slow path, and the evacuator
/// takes S objects first, so a scan does not push hot objects out.
/// REQUIRES: r != nullptr, inside a DerefScope.
[[gnu::always_inline]] inline void* deref_address(object_record* r, object_runtime* rt,
                                                  bool for_write, bool scanning = false) {
  pin(r);
  const meta_state m = r->meta().load();
  if (m.host_fast(for_write)) [[likely]]
    return m.address();
  void* p = deref_slow_kept(r, rt, for_write, scanning);
  if (p == nullptr) [[unlikely]]
    raise_kept();
  return p;
}

/// The device address of `r` in the HBM tier, for CUDA kernels.
/// REQUIRES: inside a DerefScope (it pins device residency as deref pins host
/// residency).
inline void* deref_device_address(object_record* r, object_runtime* rt) {
  pin(r);
  const meta_state m = r->meta().load();
  if (m.device_fast()) [[likely]]
    return m.address();
  return rt->deref_device(r);
}

}  // namespace remora::detail

// record_pool: where object_records live. Records are carved from 4 MiB
// aligned chunks, densely and in creation order, with their metadata words in
// a separate dense array at the chunk's start (object_record.hpp draws it), so
// that walking objects made one after another walks 8 bytes of memory per
// object on the deref fast path. Freed records are reused.
//
// Thread-safety: all members may be called from any thread (one mutex).
#pragma once

#include <functional>
#include <vector>

#include "remora/detail/object_record.hpp"
#include "storage/huge_vector.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

class record_pool {
 public:
  record_pool() = default;
  ~record_pool();
  record_pool(const record_pool&) = delete;
  record_pool& operator=(const record_pool&) = delete;

  /// A fresh record (refs 1, everything else zero), retired until created
  /// (meta_word.hpp).
  detail::object_record* make();
  /// Retires `r` for reuse. REQUIRES: `r` came from make() and is not used
  /// any more.
  void destroy(detail::object_record* r);
  /// Visits up to `max` records made so far, live or retired, from `cursor`
  /// on (from 0 when `cursor` is past the last), until `visit` returns
  /// false (that record is visited again next time); advances `cursor`.
  /// True when the walk reached the last record. Records are never
  /// unmapped, so `visit` may look at a record's word while others make and
  /// destroy records; only a claim on its word makes the rest its own.
  bool walk(std::size_t& cursor, std::size_t max,
            const std::function<bool(detail::object_record*)>& visit);

 private:
  transport::mutex mutex_;
  std::vector<std::byte*> chunks_ REMORA_GUARDED_BY(mutex_);
  std::size_t used_in_last_ REMORA_GUARDED_BY(mutex_) = detail::records_per_chunk;
  // Records retired, for reuse: millions when a table's view closes.
  storage::huge_vector<detail::object_record*> free_ REMORA_GUARDED_BY(mutex_);
};

}  // namespace remora::objects

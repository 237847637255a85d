// record_pool: where object_records live. Records are carved from 4 MiB
// aligned chunks, densely and in creation order, with their metadata words in
// a separate dense array at the chunk's start (object_record.hpp draws it), so
// that walking objects made one after another walks 8 bytes of memory per
// object on the deref fast path. Freed records are reused.
//
// Thread-safety: all members may be called from any thread (one mutex).
#pragma once

#include <mutex>
#include <vector>

#include "remora/detail/object_record.hpp"

namespace remora::objects {

class record_pool {
 public:
  record_pool() = default;
  ~record_pool();
  record_pool(const record_pool&) = delete;
  record_pool& operator=(const record_pool&) = delete;

  /// A fresh record (refs 1, metadata word 0, everything else zero).
  detail::object_record* make();
  /// REQUIRES: `r` came from make() and is not used any more.
  void destroy(detail::object_record* r);

 private:
  std::mutex mutex_;
  std::vector<std::byte*> chunks_;             // GUARDED_BY(mutex_)
  std::size_t used_in_last_ = detail::records_per_chunk;  // GUARDED_BY(mutex_)
  std::vector<detail::object_record*> free_;   // GUARDED_BY(mutex_)
};

}  // namespace remora::objects

// record_pool: where object_records live. Records are carved from large
// chunks, densely and in creation order, so that walking objects made one
// after another walks memory in order too (the deref fast path reads the
// record's metadata word); freed records are reused.
//
// Thread-safety: all members may be called from any thread (one mutex).
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "remora/detail/object_record.hpp"

namespace remora::objects {

class record_pool {
 public:
  record_pool() = default;
  record_pool(const record_pool&) = delete;
  record_pool& operator=(const record_pool&) = delete;

  /// A fresh record (refs 1, everything else zero).
  detail::object_record* make();
  /// REQUIRES: `r` came from make() and is not used any more.
  void destroy(detail::object_record* r);

 private:
  static constexpr std::size_t chunk_records = 1 << 16;
  std::mutex mutex_;
  std::vector<std::unique_ptr<detail::object_record[]>> chunks_;  // GUARDED_BY(mutex_)
  std::size_t used_in_last_ = chunk_records;                      // GUARDED_BY(mutex_)
  std::vector<detail::object_record*> free_;                      // GUARDED_BY(mutex_)
};

}  // namespace remora::objects

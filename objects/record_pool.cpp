#include "objects/record_pool.hpp"

namespace remora::objects {

detail::object_record* record_pool::make() {
  detail::object_record* r;
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      r = free_.back();
      free_.pop_back();
    } else {
      if (used_in_last_ == chunk_records) {
        chunks_.push_back(std::make_unique<detail::object_record[]>(chunk_records));
        used_in_last_ = 0;
      }
      r = &chunks_.back()[used_in_last_++];
    }
  }
  r->meta.store(0, std::memory_order_relaxed);
  r->refs.store(1, std::memory_order_relaxed);
  r->size = 0;
  r->id = 0;
  r->node = 0;
  r->version = 0;
  r->offset = 0;
  return r;
}

void record_pool::destroy(detail::object_record* r) {
  std::lock_guard lock(mutex_);
  free_.push_back(r);
}

}  // namespace remora::objects

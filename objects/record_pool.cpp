#include "objects/record_pool.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace remora::objects {

using detail::object_record;

record_pool::~record_pool() {
  for (std::byte* chunk : chunks_) std::free(chunk);
}

object_record* record_pool::make() {
  object_record* r;
  {
    transport::lock_guard lock(mutex_);
    if (!free_.empty()) {
      r = free_.back();
      free_.pop_back();
    } else {
      if (used_in_last_ == detail::records_per_chunk) {
        void* chunk = std::aligned_alloc(detail::record_chunk_bytes, detail::record_chunk_bytes);
        if (chunk == nullptr) throw std::bad_alloc();
        // Huge pages where the kernel gives them on advice: a miss on a
        // random object touches its metadata word, its record and its CLOCK
        // index, three small pages apart; in one huge page they cost no
        // page walks. (Advice only: refused, small pages serve.)
        (void)::madvise(chunk, detail::record_chunk_bytes, MADV_HUGEPAGE);
        chunks_.push_back(static_cast<std::byte*>(chunk));
        used_in_last_ = 0;
      }
      std::byte* at =
          chunks_.back() + detail::record_meta_bytes + used_in_last_++ * sizeof(object_record);
      r = new (at) object_record;
      new (&r->meta()) detail::meta_word;
      r->meta().retire();  // until created (meta_word.hpp); walkers skip it
    }
  }
  r->refs.store(1, std::memory_order_relaxed);
  r->size = 0;
  r->id = 0;
  r->node = 0;
  r->version = 0;
  r->offset = 0;
  r->shared_flag() = 0;
  return r;
}

void record_pool::destroy(object_record* r) {
  r->meta().retire();
  transport::lock_guard lock(mutex_);
  free_.push_back(r);
}

bool record_pool::walk(std::size_t& cursor, std::size_t max,
                       const std::function<bool(object_record*)>& visit) {
  std::vector<std::byte*> chunks;
  std::size_t used_in_last;
  {
    transport::lock_guard lock(mutex_);
    chunks = chunks_;
    used_in_last = used_in_last_;
  }
  const std::size_t total =
      chunks.empty() ? 0 : (chunks.size() - 1) * detail::records_per_chunk + used_in_last;
  if (cursor >= total) cursor = 0;
  for (std::size_t n = 0; n < max && cursor < total; ++n, ++cursor) {
    std::byte* chunk = chunks[cursor / detail::records_per_chunk];
    if (!visit(reinterpret_cast<object_record*>(chunk + detail::record_meta_bytes +
                                                (cursor % detail::records_per_chunk) *
                                                    sizeof(object_record))))
      return false;
  }
  return cursor >= total;
}

}  // namespace remora::objects

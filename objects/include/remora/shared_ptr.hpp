// SharedPtr<T>: a copyable handle of one remote object; the object is freed
// everywhere when the last copy is reset or destroyed.
//
// Thread-safety: copies may live on different threads (the count is atomic);
// each copy is used by one thread at a time. Derefs from several threads see
// the same bytes; writes through deref_mut need the caller's own
// synchronisation, as with any shared memory. REQUIRES: the Runtime outlives
// every copy.
#pragma once

#include "remora/detail/handle.hpp"

namespace remora {

class Runtime;

template <class T>
/// deref, deref_mut, read, write and operator bool come from
/// detail::handle_access (handle.hpp).
class SharedPtr : public detail::handle_access<SharedPtr<T>, T> {
 public:
  SharedPtr() = default;
  SharedPtr(const SharedPtr& other) noexcept : record_(other.record_), runtime_(other.runtime_) {
    if (record_ != nullptr) record_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  SharedPtr(SharedPtr&& other) noexcept
      : record_(std::exchange(other.record_, nullptr)), runtime_(other.runtime_) {}
  SharedPtr& operator=(SharedPtr other) noexcept {
    std::swap(record_, other.record_);
    std::swap(runtime_, other.runtime_);
    return *this;
  }
  ~SharedPtr() { reset(); }

  /// Drops this copy; the object is freed with the last one.
  void reset() noexcept {
    if (record_ == nullptr) return;
    detail::object_record* r = std::exchange(record_, nullptr);
    if (r->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) runtime_->release(r);
  }
  /// Copies alive (racy when other threads copy or drop concurrently).
  long use_count() const {
    return record_ == nullptr ? 0 : static_cast<long>(record_->refs.load(std::memory_order_relaxed));
  }

 private:
  friend struct detail::handle_factory;
  friend class detail::handle_access<SharedPtr<T>, T>;
  SharedPtr(detail::object_record* r, detail::object_runtime* rt) : record_(r), runtime_(rt) {}

  detail::object_record* record_ = nullptr;
  detail::object_runtime* runtime_ = nullptr;
};

}  // namespace remora

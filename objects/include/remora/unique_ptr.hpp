// UniquePtr<T>: the only handle of one remote object. Move-only. The object
// lives at its home memory node and, while hot, in the local cache; a deref
// brings it back whenever it was evacuated. reset() (or destruction) frees it
// everywhere.
//
// Thread-safety: a UniquePtr may move between threads; one thread at a time
// uses it. REQUIRES: the Runtime that made it outlives it.
#pragma once

#include "remora/detail/handle.hpp"

namespace remora {

class Runtime;

template <class T>
/// deref, deref_mut, read, write and operator bool come from
/// detail::handle_access (handle.hpp).
class UniquePtr : public detail::handle_access<UniquePtr<T>, T> {
 public:
  UniquePtr() = default;
  UniquePtr(UniquePtr&& other) noexcept
      : record_(std::exchange(other.record_, nullptr)), runtime_(other.runtime_) {}
  UniquePtr& operator=(UniquePtr&& other) noexcept {
    if (this != &other) {
      reset();
      record_ = std::exchange(other.record_, nullptr);
      runtime_ = other.runtime_;
    }
    return *this;
  }
  ~UniquePtr() { reset(); }

  /// Frees the object everywhere; the handle is empty afterwards.
  void reset() noexcept {
    if (record_ != nullptr) runtime_->release(std::exchange(record_, nullptr));
  }

 private:
  friend struct detail::handle_factory;
  friend class detail::handle_access<UniquePtr<T>, T>;
  UniquePtr(detail::object_record* r, detail::object_runtime* rt) : record_(r), runtime_(rt) {}

  detail::object_record* record_ = nullptr;
  detail::object_runtime* runtime_ = nullptr;
};

}  // namespace remora

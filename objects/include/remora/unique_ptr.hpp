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
class UniquePtr {
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

  /// The object, valid until `scope` ends. Throws InvalidObject when empty,
  /// NodeUnavailable / ObjectLost when its home cannot give it back.
  const T* deref(DerefScope&) const {
    if (record_ == nullptr) [[unlikely]] detail::throw_no_object("deref");
    return static_cast<const T*>(detail::deref_address(record_, runtime_, false));
  }
  /// As deref, and marks the object dirty (it will be written back).
  T* deref_mut(DerefScope&) {
    if (record_ == nullptr) [[unlikely]] detail::throw_no_object("deref_mut");
    return static_cast<T*>(detail::deref_address(record_, runtime_, true));
  }

  T read() const {
    DerefScope scope;
    return *deref(scope);
  }
  void write(const T& value) {
    DerefScope scope;
    *deref_mut(scope) = value;
  }

  /// Frees the object everywhere; the handle is empty afterwards.
  void reset() noexcept {
    if (record_ != nullptr) runtime_->release(std::exchange(record_, nullptr));
  }
  explicit operator bool() const { return record_ != nullptr; }

 private:
  friend class Runtime;
  UniquePtr(detail::object_record* r, detail::object_runtime* rt) : record_(r), runtime_(rt) {}

  detail::object_record* record_ = nullptr;
  detail::object_runtime* runtime_ = nullptr;
};

}  // namespace remora

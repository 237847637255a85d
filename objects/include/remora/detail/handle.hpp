// handle_base: what UniquePtr and SharedPtr share: a record, the runtime it
// belongs to, the fast path, and the object-type checks.
#pragma once

#include <cstring>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

#include "remora/deref_scope.hpp"
#include "remora/detail/object_record.hpp"
#include "remora/errors.hpp"

namespace remora::detail {

template <class T>
constexpr void check_object_type() {
  static_assert(std::is_trivially_copyable_v<T>,
                "Remora objects must be trivially copyable: their bytes move between machines "
                "(no pointers to the local heap, no virtual functions, no owning members)");
  static_assert(alignof(T) <= 8, "Remora objects may need at most 8-byte alignment");
  static_assert(sizeof(T) <= (2u << 20) - 64,
                "a Remora object holds at most 2 MiB - 64 bytes; use remora::Array for more");
}

[[noreturn]] inline void throw_no_object(const char* what) {
  throw InvalidObject(std::string(what) +
                      " of a handle that holds no object (reset, moved from, or never set)");
}

/// The one door through which handles and containers are made from their
/// parts (a record and its runtime, an array's state): their constructors are
/// private, and they befriend this instead of whoever makes them (the
/// client's Runtime).
struct handle_factory {
  template <class Handle, class... Parts>
  static Handle make(Parts&&... parts) {
    return Handle(std::forward<Parts>(parts)...);
  }
  /// A handle's record, or null when it holds no object. Throws
  /// InvalidObject when the handle belongs to a runtime other than `rt`.
  template <class Handle>
  static object_record* record_of(const Handle& h, const object_runtime* rt) {
    if (h.record_ != nullptr && h.runtime_ != rt) [[unlikely]]
      throw InvalidObject("a handle of another Runtime (each Runtime fetches its own objects)");
    return h.record_;
  }
  /// An Array's state; throws InvalidObject when it holds none.
  template <class A>
  static auto& state_of(A& a) {
    return *a.state();
  }
  /// The Array behind an ArrayView (read-only by contract).
  template <class V>
  static auto& array_of(V& v) {
    return v.shared().array;
  }
};

/// Creates a zero-filled object of `bytes` bytes in `rt`; its record.
inline object_record* create_zeroed(object_runtime* rt, std::uint32_t bytes) {
  return rt->create_zeroed(bytes);
}

/// Creates an object of type T in `rt` from `args`; its record.
template <class T, class... Args>
object_record* create_object(object_runtime* rt, Args&&... args) {
  check_object_type<T>();
  T value(std::forward<Args>(args)...);
  return rt->create(
      sizeof(T), [](void* payload, void* arg) { std::memcpy(payload, arg, sizeof(T)); }, &value);
}

/// The access every handle of one object offers: deref, deref_mut, read,
/// write and the empty test. `Handle` holds `record_` and `runtime_`.
template <class Handle, class T>
class handle_access {
 public:
  /// The object, valid until `scope` ends. Throws InvalidObject when empty,
  /// NodeUnavailable / ObjectLost when its home cannot give it back.
  const T* deref(DerefScope&) const {
    auto& h = self();
    if (h.record_ == nullptr) [[unlikely]]
      throw_no_object("deref");
    return static_cast<const T*>(deref_address(h.record_, h.runtime_, false));
  }
  /// As deref, and marks the object dirty (it will be written back).
  T* deref_mut(DerefScope&) {
    auto& h = self();
    if (h.record_ == nullptr) [[unlikely]]
      throw_no_object("deref_mut");
    return static_cast<T*>(deref_address(h.record_, h.runtime_, true));
  }
  /// The object in GPU memory (the HBM tier), as a device pointer for CUDA
  /// kernels, valid until `scope` ends. The object moves to HBM: host
  /// pointers to it taken earlier in this scope are no longer valid, and a
  /// later host deref moves it back to a host tier. Kernels read through it.
  /// Throws ConfigError when the runtime has no HBM tier (Options::hbm_cache).
  const T* deref_device(DerefScope&) const {
    auto& h = self();
    if (h.record_ == nullptr) [[unlikely]]
      throw_no_object("deref_device");
    return static_cast<const T*>(deref_device_address(h.record_, h.runtime_));
  }
  T read() const {
    DerefScope scope;
    return *deref(scope);
  }
  void write(const T& value) {
    DerefScope scope;
    *deref_mut(scope) = value;
  }
  explicit operator bool() const { return self().record_ != nullptr; }

 private:
  const Handle& self() const { return static_cast<const Handle&>(*this); }
};

}  // namespace remora::detail

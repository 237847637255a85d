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

/// Creates an object of type T in `rt` from `args`; its record.
template <class T, class... Args>
object_record* create_object(object_runtime* rt, Args&&... args) {
  check_object_type<T>();
  T value(std::forward<Args>(args)...);
  return rt->create(
      sizeof(T), [](void* payload, void* arg) { std::memcpy(payload, arg, sizeof(T)); }, &value);
}

}  // namespace remora::detail

// Vector<T>: an Array that grows at the end. push_back appends, adding a
// chunk when the last one is full; everything else (at, read, write, scan,
// declared orders) is Array's. Growing while a prefetcher follows an order
// restarts the prefetcher with the same order (it reads the chunk list).
//
// Thread-safety: as Array. REQUIRES: the Runtime outlives it.
#pragma once

#include "remora/array.hpp"

namespace remora {

template <class T>
class Vector : public Array<T> {
 public:
  Vector() = default;

  void push_back(const T& value) {
    detail::array_state* s = this->state();
    if (s->size == s->chunks.size() * s->per_chunk) grow(s);
    ++s->size;
    this->write(s->size - 1, value);
  }

 private:
  friend struct detail::handle_factory;
  explicit Vector(std::unique_ptr<detail::array_state> s) : Array<T>(std::move(s)) {}

  static void grow(detail::array_state* s) {
    // The prefetchers read the chunk list we are about to change.
    const bool following = s->stop_prefetchers();
    s->chunks.push_back(
        detail::create_zeroed(s->rt, static_cast<std::uint32_t>(s->per_chunk * sizeof(T))));
    if (following) s->follow(s->reader().declared, false);
  }
};

}  // namespace remora

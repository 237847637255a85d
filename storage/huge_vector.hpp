// huge_vector: a std::vector whose memory, from 2 MiB up, is in transparent
// huge pages (huge_pages.hpp), for the large lists made once and touched
// once — a published table's description, its chunks and their ids. Fresh
// memory faults in 2 MiB at a time instead of 4 KiB: on this machine's
// virtual machine a small page's first touch costs about 4 µs, half a
// second for 128 MiB.
//
// Thread-safety: as std::vector.
#pragma once

#include <cstddef>
#include <vector>

#include "storage/huge_pages.hpp"

namespace remora::storage {

template <class T>
struct huge_allocator {
  using value_type = T;
  huge_allocator() = default;
  template <class U>
  huge_allocator(const huge_allocator<U>&) {}  // NOLINT: rebinding, as allocators do
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_table(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) { free_table(p, n * sizeof(T)); }
  friend bool operator==(const huge_allocator&, const huge_allocator&) { return true; }
};

template <class T>
using huge_vector = std::vector<T, huge_allocator<T>>;

}  // namespace remora::storage

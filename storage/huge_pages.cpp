#include "storage/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <new>

#include "transport/byte_size.hpp"

namespace remora::storage {

namespace {
constexpr std::size_t huge_page = 2 << 20;
}

transport::result<std::byte*> map_huge_pages(std::size_t bytes) {
  // A huge page more than asked for, then the ends trimmed: the mapping
  // starts on a huge-page boundary.
  const std::size_t span = bytes + huge_page;
  void* mapped = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED)
    return transport::error{transport::errc::no_memory,
                            "cannot map " + transport::format_byte_size(bytes) + " of memory"};
  auto* first = static_cast<std::byte*>(mapped);
  auto* start = reinterpret_cast<std::byte*>(
      (reinterpret_cast<std::uintptr_t>(first) + huge_page - 1) & ~(huge_page - 1));
  if (start != first) ::munmap(first, static_cast<std::size_t>(start - first));
  if (std::byte* end = start + bytes; end != first + span)
    ::munmap(end, static_cast<std::size_t>(first + span - end));
  (void)::madvise(start, bytes, MADV_HUGEPAGE);  // advice: refused, small pages serve
  return start;
}

void unmap_huge_pages(std::byte* memory, std::size_t bytes) {
  ::munmap(memory, bytes);
}

void* allocate_table(std::size_t bytes) {
  if (bytes < huge_page) {
    if (void* memory = std::calloc(bytes, 1)) return memory;
    throw std::bad_alloc();
  }
  auto mapped = map_huge_pages(bytes);
  if (!mapped) throw std::bad_alloc();
  return *mapped;
}

void free_table(void* memory, std::size_t bytes) {
  if (memory == nullptr) return;
  if (bytes < huge_page)
    std::free(memory);
  else
    unmap_huge_pages(static_cast<std::byte*>(memory), bytes);
}

}  // namespace remora::storage

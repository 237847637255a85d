// huge_pages: anonymous memory in transparent huge pages where the kernel
// gives them on advice (THP "madvise" or "always"), for memory read at
// random: a read then finds its line without a page walk (256 MiB is 128
// huge pages, 65,536 small ones), and the memory faults in 2 MiB at a time.
// The memory comes zeroed.
//
// Thread-safety: free functions.
#pragma once

#include <cstddef>

#include "transport/result.hpp"

namespace remora::storage {

/// `bytes` of zeroed memory starting on a huge-page boundary, faulted in on
/// first use. Errors: no_memory.
transport::result<std::byte*> map_huge_pages(std::size_t bytes);
/// Returns memory map_huge_pages gave.
void unmap_huge_pages(std::byte* memory, std::size_t bytes);

/// Zeroed memory for a table of `bytes`: huge pages from 2 MiB up, the heap
/// below. Throws std::bad_alloc when there is none.
void* allocate_table(std::size_t bytes);
/// Returns memory allocate_table gave, of the same `bytes`.
void free_table(void* memory, std::size_t bytes);

}  // namespace remora::storage

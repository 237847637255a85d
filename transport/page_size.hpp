// page_size: the size of the pages the kernel backs a mapping with, from
// /proc/self/smaps: 4 KiB pages, or 2 MiB / 1 GiB huge pages (a System V
// segment UCX took from the reserved ones). Operators read it in the
// memory node's first line to see whether their huge pages were used.
#pragma once

#include <cstddef>
#include <optional>

namespace remora::transport {

/// The kernel page size of the mapping that holds `address` in this
/// process; nothing when no mapping holds it or smaps cannot be read.
std::optional<std::size_t> kernel_page_bytes(const void* address);

}  // namespace remora::transport

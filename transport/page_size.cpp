#include "transport/page_size.hpp"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

namespace remora::transport {

std::optional<std::size_t> kernel_page_bytes(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;  // in the block of the mapping that holds `address`
  while (std::getline(smaps, line)) {
    unsigned long long from = 0, to = 0;
    char dash = 0;
    // A mapping's block begins "from-to perms ..."; its fields are "Name:".
    if (std::sscanf(line.c_str(), "%llx%c%llx", &from, &dash, &to) == 3 && dash == '-') {
      if (inside) return std::nullopt;  // its block had no KernelPageSize
      inside = from <= at && at < to;
      continue;
    }
    unsigned long long kib = 0;
    if (inside && std::sscanf(line.c_str(), "KernelPageSize: %llu kB", &kib) == 1)
      return static_cast<std::size_t>(kib) * 1024;
  }
  return std::nullopt;
}

}  // namespace remora::transport

#include "storage/machine_memory.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "transport/byte_size.hpp"

namespace remora::storage {

std::optional<std::uint64_t> machine_memory::limit() const {
  if (available && shm_free) return std::min(*available, *shm_free);
  return available ? available : shm_free;
}

std::string machine_memory::describe() const {
  std::string out;
  if (available) out = "MemAvailable " + transport::format_byte_size(*available);
  if (shm_free)
    out += (out.empty() ? "" : ", ") + std::string("/dev/shm ") +
           transport::format_byte_size(*shm_free) + " free";
  return out.empty() ? "nothing known" : out;
}

machine_memory read_machine_memory() {
  machine_memory m;
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream fields(line.substr(13));
    std::uint64_t kib = 0;
    if (fields >> kib) m.available = kib * 1024;
    break;
  }
  struct statvfs shm {};
  if (::statvfs("/dev/shm", &shm) == 0)
    m.shm_free = static_cast<std::uint64_t>(shm.f_bavail) * shm.f_frsize;
  return m;
}

}  // namespace remora::storage

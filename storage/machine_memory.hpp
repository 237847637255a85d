// machine_memory: how much memory this machine can give an arena now — the
// kernel's MemAvailable, and the free space of /dev/shm, where UCX's shared
// memory transport keeps what it registers for other processes to map. An
// arena larger than either would fill the machine (the kernel kills the
// process) or /dev/shm, and leave the file behind.
//
// Thread-safety: free functions, reading /proc and statvfs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace remora::storage {

struct machine_memory {
  std::optional<std::uint64_t> available;  // MemAvailable; none when unknown
  std::optional<std::uint64_t> shm_free;   // free bytes of /dev/shm; none without it
  /// The smaller of the two that are known.
  std::optional<std::uint64_t> limit() const;
  /// "MemAvailable 21.3 GiB, /dev/shm 11.7 GiB free", for messages.
  std::string describe() const;
};

machine_memory read_machine_memory();

}  // namespace remora::storage

// tier_memory: the memory behind one local tier of a compute node. Three
// backends (DESIGN.md decision 8):
//   DRAM  host memory allocated and registered by UCX;
//   CXL   memory on a given NUMA node (numa_alloc_onnode), registered with
//         UCX: CXL memory appears as a CPU-less NUMA node; on a machine with
//         one node, node 0 stands in;
//   HBM   device memory of a CUDA GPU (cudaMalloc). Debian's UCX has no CUDA
//         transport, so bytes reach it by copies through a pinned host
//         staging buffer (cudaMemcpyAsync on the tier's own stream).
// The tier's allocator (local_cache) never touches the memory itself; every
// byte moved in or out goes through copy_in/copy_out, which for host tiers is
// a memcpy.
//
// Thread-safety: copies into disjoint slots may run from any thread; an HBM
// tier serialises its copies (one staging buffer, one stream).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "transport/context.hpp"
#include "transport/result.hpp"

namespace remora::storage {

enum class tier_kind { hbm, cxl, dram };
const char* to_string(tier_kind k);

class tier_memory {
 public:
  virtual ~tier_memory() = default;

  virtual tier_kind kind() const = 0;
  /// The first byte (a device address for HBM) and the size.
  virtual std::byte* data() const = 0;
  virtual std::size_t size() const = 0;
  /// Whether host code may read and write the bytes in place.
  bool host_accessible() const { return kind() != tier_kind::hbm; }
  bool holds(const void* p) const {
    auto* b = static_cast<const std::byte*>(p);
    return b >= data() && b < data() + size();
  }

  /// One copy between a host buffer and this tier's memory.
  struct copy {
    std::byte* tier;       // in this tier
    std::byte* host;       // anywhere in host memory
    std::size_t bytes;
  };
  /// Host → tier for each copy, all done on return.
  virtual transport::result<void> copy_in(std::span<const copy> copies) = 0;
  /// Tier → host for each copy, all done on return.
  virtual transport::result<void> copy_out(std::span<const copy> copies) = 0;
};

/// Host DRAM allocated by UCX in `ctx` (see transport/region.hpp for why).
transport::result<std::unique_ptr<tier_memory>> open_dram_tier(transport::context& ctx,
                                                               std::size_t bytes);
/// Host DRAM registered with nothing: for far stores that copy into the
/// tier rather than land bytes one-sided (the in-process fake of the unit
/// tests).
transport::result<std::unique_ptr<tier_memory>> open_plain_tier(std::size_t bytes);
/// Memory on NUMA node `node`, registered with `ctx`. unsupported when the
/// node does not exist or libnuma reports no NUMA support.
transport::result<std::unique_ptr<tier_memory>> open_cxl_tier(transport::context& ctx, int node,
                                                              std::size_t bytes);
/// Device memory on CUDA device `device`. unsupported, saying why, when the
/// build has no CUDA or the machine has no such device.
transport::result<std::unique_ptr<tier_memory>> open_hbm_tier(int device, std::size_t bytes);

}  // namespace remora::storage

// The HBM tier in a build without CUDA: it reports why it is unavailable.
#include "storage/tier_memory.hpp"

namespace remora::storage {

transport::result<std::unique_ptr<tier_memory>> open_hbm_tier(int, std::size_t) {
  return transport::error{transport::errc::unsupported,
                          "hbm tier: this build of Remora has no CUDA support (configure with the "
                          "CUDA Toolkit installed, or -DREMORA_WITH_CUDA=ON)"};
}

}  // namespace remora::storage

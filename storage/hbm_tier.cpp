// The HBM tier: device memory on a CUDA GPU. Bytes move through a pinned
// host staging buffer with cudaMemcpyAsync on the tier's own stream: a batch
// of copies is packed into the staging buffer and moved with one
// synchronisation per staging-buffer load.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "storage/tier_memory.hpp"
#include "transport/byte_size.hpp"
#include "transport/mutex.hpp"

namespace remora::storage {

namespace {

constexpr std::size_t staging_bytes = 8 << 20;

transport::error cuda_error(cudaError_t e, const std::string& what) {
  return {e == cudaErrorMemoryAllocation ? transport::errc::no_memory : transport::errc::transport,
          "hbm tier: " + what + ": " + cudaGetErrorString(e)};
}

class hbm_tier final : public tier_memory {
 public:
  hbm_tier(int device, std::byte* memory, std::size_t bytes, std::byte* staging,
           cudaStream_t stream)
      : device_(device), memory_(memory), bytes_(bytes), staging_(staging), stream_(stream) {}
  ~hbm_tier() override {
    cudaSetDevice(device_);
    cudaStreamDestroy(stream_);
    cudaFreeHost(staging_);
    cudaFree(memory_);
  }

  tier_kind kind() const override { return tier_kind::hbm; }
  std::byte* data() const override { return memory_; }
  std::size_t size() const override { return bytes_; }

  transport::result<void> copy_in(std::span<const copy> copies) override {
    return move(copies, true);
  }
  transport::result<void> copy_out(std::span<const copy> copies) override {
    return move(copies, false);
  }

 private:
  // Packs copies into the staging buffer one load at a time; objects larger
  // than the buffer go in pieces.
  transport::result<void> move(std::span<const copy> copies, bool in) {
    transport::lock_guard lock(mutex_);
    if (auto e = cudaSetDevice(device_); e != cudaSuccess)
      return cuda_error(e, "selecting the device");
    std::size_t used = 0;
    std::vector<copy> pending;  // host side of a tier → host load, unpacked after the sync
    auto flush = [&]() REMORA_REQUIRES(mutex_) -> transport::result<void> {
      if (auto e = cudaStreamSynchronize(stream_); e != cudaSuccess)
        return cuda_error(e, in ? "copying into device memory" : "copying out of device memory");
      for (const copy& c : pending) std::memcpy(c.host, c.tier, c.bytes);
      pending.clear();
      used = 0;
      return {};
    };
    for (const copy& c : copies) {
      for (std::size_t done = 0; done < c.bytes;) {
        if (used == staging_bytes)
          if (auto r = flush(); !r) return r;
        const std::size_t n = std::min(c.bytes - done, staging_bytes - used);
        std::byte* stage = staging_ + used;
        cudaError_t e;
        if (in) {
          std::memcpy(stage, c.host + done, n);
          e = cudaMemcpyAsync(c.tier + done, stage, n, cudaMemcpyHostToDevice, stream_);
        } else {
          e = cudaMemcpyAsync(stage, c.tier + done, n, cudaMemcpyDeviceToHost, stream_);
          pending.push_back({stage, c.host + done, n});
        }
        if (e != cudaSuccess) return cuda_error(e, "queueing a copy");
        used += n;
        done += n;
      }
    }
    return flush();
  }

  transport::mutex mutex_;
  const int device_;
  std::byte* const memory_;
  const std::size_t bytes_;
  std::byte* const staging_ REMORA_PT_GUARDED_BY(mutex_);
  cudaStream_t stream_ REMORA_GUARDED_BY(mutex_);
};

}  // namespace

transport::result<std::unique_ptr<tier_memory>> open_hbm_tier(int device, std::size_t bytes) {
  int count = 0;
  if (auto e = cudaGetDeviceCount(&count); e != cudaSuccess || count == 0)
    return transport::error{transport::errc::unsupported,
                            std::string("hbm tier: no CUDA device on this machine (") +
                                (e == cudaSuccess ? "none found" : cudaGetErrorString(e)) + ")"};
  if (device < 0 || device >= count)
    return transport::error{transport::errc::unsupported,
                            "hbm tier: no CUDA device " + std::to_string(device) +
                                " (this machine has " + std::to_string(count) + ")"};
  if (auto e = cudaSetDevice(device); e != cudaSuccess)
    return cuda_error(e, "selecting the device");
  void* memory = nullptr;
  if (auto e = cudaMalloc(&memory, bytes); e != cudaSuccess)
    return cuda_error(e, "allocating " + transport::format_byte_size(bytes));
  void* staging = nullptr;
  if (auto e = cudaMallocHost(&staging, staging_bytes); e != cudaSuccess) {
    cudaFree(memory);
    return cuda_error(e, "allocating the pinned staging buffer");
  }
  cudaStream_t stream = nullptr;
  if (auto e = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking); e != cudaSuccess) {
    cudaFreeHost(staging);
    cudaFree(memory);
    return cuda_error(e, "creating a stream");
  }
  return std::unique_ptr<tier_memory>(new hbm_tier(device, static_cast<std::byte*>(memory), bytes,
                                                   static_cast<std::byte*>(staging), stream));
}

}  // namespace remora::storage

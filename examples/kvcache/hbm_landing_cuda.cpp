// hbm_landing on a CUDA device: a device buffer, a pinned staging buffer of
// a layer's blocks, a stream of its own.
#include <cuda_runtime_api.h>

#include <cstring>

#include "kvcache/hbm_landing.hpp"

namespace kvcache {

struct hbm_landing::impl {
  int device = 0;
  std::size_t bytes = 0;
  std::byte* memory = nullptr;   // on the device
  std::byte* staging = nullptr;  // pinned host memory
  std::size_t staging_bytes = 0;
  cudaStream_t stream = nullptr;
  std::string name;

  ~impl() {
    cudaSetDevice(device);
    if (stream != nullptr) cudaStreamDestroy(stream);
    if (staging != nullptr) cudaFreeHost(staging);
    if (memory != nullptr) cudaFree(memory);
  }
};

namespace {

bool failed(cudaError_t e, const std::string& what, std::string& why) {
  if (e == cudaSuccess) return false;
  why = what + ": " + cudaGetErrorString(e);
  return true;
}

}  // namespace

std::unique_ptr<hbm_landing> hbm_landing::open(int device, std::size_t bytes, std::string& why) {
  int count = 0;
  if (failed(cudaGetDeviceCount(&count), "no CUDA device", why)) return nullptr;
  if (device < 0 || device >= count) {
    why = "no CUDA device " + std::to_string(device) + " (" + std::to_string(count) + " found)";
    return nullptr;
  }
  auto p = std::make_unique<impl>();
  p->device = device;
  p->bytes = bytes;
  cudaDeviceProp prop{};
  if (failed(cudaSetDevice(device), "cudaSetDevice", why) ||
      failed(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties", why) ||
      failed(cudaMalloc(reinterpret_cast<void**>(&p->memory), bytes), "cudaMalloc", why) ||
      failed(cudaStreamCreate(&p->stream), "cudaStreamCreate", why))
    return nullptr;
  p->name = prop.name;
  return std::unique_ptr<hbm_landing>(new hbm_landing(std::move(p)));
}

hbm_landing::hbm_landing(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
hbm_landing::~hbm_landing() = default;

bool hbm_landing::land(std::size_t offset, const std::vector<std::span<const std::byte>>& blocks,
                       std::string& why) {
  auto& p = *impl_;
  std::size_t bytes = 0;
  for (const auto& b : blocks) bytes += b.size();
  if (offset + bytes > p.bytes) {
    why = "blocks past the end of the device buffer";
    return false;
  }
  // The staging buffer is reused: the last copy out of it must be done.
  if (failed(cudaStreamSynchronize(p.stream), "cudaStreamSynchronize", why)) return false;
  if (bytes > p.staging_bytes) {
    if (p.staging != nullptr) cudaFreeHost(p.staging);
    p.staging = nullptr;
    p.staging_bytes = 0;
    if (failed(cudaMallocHost(reinterpret_cast<void**>(&p.staging), bytes), "cudaMallocHost", why))
      return false;
    p.staging_bytes = bytes;
  }
  std::size_t at = 0;
  for (const auto& b : blocks) {
    std::memcpy(p.staging + at, b.data(), b.size());
    at += b.size();
  }
  return !failed(
      cudaMemcpyAsync(p.memory + offset, p.staging, bytes, cudaMemcpyHostToDevice, p.stream),
      "cudaMemcpyAsync", why);
}

bool hbm_landing::read_back(std::span<std::byte> out, std::string& why) {
  auto& p = *impl_;
  if (out.size() > p.bytes) {
    why = "reading back past the end of the device buffer";
    return false;
  }
  return !failed(cudaStreamSynchronize(p.stream), "cudaStreamSynchronize", why) &&
         !failed(cudaMemcpy(out.data(), p.memory, out.size(), cudaMemcpyDeviceToHost), "cudaMemcpy",
                 why);
}

std::string hbm_landing::describe() const {
  return impl_->name + ", device " + std::to_string(impl_->device) + ", " +
         std::to_string(impl_->bytes >> 20) + " MiB";
}

}  // namespace kvcache

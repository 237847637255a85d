// gpu_sum: a CUDA kernel over a far-memory Array. The array (256 MiB of
// floats) lives on the memory node; each chunk is brought into the GPU tier
// (HBM) with device_span and summed there by a kernel, without a copy through
// host code. The sum is checked against the host's.
//
//   build/examples/gpu_sum [--hbm-cache=DEVICE:BYTES] [other Options flags]
//
// Where the build or the machine has no GPU it says so and exits 0.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include <remora/remora.hpp>

#include "cli/cli.hpp"

// gpu_sum_kernel.cu
void launch_add_up(const float* values, std::size_t n, double* total);

namespace {

// Sums the array on the GPU and on the host; 0 when they agree.
int sum_on_the_gpu(remora::Options options) {
  if (!options.hbm_cache()) options.hbm_cache(0, 64ull << 20);
  options.dram_cache(32ull << 20);
  std::optional<remora::Runtime> rt;
  try {
    rt.emplace(options);
  } catch (const remora::ConfigError& e) {
    std::printf("gpu_sum: skipped, no GPU tier here: %s\n", e.what());
    return 0;
  }
  const std::size_t n = 64ull << 20;  // 256 MiB of floats
  auto a = rt->make_array<float>(n);
  double expected = 0;
  for (std::size_t i = 0; i < n;) {
    remora::DerefScope scope;
    for (float& v : a.span_mut(scope, i)) {
      v = static_cast<float>(i++ % 1000) * 0.5f;
      expected += v;
    }
  }
  double* total = nullptr;
  cudaMalloc(reinterpret_cast<void**>(&total), sizeof(double));
  cudaMemset(total, 0, sizeof(double));
  // A scope per batch of chunks: the device spans stay valid until the
  // kernels on them are done.
  const std::size_t per_chunk = remora::array_chunk_bytes / sizeof(float);
  for (std::size_t first = 0; first < n; first += 64 * per_chunk) {
    remora::DerefScope scope;
    for (std::size_t i = first; i < std::min(n, first + 64 * per_chunk); i += per_chunk) {
      auto chunk = a.device_span(scope, i);
      launch_add_up(chunk.data(), chunk.size(), total);
    }
    if (cudaDeviceSynchronize() != cudaSuccess) {
      std::printf("gpu_sum: kernel failed: %s\n", cudaGetErrorString(cudaGetLastError()));
      return 1;
    }
  }
  double got = 0;
  cudaMemcpy(&got, total, sizeof(double), cudaMemcpyDeviceToHost);
  cudaFree(total);
  const auto s = rt->stats();
  std::printf("gpu_sum: device %.1f, host %.1f: %s\n", got, expected,
              got == expected ? "equal" : "DIFFERENT");
  std::printf("hbm %llu/%llu bytes, promotions %llu, demotions %llu, evictions %llu\n",
              (unsigned long long)s.hbm_used, (unsigned long long)s.hbm_capacity,
              (unsigned long long)s.promotions, (unsigned long long)s.demotions,
              (unsigned long long)s.evictions);
  return got == expected ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  remora::Options options;
  remora::cli::command_line app{
      "A CUDA kernel over a far-memory Array, checked against the host's sum.", "gpu_sum"};
  app.runtime_options(options, /*dram_cache=*/false);
  if (auto code = app.parse(argc, argv)) return *code;
  return remora::cli::run("gpu_sum", [&] { return sum_on_the_gpu(options); });
}

// The kernel of gpu_sum (gpu_sum.cpp): adds up floats in device memory.
// Kept apart so nvcc compiles only this, and the program itself is plain C++.
#include <cstddef>

__global__ void add_up(const float* values, std::size_t n, double* total) {
  double mine = 0;
  for (std::size_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    mine += values[i];
  atomicAdd(total, mine);
}

void launch_add_up(const float* values, std::size_t n, double* total) {
  add_up<<<8, 256>>>(values, n, total);
}

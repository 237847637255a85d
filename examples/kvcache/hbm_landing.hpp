// hbm_landing: where remora-kvcache's decode side puts a layer's KV blocks
// with --hbm: one buffer in a CUDA device's memory, as an inference
// engine's KV cache holds them. The blob store fills host buffers (UCX here
// moves no bytes into device memory itself); each block then goes up
// through a pinned staging buffer with cudaMemcpyAsync on the landing's own
// stream, a layer at a time, as the HBM tier moves Array chunks, and is read back once to
// check that every byte arrived.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace kvcache {

class hbm_landing {
 public:
  /// A buffer of `bytes` on CUDA device `device`; nullptr, with the reason
  /// in `why`, where there is none (no GPU, a build without CUDA, too
  /// little device memory).
  static std::unique_ptr<hbm_landing> open(int device, std::size_t bytes, std::string& why);
  ~hbm_landing();

  /// Copies `blocks`, one after another, to `offset` in the device buffer:
  /// packed into the staging buffer, then one asynchronous copy (the
  /// previous one is waited for first). False (and why) when it failed.
  bool land(std::size_t offset, const std::vector<std::span<const std::byte>>& blocks,
            std::string& why);
  /// Waits for the copies landed so far and reads the buffer's first
  /// out.size() bytes back into `out`.
  bool read_back(std::span<std::byte> out, std::string& why);
  /// "NVIDIA H200, device 0, 96.0 MiB".
  std::string describe() const;

  struct impl;

 private:
  explicit hbm_landing(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace kvcache

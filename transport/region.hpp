// region: memory registered with UCX, so peers can read and write it
// one-sided through a packed remote key.
//
// allocate() has UCX allocate the memory (UCP_MEM_MAP_ALLOCATE). Measured on
// these machines: gets and puts on such memory complete without the owner's
// progress over shared memory, whereas on malloc'ed memory they stall until
// the owner progresses (DEPS.md). Arenas therefore always allocate.
//
// Thread-safety: registration is per context; a region may be read and
// written by any thread (its bytes are the caller's to synchronise).
#pragma once

#include <cstddef>
#include <cstdint>

#include <ucp/api/ucp.h>

#include "transport/blob.hpp"
#include "transport/context.hpp"
#include "transport/result.hpp"

namespace remora::transport {

class region {
 public:
  /// UCX-allocated, registered memory of `size` bytes (page-aligned).
  static result<region> allocate(context& ctx, std::size_t size);
  /// Registers existing memory. REQUIRES: [data, data + size) outlives the region.
  static result<region> map(context& ctx, void* data, std::size_t size);

  region(region&& other) noexcept;
  region& operator=(region&& other) noexcept;
  ~region();

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  ucp_mem_h native() const { return memh_; }

  /// The sealed remote key a peer needs to reach this region: the region's
  /// base address and size, and UCX's packed rkey.
  result<bytes> pack_key() const;

 private:
  region(ucp_context_h ctx, ucp_mem_h memh, std::byte* data, std::size_t size)
      : context_(ctx), memh_(memh), data_(data), size_(size) {}
  static result<region> register_memory(context& ctx, void* data, std::size_t size, bool allocate);
  void release();

  ucp_context_h context_;
  ucp_mem_h memh_;
  std::byte* data_;
  std::size_t size_;
};

}  // namespace remora::transport

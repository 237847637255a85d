#include "transport/region.hpp"

#include <cstring>
#include <utility>
#include <vector>

#include "transport/ucs_status.hpp"

namespace remora::transport {

result<region> region::register_memory(context& ctx, void* data, std::size_t size, bool allocate) {
  ucp_mem_map_params_t params{};
  params.field_mask = UCP_MEM_MAP_PARAM_FIELD_ADDRESS | UCP_MEM_MAP_PARAM_FIELD_LENGTH |
                      UCP_MEM_MAP_PARAM_FIELD_FLAGS;
  params.address = data;
  params.length = size;
  params.flags = allocate ? UCP_MEM_MAP_ALLOCATE : 0;
  ucp_mem_h memh = nullptr;
  if (auto r = check_ucs(ucp_mem_map(ctx.native(), &params, &memh),
                         "registering " + std::to_string(size) + " bytes with UCX");
      !r)
    return r.err();
  ucp_mem_attr_t attr{};
  attr.field_mask = UCP_MEM_ATTR_FIELD_ADDRESS;
  if (auto r = check_ucs(ucp_mem_query(memh, &attr), "querying registered memory"); !r) {
    ucp_mem_unmap(ctx.native(), memh);
    return r.err();
  }
  return region(ctx.native(), memh, static_cast<std::byte*>(attr.address), size);
}

result<region> region::allocate(context& ctx, std::size_t size) {
  if (size == 0) return error{errc::out_of_range, "a registered region needs at least one byte"};
  return register_memory(ctx, nullptr, size, true);
}

result<region> region::map(context& ctx, void* data, std::size_t size) {
  if (size == 0 || data == nullptr)
    return error{errc::out_of_range, "cannot register an empty range"};
  return register_memory(ctx, data, size, false);
}

region::region(region&& other) noexcept
    : context_(other.context_),
      memh_(std::exchange(other.memh_, nullptr)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

region& region::operator=(region&& other) noexcept {
  if (this != &other) {
    release();
    context_ = other.context_;
    memh_ = std::exchange(other.memh_, nullptr);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

region::~region() {
  release();
}

void region::release() {
  if (memh_ != nullptr) ucp_mem_unmap(context_, std::exchange(memh_, nullptr));
}

result<bytes> region::pack_key() const {
  void* packed = nullptr;
  std::size_t length = 0;
  if (auto r = check_ucs(ucp_rkey_pack(context_, memh_, &packed, &length), "packing a remote key");
      !r)
    return r.err();
  std::vector<std::byte> payload(16 + length);
  const std::uint64_t base = reinterpret_cast<std::uintptr_t>(data_);
  const std::uint64_t size = size_;
  std::memcpy(payload.data(), &base, 8);
  std::memcpy(payload.data() + 8, &size, 8);
  std::memcpy(payload.data() + 16, packed, length);
  ucp_rkey_buffer_release(packed);
  return seal(blob_kind::remote_key, payload);
}

}  // namespace remora::transport

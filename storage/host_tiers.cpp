// The host tiers: DRAM and CXL (NUMA) memory, both registered with UCX so
// that fetches land in them one-sided; and plain host memory for far stores
// that copy.
#include <numa.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "storage/huge_pages.hpp"
#include "storage/tier_memory.hpp"
#include "transport/byte_size.hpp"
#include "transport/region.hpp"

namespace remora::storage {

const char* to_string(tier_kind k) {
  switch (k) {
    case tier_kind::hbm:
      return "hbm";
    case tier_kind::cxl:
      return "cxl";
    case tier_kind::dram:
      return "dram";
  }
  return "?";
}

namespace {

class host_tier final : public tier_memory {
 public:
  host_tier(tier_kind kind, transport::region region, void* numa_memory)
      : kind_(kind),
        region_(std::move(region)),
        data_(region_->data()),
        size_(region_->size()),
        numa_memory_(numa_memory) {}
  // Plain anonymous memory, registered with nothing.
  host_tier(std::byte* mapped, std::size_t bytes)
      : kind_(tier_kind::dram), data_(mapped), size_(bytes), mapped_(true) {}
  // Anonymous memory of ours (mapped), registered with UCX.
  host_tier(transport::region region, std::byte* mapped, std::size_t bytes)
      : kind_(tier_kind::dram),
        region_(std::move(region)),
        data_(mapped),
        size_(bytes),
        mapped_(true) {}
  ~host_tier() override {
    region_.reset();  // the registration goes before the memory it covers
    if (numa_memory_ != nullptr) numa_free(numa_memory_, size_);
    if (mapped_) unmap_huge_pages(data_, size_);
  }

  tier_kind kind() const override { return kind_; }
  std::byte* data() const override { return data_; }
  std::size_t size() const override { return size_; }

  transport::result<void> copy_in(std::span<const copy> copies) override {
    for (const copy& c : copies) std::memcpy(c.tier, c.host, c.bytes);
    return {};
  }
  transport::result<void> copy_out(std::span<const copy> copies) override {
    for (const copy& c : copies) std::memcpy(c.host, c.tier, c.bytes);
    return {};
  }

 private:
  tier_kind kind_;
  std::optional<transport::region> region_;  // empty: plain memory
  std::byte* data_;
  std::size_t size_;
  void* numa_memory_ = nullptr;  // the CXL tier's, from libnuma
  bool mapped_ = false;          // our anonymous mapping, to unmap
};

}  // namespace

transport::result<std::unique_ptr<tier_memory>> open_dram_tier(transport::context& ctx,
                                                               std::size_t bytes) {
  // Our own mapping, registered: UCX's own allocation would be System V
  // shared memory here, in small pages.
  auto mapped = map_huge_pages(bytes);
  if (!mapped) return mapped.err();
  auto region = transport::region::map(ctx, *mapped, bytes);
  if (!region) {
    unmap_huge_pages(*mapped, bytes);
    return region.err();
  }
  return std::unique_ptr<tier_memory>(new host_tier(std::move(region).value(), *mapped, bytes));
}

transport::result<std::unique_ptr<tier_memory>> open_plain_tier(std::size_t bytes) {
  auto mapped = map_huge_pages(bytes);
  if (!mapped) return mapped.err();
  return std::unique_ptr<tier_memory>(new host_tier(*mapped, bytes));
}

transport::result<std::unique_ptr<tier_memory>> open_cxl_tier(transport::context& ctx, int node,
                                                              std::size_t bytes) {
  if (numa_available() < 0)
    return transport::error{transport::errc::unsupported,
                            "cxl tier: this machine reports no NUMA support (libnuma)"};
  if (node < 0 || node > numa_max_node() || numa_node_size64(node, nullptr) <= 0)
    return transport::error{transport::errc::unsupported,
                            "cxl tier: NUMA node " + std::to_string(node) +
                                " does not exist here (nodes 0.." +
                                std::to_string(numa_max_node()) + ")"};
  void* memory = numa_alloc_onnode(bytes, node);
  if (memory == nullptr)
    return transport::error{transport::errc::no_memory,
                            "cxl tier: cannot allocate " + transport::format_byte_size(bytes) +
                                " on NUMA node " + std::to_string(node)};
  // Touch every page now, so it is placed on the node (first touch) before
  // UCX registers it, and faults are not paid on the data path.
  std::memset(memory, 0, bytes);
  auto region = transport::region::map(ctx, memory, bytes);
  if (!region) {
    numa_free(memory, bytes);
    return region.err();
  }
  return std::unique_ptr<tier_memory>(
      new host_tier(tier_kind::cxl, std::move(region).value(), memory));
}

}  // namespace remora::storage

#include "transport/remote_region.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "transport/blob.hpp"
#include "transport/ucs_status.hpp"

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#endif

namespace remora::transport {

namespace {

// The region's bytes are another process's memory, read while writers pin,
// copy in and unpin, as RDMA reads race RDMA writes: what makes a read whole
// is the slot's pin word, version and checksum (storage/slot.hpp), not a
// happens-before ThreadSanitizer could see. Its accesses are hidden from it
// while this is alive (they were inside UCX, uninstrumented, before writes
// went through the readers' mapping).
struct one_sided {
#if defined(__SANITIZE_THREAD__)
  one_sided() {
    __tsan_ignore_thread_begin();
  }
  ~one_sided() {
    __tsan_ignore_thread_end();
  }
#endif
};

}  // namespace

result<remote_region> remote_region::unpack(endpoint& ep, std::span<const std::byte> sealed_key) {
  auto payload = unseal(blob_kind::remote_key, sealed_key);
  if (!payload) return payload.err();
  if (payload->size() <= 16)
    return error{errc::bad_key, "remote key blob rejected: no UCX key after the region bounds"};
  if (ep.closed()) return error{errc::peer_unreachable, "unpacking a key on a closed endpoint"};
  std::uint64_t base = 0;
  std::uint64_t size = 0;
  std::memcpy(&base, payload->data(), 8);
  std::memcpy(&size, payload->data() + 8, 8);
  if (size == 0 || base + size < base)
    return error{errc::bad_key, "remote key blob rejected: impossible region bounds"};
  ucp_rkey_h rkey = nullptr;
  if (auto r = check_ucs(ucp_ep_rkey_unpack(ep.native(), payload->data() + 16, &rkey),
                         "unpacking a remote key");
      !r)
    return error{errc::bad_key, r.err().message};
  remote_region out(ep, rkey, base, size);
  // Shared memory maps the peer's region into this process: hints can
  // then reach its bytes. Other transports have no such view.
  void* mapped = nullptr;
  if (ucp_rkey_ptr(rkey, base, &mapped) == UCS_OK) {
    out.mapped_ = static_cast<const std::byte*>(mapped);
    out.writable_ = static_cast<std::byte*>(mapped);
    out.read_ready_ = std::make_shared<stretch_set>(size);
  }
  return out;
}

remote_region::remote_region(remote_region&& other) noexcept
    : endpoint_(other.endpoint_),
      rkey_(std::exchange(other.rkey_, nullptr)),
      base_(other.base_),
      size_(other.size_),
      mapped_(std::exchange(other.mapped_, nullptr)),
      writable_(std::exchange(other.writable_, nullptr)),
      prepared_(std::move(other.prepared_)),
      read_ready_(std::move(other.read_ready_)) {}

remote_region& remote_region::operator=(remote_region&& other) noexcept {
  if (this != &other) {
    if (rkey_ != nullptr) ucp_rkey_destroy(rkey_);
    endpoint_ = other.endpoint_;
    rkey_ = std::exchange(other.rkey_, nullptr);
    base_ = other.base_;
    size_ = other.size_;
    mapped_ = std::exchange(other.mapped_, nullptr);
    writable_ = std::exchange(other.writable_, nullptr);
    prepared_ = std::move(other.prepared_);
    read_ready_ = std::move(other.read_ready_);
  }
  return *this;
}

remote_region::~remote_region() {
  if (rkey_ != nullptr) ucp_rkey_destroy(rkey_);
}

result<void> remote_region::check(std::uint64_t offset, std::size_t length) const {
  if (offset > size_ || length > size_ - offset)
    return error{errc::out_of_range, "access of " + std::to_string(length) + " bytes at offset " +
                                         std::to_string(offset) + " outside a remote region of " +
                                         std::to_string(size_) + " bytes"};
  return {};
}

void remote_region::read_through(const remote_region& view) {
  if (mapped_ != nullptr && view.mapped_ != nullptr && view.base_ == base_ && view.size_ == size_) {
    mapped_ = view.mapped_;
    writable_ = view.writable_;
    read_ready_ = view.read_ready_;
  }
}

void remote_region::prepare_reads(std::uint64_t offset, std::size_t length) const {
  constexpr std::uint64_t stretch = stretch_set::stretch;
  const std::uintptr_t page = 4096;
  for (std::uint64_t at = offset / stretch; at <= (offset + length - 1) / stretch; ++at) {
    if (!read_ready_->claim(at)) continue;
    // Page-aligned, as madvise wants. Advice: a kernel without
    // MADV_POPULATE_READ refuses it, and the reads fault as before.
    const auto first = reinterpret_cast<std::uintptr_t>(mapped_ + at * stretch);
    const auto start = first & ~(page - 1);
    const auto length_here = std::min(stretch, size_ - at * stretch) + (first - start);
    (void)::madvise(reinterpret_cast<void*>(start), length_here, MADV_POPULATE_READ);
  }
}

void remote_region::prefetch(std::uint64_t offset, std::size_t length) const {
  prefetch(std::span(&offset, 1), length);
}

void remote_region::prefetch(std::span<const std::uint64_t> offsets, std::size_t length) const {
  if (mapped_ == nullptr || length == 0 || length > size_) return;
  for (const std::uint64_t offset : offsets)
    if (offset <= size_ - length) prepare_reads(offset, length);
  constexpr std::size_t line = 64;
  for (const std::uint64_t offset : offsets) {
    if (offset > size_ - length) continue;
    const std::byte* first = mapped_ + offset;
    for (std::size_t at = 0; at < length; at += line) __builtin_prefetch(first + at);
    __builtin_prefetch(first + length - 1);
  }
}

void remote_region::prepare_puts(std::uint64_t offset, std::size_t length) const {
  if (writable_ == nullptr || length == 0 || offset > size_ || length > size_ - offset) return;
  constexpr std::uint64_t stretch = 2 << 20;
  for (std::uint64_t at = offset / stretch; at <= (offset + length - 1) / stretch; ++at) {
    if (at >= prepared_.size()) prepared_.resize(at + 1);
    if (prepared_[at]) continue;
    prepared_[at] = true;
    // Advice: a kernel without MADV_POPULATE_WRITE refuses it, and the
    // puts fault as before.
    (void)::madvise(writable_ + at * stretch, std::min(stretch, size_ - at * stretch),
                    MADV_POPULATE_WRITE);
  }
}

void remote_region::prefetch_for_puts(std::uint64_t offset, std::size_t length) const {
  if (writable_ == nullptr || length == 0 || offset > size_ || length > size_ - offset) return;
  prepare_puts(offset, length);
  __builtin_prefetch(writable_ + offset, 1);
}

result<void> remote_region::may_touch(std::uint64_t offset, std::size_t length) const {
  if (auto r = check(offset, length); !r) return r;
  if (endpoint_->closed())
    return error{errc::peer_unreachable, "one-sided transfer on a closed endpoint"};
  return {};
}

result<std::uint64_t> remote_region::compare_swap_in(std::uint64_t offset, std::uint64_t expected,
                                                     std::uint64_t desired) const {
  if (auto r = may_touch(offset, sizeof expected); !r) return r.err();
  [[maybe_unused]] const one_sided hidden;
  std::atomic_ref<std::uint64_t> word(*reinterpret_cast<std::uint64_t*>(writable_ + offset));
  word.compare_exchange_strong(expected, desired);
  return expected;  // what it found
}

result<void> remote_region::copy_in(std::uint64_t offset, const void* from,
                                    std::size_t length) const {
  if (auto r = may_touch(offset, length); !r) return r;
  [[maybe_unused]] const one_sided hidden;
  std::memcpy(writable_ + offset, from, length);
  return {};
}

result<void> remote_region::add_in(std::uint64_t offset, std::uint64_t value) const {
  if (auto r = may_touch(offset, sizeof value); !r) return r;
  [[maybe_unused]] const one_sided hidden;
  std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(writable_ + offset))
      .fetch_add(value);
  return {};
}

result<void> remote_region::copy_out(std::uint64_t offset, void* into, std::size_t length) const {
  if (auto r = may_touch(offset, length); !r) return r;
  if (length > 0) prepare_reads(offset, length);
  [[maybe_unused]] const one_sided hidden;
  std::memcpy(into, mapped_ + offset, length);
  return {};
}

}  // namespace remora::transport

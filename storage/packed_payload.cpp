#include "storage/packed_payload.hpp"

#include <zstd.h>

#include <cstring>
#include <memory>

#include "storage/crc32c.hpp"

namespace remora::storage {

namespace {

constexpr std::uint32_t zstd_codec = 1;
// Level 1: on this machine's CSR targets it packs 1.6x at 0.25 GB/s and
// unpacks at about 1 GB/s (bench/run compress); higher levels pack slower
// for little more.
constexpr int zstd_level = 1;

struct cctx_free {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct dctx_free {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// One context each a thread: made once, reused by every call.
ZSTD_CCtx* thread_cctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, cctx_free> c(ZSTD_createCCtx());
  return c.get();
}
ZSTD_DCtx* thread_dctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, dctx_free> d(ZSTD_createDCtx());
  return d.get();
}

packed_header header_of(std::span<const std::byte> head) {
  packed_header h;
  std::memcpy(&h, head.data(), sizeof h);
  return h;
}

}  // namespace

std::size_t pack_payload(std::span<const std::byte> raw, std::span<std::byte> out) {
  if (raw.size() < packed_min_size || out.size() != raw.size()) return 0;
  // Worth it only below seven eighths of the object.
  const std::size_t room = raw.size() - raw.size() / 8 - sizeof(packed_header);
  ZSTD_CCtx* c = thread_cctx();
  if (c == nullptr) return 0;
  const std::size_t n = ZSTD_compressCCtx(c, out.data() + sizeof(packed_header), room, raw.data(),
                                          raw.size(), zstd_level);
  if (ZSTD_isError(n)) return 0;  // (dstSize_tooSmall: it did not shrink enough)
  const packed_header h{packed_mark, zstd_codec, static_cast<std::uint32_t>(n),
                        static_cast<std::uint32_t>(raw.size()),
                        crc32c(out.subspan(sizeof(packed_header), n))};
  std::memcpy(out.data(), &h, sizeof h);
  return sizeof h + n;
}

bool is_payload_for(std::span<const std::byte> data, std::size_t size) {
  return data.size() == size || (data.size() < size && packed_length(data, size) == data.size());
}

std::size_t packed_length(std::span<const std::byte> head, std::size_t size) {
  if (size < packed_min_size || head.size() < sizeof(packed_header)) return 0;
  const packed_header h = header_of(head);
  if (h.mark != packed_mark || h.codec != zstd_codec || h.size != size ||
      h.packed > size - sizeof h)
    return 0;
  return sizeof h + h.packed;
}

namespace {

// The frame of `packed` (a packed part of an object of `size` bytes) when
// its header and checksum check; empty otherwise.
std::span<const std::byte> checked_frame(std::span<const std::byte> packed, std::size_t size) {
  const std::size_t length = packed_length(packed, size);
  if (length == 0 || packed.size() < length) return {};
  const auto frame = packed.subspan(sizeof(packed_header), length - sizeof(packed_header));
  if (crc32c(frame) != header_of(packed).crc) return {};
  return frame;
}

bool unpack_frame(std::span<const std::byte> frame, std::span<std::byte> raw) {
  ZSTD_DCtx* d = thread_dctx();
  if (d == nullptr) return false;
  const std::size_t n = ZSTD_decompressDCtx(d, raw.data(), raw.size(), frame.data(), frame.size());
  return !ZSTD_isError(n) && n == raw.size();
}

}  // namespace

bool unpack_payload(std::span<const std::byte> packed, std::span<std::byte> raw) {
  const auto frame = checked_frame(packed, raw.size());
  return !frame.empty() && unpack_frame(frame, raw);
}

bool looks_packed(std::span<const std::byte> raw) {
  return !checked_frame(raw, raw.size()).empty();
}

unpacked unpack_in_place(std::span<std::byte> payload, std::vector<std::byte>& scratch) {
  const auto frame = checked_frame(payload, payload.size());
  if (frame.empty()) return unpacked::raw;
  scratch.assign(frame.begin(), frame.end());
  return unpack_frame(scratch, payload) ? unpacked::done : unpacked::corrupt;
}

}  // namespace remora::storage

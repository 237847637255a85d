#include "transport/blob.hpp"

#include <cstring>
#include <string>

namespace remora::transport {

namespace {

constexpr std::uint32_t blob_magic = 0x41524d52;  // "RMRA" read little-endian
constexpr std::uint16_t blob_version = 1;

template <class T>
void store(std::byte* at, T value) {
  std::memcpy(at, &value, sizeof value);
}

template <class T>
T load(const std::byte* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

const char* name_of(blob_kind kind) {
  return kind == blob_kind::worker_address ? "worker address" : "remote key";
}

}  // namespace

std::uint32_t fnv1a(std::span<const std::byte> data) noexcept {
  std::uint32_t h = 2166136261u;
  for (std::byte b : data) {
    h ^= static_cast<std::uint8_t>(b);
    h *= 16777619u;
  }
  return h;
}

bytes seal(blob_kind kind, std::span<const std::byte> payload) {
  bytes out(blob_header_size + payload.size());
  store(out.data(), blob_magic);
  store(out.data() + 4, static_cast<std::uint16_t>(kind));
  store(out.data() + 6, blob_version);
  store(out.data() + 8, static_cast<std::uint32_t>(payload.size()));
  store(out.data() + 12, fnv1a(payload));
  if (!payload.empty()) std::memcpy(out.data() + blob_header_size, payload.data(), payload.size());
  return out;
}

result<std::span<const std::byte>> unseal(blob_kind kind, std::span<const std::byte> blob) {
  const errc code = kind == blob_kind::worker_address ? errc::bad_address : errc::bad_key;
  auto fail = [&](const std::string& why) {
    return error{code, std::string{name_of(kind)} + " blob rejected: " + why};
  };
  if (blob.size() < blob_header_size)
    return fail("truncated (" + std::to_string(blob.size()) + " bytes, header needs " +
                std::to_string(blob_header_size) + ")");
  if (load<std::uint32_t>(blob.data()) != blob_magic) return fail("not a Remora blob (bad magic)");
  if (load<std::uint16_t>(blob.data() + 4) != static_cast<std::uint16_t>(kind))
    return fail("wrong kind of blob");
  if (load<std::uint16_t>(blob.data() + 6) != blob_version)
    return fail("unsupported format version " +
                std::to_string(load<std::uint16_t>(blob.data() + 6)));
  const auto length = load<std::uint32_t>(blob.data() + 8);
  if (length != blob.size() - blob_header_size)
    return fail("length says " + std::to_string(length) + " bytes but " +
                std::to_string(blob.size() - blob_header_size) + " arrived (truncated or padded)");
  auto payload = blob.subspan(blob_header_size);
  if (fnv1a(payload) != load<std::uint32_t>(blob.data() + 12))
    return fail("checksum mismatch (corrupted)");
  return payload;
}

}  // namespace remora::transport

// Sealed blobs: the envelope around every opaque UCX object that crosses a
// process boundary (worker addresses, remote keys). UCX parses such bytes
// without checking them, so a corrupt or truncated blob could crash it; a
// sealed blob is verified (magic, kind, length, checksum) before UCX sees it.
//
//   0        4      6         8          12         16
//   +--------+------+---------+----------+----------+----------------+
//   | magic  | kind | version | length   | checksum | payload ...    |
//   | "RMRA" | u16  | u16     | u32      | FNV-1a32 | length bytes   |
//   +--------+------+---------+----------+----------+----------------+
//
// All integers little-endian. Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "transport/result.hpp"

namespace remora::transport {

using bytes = std::vector<std::byte>;

enum class blob_kind : std::uint16_t {
  worker_address = 1,
  remote_key = 2,
};

inline constexpr std::size_t blob_header_size = 16;

/// Wraps `payload` in an envelope of the given kind.
bytes seal(blob_kind kind, std::span<const std::byte> payload);

/// Verifies an envelope and returns a view of its payload (pointing into
/// `blob`). Errors: bad_address / bad_key (by `kind`) naming what is wrong.
result<std::span<const std::byte>> unseal(blob_kind kind, std::span<const std::byte> blob);

/// FNV-1a, 32 bits: cheap, and enough to catch corruption (not an adversary).
std::uint32_t fnv1a(std::span<const std::byte> data) noexcept;

}  // namespace remora::transport

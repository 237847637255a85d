// Byte sizes as people write them: "64MiB", "1.5GiB", "4096", "8K".
// Accepted suffixes: B, KiB, MiB, GiB, TiB and K, M, G, T (all powers of two).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace remora::transport {

/// The number of bytes `text` names, or nullopt if it is not a size.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

/// A short human form: "512 B", "4.0 KiB", "1.5 GiB".
std::string format_byte_size(std::uint64_t bytes);

}  // namespace remora::transport

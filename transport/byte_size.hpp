// Byte sizes as people write them: "64MiB", "1.5GiB", "4096", "8K", "8GB".
// Suffixes in any case: B; K, KiB, M, MiB, G, GiB, T, TiB (powers of two);
// KB, MB, GB, TB (powers of ten: 8GB is 8,000,000,000 bytes).
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

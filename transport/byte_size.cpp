#include "transport/byte_size.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace remora::transport {

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || number < 0 || end == text.data()) return std::nullopt;
  std::string_view unit(end, text.data() + text.size() - end);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  // Any case: "8gb", "64MIB". K, KiB, M, MiB ... are powers of two; KB,
  // MB, GB, TB powers of ten, as disks and networks count.
  std::string lower(unit);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  struct suffix {
    std::string_view name;
    double scale;
  };
  static constexpr suffix suffixes[] = {
      {"", 1},       {"b", 1},        {"k", 0x1p10},   {"kib", 0x1p10}, {"kb", 1e3},
      {"m", 0x1p20}, {"mib", 0x1p20}, {"mb", 1e6},     {"g", 0x1p30},   {"gib", 0x1p30},
      {"gb", 1e9},   {"t", 0x1p40},   {"tib", 0x1p40}, {"tb", 1e12},
  };
  for (const auto& s : suffixes) {
    if (lower != s.name) continue;
    const double value = number * s.scale;
    if (value > 1.8e19) return std::nullopt;
    return static_cast<std::uint64_t>(std::llround(value));
  }
  return std::nullopt;
}

std::string format_byte_size(std::uint64_t bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char out[32];
  if (unit == 0)
    std::snprintf(out, sizeof out, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(out, sizeof out, "%.1f %s", value, units[unit]);
  return out;
}

}  // namespace remora::transport

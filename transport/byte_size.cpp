#include "transport/byte_size.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace remora::transport {

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || number < 0 || end == text.data()) return std::nullopt;
  std::string_view unit(end, text.data() + text.size() - end);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  struct suffix {
    std::string_view name;
    std::uint64_t scale;
  };
  static constexpr suffix suffixes[] = {
      {"", 1},           {"B", 1},
      {"K", 1ull << 10}, {"KiB", 1ull << 10},
      {"M", 1ull << 20}, {"MiB", 1ull << 20},
      {"G", 1ull << 30}, {"GiB", 1ull << 30},
      {"T", 1ull << 40}, {"TiB", 1ull << 40},
  };
  for (const auto& s : suffixes) {
    if (unit != s.name) continue;
    double value = number * static_cast<double>(s.scale);
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

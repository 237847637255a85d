// flags: what the examples' flag parsers share: a usage error that names the
// program and exits with status 2, and numbers read whole. (One
// configuration mechanism for every program is issue 17's.)
#pragma once

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace remora::examples {

[[noreturn]] inline void usage_error(std::string_view program, const std::string& message) {
  std::fprintf(stderr, "%.*s: %s (see --help)\n", static_cast<int>(program.size()), program.data(),
               message.c_str());
  std::exit(2);
}

/// `text` as a non-negative number of type T, all of it; a usage error
/// naming `flag` otherwise.
template <class T>
T parse_number(std::string_view program, std::string_view flag, std::string_view text) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty() || v < 0)
    usage_error(program, std::string(flag) + " wants a non-negative number, not '" +
                             std::string(text) + "'");
  return v;
}

}  // namespace remora::examples

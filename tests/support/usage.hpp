// usage: how the tests' helper programs answer a command line they cannot
// use. Asked for (--help or -h alone), the usage goes to stdout and the
// program succeeds; otherwise to stderr, with exit status 2.
#pragma once

#include <cstdio>
#include <string_view>

namespace remora::testing {

/// Prints `text` (a usage line) as the command line asks; returns the exit
/// status for main to return.
inline int usage(int argc, char** argv, const char* text) {
  const bool asked =
      argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h");
  std::fprintf(asked ? stdout : stderr, "%s\n", text);
  return asked ? 0 : 2;
}

}  // namespace remora::testing

// What the benchmark drivers share: their command lines read one way
// (cli/cli.hpp: --help, --version, exit code 2 for a usage error), a
// failure that ends the run with exit code 1 and a message (inside
// remora::cli::run), and the clock they time with.
#pragma once

#include <chrono>
#include <string>

#include "cli/cli.hpp"
#include "remora/errors.hpp"

namespace remora::bench {

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

/// Ends the run: cli::run prints "PROGRAM: what" and exits with 1.
[[noreturn]] inline void fail(const std::string& what) {
  throw Error(what);
}

}  // namespace remora::bench

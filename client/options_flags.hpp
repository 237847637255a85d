// options_flags: the command-line flags of Options, in one table that both
// Options::from_args and every program's command line (cli/cli.hpp) use,
// so that a flag is spelled and read the same everywhere.
#pragma once

#include <CLI/CLI.hpp>

#include "remora/options.hpp"

namespace remora::client {

/// Adds --dram-cache, --memory-node, ... to `app`; each sets `into` as it
/// is parsed (a bad value throws ConfigError from the parse). Without
/// `dram_cache` the program reads --dram-cache itself (as a share of its
/// data, say).
void add_options_flags(CLI::App& app, Options& into, bool dram_cache = true);

}  // namespace remora::client

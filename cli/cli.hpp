// cli: one way for every Remora program to read its command line, on
// CLI11. Every program has --help and --version; an unknown option or a bad
// value is a usage error; byte sizes read as transport/byte_size.hpp says;
// the runtime's options are Options' flags, spelled as everywhere else.
// Exit codes: 0 ok, 1 a runtime error, 2 a usage error.
//
//   CLI::App app{"what the program does", "remora-thing"};
//   remora::cli::standard(app);
//   app.add_option("--rows", rows, "table rows")->check(CLI::PositiveNumber);
//   if (auto code = remora::cli::parse(app, argc, argv)) return *code;
//   return remora::cli::run("remora-thing", [&] { ...; return 0; });
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "remora/options.hpp"

namespace remora::cli {

inline constexpr int ok = 0, failed = 1, usage = 2;

/// --version (prints "NAME VERSION"), and help that lists every option
/// with its default.
void standard(CLI::App& app);
/// Parses the command line into `app`: nothing when the program goes on;
/// else its exit code, having printed what was asked (--help, --version: 0)
/// or what is wrong with the command line (2).
std::optional<int> parse(CLI::App& app, int argc, char** argv);
/// Runs the program's body; a remora::Error or other exception escaping it
/// is printed as "NAME: message" and gives 1.
int run(const std::string& program, const std::function<int()>& body);

/// A byte-size option ("64MiB", "8GB", "4096").
CLI::Option* add_bytes(CLI::App& app, const std::string& name, std::uint64_t& into,
                       const std::string& description);
/// Options' flags (--dram-cache, --memory-node, ...), setting `into`;
/// all but --dram-cache when the program reads that one itself.
void add_runtime_options(CLI::App& app, Options& into, bool dram_cache = true);

/// --dram-cache for a program that sizes its cache by its data: bytes
/// ("64MiB") or a share of the data's bytes ("10%").
struct cache_size {
  std::optional<std::uint64_t> bytes;
  double share = 0;
  /// The cache for `data_bytes` of data.
  std::uint64_t of(std::uint64_t data_bytes) const;
  /// As given: "67108864" or "10%", to pass on to another process.
  std::string text() const;
};
CLI::Option* add_cache_size(CLI::App& app, cache_size& into);

/// A usage error found after parsing (two options that do not go
/// together, say): printed as parse prints its own, giving 2.
int usage_error(const CLI::App& app, const std::string& message);

}  // namespace remora::cli

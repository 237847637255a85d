// cli: one way for every Remora program to read its command line. Every
// program has --help and --version; an unknown option or a bad value is a
// usage error; byte sizes read as transport/byte_size.hpp says; the
// runtime's options are Options' flags, spelled as everywhere else.
// Exit codes: 0 ok, 1 a runtime error, 2 a usage error.
//
//   remora::cli::command_line app{"what the program does", "remora-thing"};
//   app.add("--rows", rows, "table rows").positive();
//   if (auto code = app.parse(argc, argv)) return *code;
//   return remora::cli::run("remora-thing", [&] { ...; return 0; });
//
// CLI11 does the parsing, inside cli.cpp only: its header costs a unit
// that includes it 3-5 s of compiling here (it defines, in every unit,
// the virtual functions of its formatter, its config reader and its
// errors), and every program would pay it.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "remora/options.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace remora::cli {

inline constexpr int ok = 0, failed = 1, usage = 2;

/// One option or positional argument, as added: its checks and relations,
/// chained (`app.add(...).positive().required()`).
class option {
 public:
  explicit option(CLI::Option* o) : o_(o) {}
  option& required();
  option& needs(option other);
  option& excludes(option other);
  /// Numeric checks of the value: above 0; 0 or above; within [low, high]
  /// (T: int, unsigned or unsigned long long).
  option& positive();
  option& non_negative();
  template <class T>
  option& range(T low, T high);
  /// The value is one of these (as written).
  option& one_of(const std::vector<std::string>& values);
  /// How --help names the value ("HOST:PORT").
  option& type_name(const std::string& name);
  /// The default --help shows, where the variable's own value is not it.
  option& default_text(const std::string& text);
  /// Left out of --help.
  option& hidden();
  /// Whether the command line gave it (after parse).
  bool given() const;

 private:
  friend void together(std::initializer_list<option> options);
  CLI::Option* o_;
};

/// Options given all together or not at all (a certificate, its key and
/// its CA): each needs the others.
void together(std::initializer_list<option> options);

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

/// Where options are added: a program's command line, a group of its
/// options (a heading in --help), or one of its commands.
class options {
 public:
  /// "--name" (or "-n,--name") for an option, "name" for a positional
  /// argument, setting `into`. T: int, unsigned short, unsigned, unsigned
  /// long, std::optional<std::uint64_t>, double or std::string (cli.cpp
  /// instantiates these; another is a link error until added there).
  template <class T>
  option add(const std::string& name, T& into, const std::string& description);
  /// A flag: `into` is true when given.
  option flag(const std::string& name, bool& into, const std::string& description);
  /// A flag only asked about (option::given).
  option flag(const std::string& name);
  /// A byte-size option ("64MiB", "8GB", "4096").
  option bytes(const std::string& name, std::uint64_t& into, const std::string& description);
  /// --dram-cache as a cache_size.
  option cache(cache_size& into);
  /// Options' flags (--dram-cache, --memory-node, ...), setting `into`;
  /// all but --dram-cache when the program reads that one itself.
  void runtime_options(Options& into, bool dram_cache = true);
  /// A group of options under its own heading in --help.
  options group(const std::string& name, const std::string& description = "");
  /// A command ("remora-ctl stats ..."), with options of its own.
  options command(const std::string& name, const std::string& description);
  /// Whether the command line gave the option named (after parse).
  bool given(const std::string& name) const;

 protected:
  explicit options(CLI::App* app) : app_(app) {}
  CLI::App* app_;
};

/// A program's command line: --version (prints "NAME VERSION") and help
/// that lists every option with its default.
class command_line : public options {
 public:
  command_line(const std::string& description, const std::string& program);
  ~command_line();
  command_line(const command_line&) = delete;
  command_line& operator=(const command_line&) = delete;

  /// At most one command, and the program's options also after it.
  void one_command_at_most();
  /// Parses the command line: nothing when the program goes on; else its
  /// exit code, having printed what was asked (--help, --version: 0) or
  /// what is wrong with the command line (2).
  std::optional<int> parse(int argc, char** argv);
  /// A usage error found after parsing (two options that do not go
  /// together, say): printed as parse prints its own, giving 2.
  int usage_error(const std::string& message) const;
  /// The command given, or "" (after parse).
  std::string command_given() const;

 private:
  std::unique_ptr<CLI::App> app_owned_;
};

/// Runs the program's body; a remora::Error or other exception escaping it
/// is printed as "NAME: message" and gives 1.
int run(const std::string& program, const std::function<int()>& body);

}  // namespace remora::cli

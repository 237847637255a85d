#include "cli/cli.hpp"

#include <cstdio>
#include <exception>
#include <stdexcept>

#include "client/options_flags.hpp"
#include "remora/errors.hpp"
#include "remora/version.hpp"
#include "transport/byte_size.hpp"

namespace remora::cli {

void standard(CLI::App& app) {
  app.set_version_flag("--version", app.get_name() + " " + REMORA_VERSION);
  app.get_formatter()->column_width(32);
  app.option_defaults()->always_capture_default();
}

std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version: printed
    // An unknown option says more than what it left missing.
    if (const auto unknown = app.remaining(); !unknown.empty()) {
      std::string list;
      for (const auto& arg : unknown) list += (list.empty() ? "" : " ") + arg;
      return usage_error(app, "not an option here: " + list);
    }
    return usage_error(app, e.what());
  } catch (const ConfigError& e) {  // a value Options refused
    return usage_error(app, e.what());
  }
}

int usage_error(const CLI::App& app, const std::string& message) {
  std::fprintf(stderr, "%s: %s (see --help)\n", app.get_name().c_str(), message.c_str());
  return usage;
}

int run(const std::string& program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
  } catch (const std::runtime_error& e) {  // the programs' own: bad input files, ...
    std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: unexpected error: %s\n", program.c_str(), e.what());
  }
  return failed;
}

CLI::Option* add_bytes(CLI::App& app, const std::string& name, std::uint64_t& into,
                       const std::string& description) {
  return app.add_option_function<std::string>(
      name,
      [name, &into](const std::string& text) {
        const auto n = transport::parse_byte_size(text);
        if (!n) throw CLI::ValidationError(name, "'" + text + "' is not a byte size (try 64MiB)");
        into = *n;
      },
      description);
}

std::uint64_t cache_size::of(std::uint64_t data_bytes) const {
  return bytes ? *bytes : static_cast<std::uint64_t>(share * static_cast<double>(data_bytes));
}

std::string cache_size::text() const {
  if (bytes) return std::to_string(*bytes);
  char percent[32];
  std::snprintf(percent, sizeof percent, "%g%%", share * 100);
  return percent;
}

CLI::Option* add_cache_size(CLI::App& app, cache_size& into) {
  return app
      .add_option_function<std::string>(
          "--dram-cache",
          [&into](const std::string& text) {
            if (text.ends_with('%')) {
              double percent = -1;
              try {
                std::size_t used = 0;
                percent = std::stod(text.substr(0, text.size() - 1), &used);
                if (used != text.size() - 1) percent = -1;
              } catch (const std::exception&) {
              }
              if (!(percent > 0 && percent <= 100))
                throw CLI::ValidationError("--dram-cache",
                                           "'" + text + "' is not a share (1% to 100%)");
              into.bytes.reset();
              into.share = percent / 100;
              return;
            }
            const auto n = transport::parse_byte_size(text);
            if (!n || *n == 0)
              throw CLI::ValidationError(
                  "--dram-cache", "'" + text + "' is not a byte size (64MiB) or a share (10%)");
            into.bytes = *n;
          },
          "local DRAM cache: bytes (64MiB, 1GB) or a share of the data's bytes (10%)")
      ->type_name("BYTES|SHARE%")
      ->default_str(into.text());
}

void add_runtime_options(CLI::App& app, Options& into, bool dram_cache) {
  client::add_options_flags(app, into, dram_cache);
}

}  // namespace remora::cli

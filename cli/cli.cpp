#include "cli/cli.hpp"

#include <cstdio>
#include <exception>

#include "client/options_flags.hpp"
#include "remora/errors.hpp"
#include "remora/version.hpp"
#include "transport/byte_size.hpp"

namespace remora::cli {

void standard(CLI::App& app) {
  app.set_version_flag("--version", app.get_name() + " " + REMORA_VERSION);
  app.get_formatter()->column_width(32);
}

std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version: printed
    return usage_error(app, e.what());
  } catch (const ConfigError& e) {  // a value Options refused
    return usage_error(app, e.what());
  }
}

int usage_error(const CLI::App& app, const std::string& message) {
  std::fprintf(stderr, "%s: %s (see --help)\n", app.get_name().c_str(), message.c_str());
  return usage;
}

int run(const CLI::App& app, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: %s\n", app.get_name().c_str(), e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: unexpected error: %s\n", app.get_name().c_str(), e.what());
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

void add_runtime_options(CLI::App& app, Options& into) {
  client::add_options_flags(app, into);
}

}  // namespace remora::cli

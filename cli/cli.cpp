#include "cli/cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <stdexcept>

#include "client/options_flags.hpp"
#include "remora/errors.hpp"
#include "remora/version.hpp"
#include "transport/byte_size.hpp"

namespace remora::cli {

option& option::required() {
  o_->required();
  return *this;
}

option& option::needs(option other) {
  o_->needs(other.o_);
  return *this;
}

option& option::excludes(option other) {
  o_->excludes(other.o_);
  return *this;
}

namespace {

// A number above 0 (or 0 and above), named in --help as CLI11's own checks
// are, with an error that says so (CLI11's reads "not in range 0.000000
// to 1797693134862315708...").
CLI::Validator sign_check(bool zero_too) {
  return CLI::Validator(
      [zero_too](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a number";
        if (zero_too ? value >= 0 : value > 0) return {};
        return "'" + text + "' is not " + (zero_too ? "0 or above" : "above 0");
      },
      zero_too ? "NONNEGATIVE" : "POSITIVE");
}

}  // namespace

option& option::positive() {
  o_->check(sign_check(false));
  return *this;
}

option& option::non_negative() {
  o_->check(sign_check(true));
  return *this;
}

template <class T>
option& option::range(T low, T high) {
  o_->check(CLI::Range(low, high));
  return *this;
}
template option& option::range(int, int);
template option& option::range(unsigned, unsigned);
template option& option::range(unsigned long long, unsigned long long);

option& option::one_of(const std::vector<std::string>& values) {
  o_->check(CLI::IsMember(values));
  return *this;
}

option& option::type_name(const std::string& name) {
  o_->type_name(name);
  return *this;
}

option& option::default_text(const std::string& text) {
  o_->default_str(text);
  return *this;
}

option& option::hidden() {
  o_->group("");
  return *this;
}

void together(std::initializer_list<option> options) {
  for (option o : options)
    for (option other : options)
      if (other.o_ != o.o_) o.needs(other);
}

bool option::given() const {
  return o_->count() > 0;
}

template <class T>
option options::add(const std::string& name, T& into, const std::string& description) {
  return option(app_->add_option(name, into, description));
}
template option options::add(const std::string&, int&, const std::string&);
template option options::add(const std::string&, unsigned short&, const std::string&);
template option options::add(const std::string&, unsigned&, const std::string&);
template option options::add(const std::string&, unsigned long&, const std::string&);
template option options::add(const std::string&, double&, const std::string&);
template option options::add(const std::string&, std::optional<std::uint64_t>&, const std::string&);
template option options::add(const std::string&, std::string&, const std::string&);

option options::flag(const std::string& name, bool& into, const std::string& description) {
  return option(app_->add_flag(name, into, description));
}

option options::flag(const std::string& name) {
  return option(app_->add_flag(name));
}

option options::bytes(const std::string& name, std::uint64_t& into,
                      const std::string& description) {
  return option(app_->add_option_function<std::string>(
      name,
      [name, &into](const std::string& text) {
        const auto n = transport::parse_byte_size(text);
        if (!n) throw CLI::ValidationError(name, "'" + text + "' is not a byte size (try 64MiB)");
        into = *n;
      },
      description));
}

void options::runtime_options(Options& into, bool dram_cache) {
  client::add_options_flags(*app_, into, dram_cache);
}

options options::group(const std::string& name, const std::string& description) {
  return options(app_->add_option_group(name, description));
}

options options::command(const std::string& name, const std::string& description) {
  return options(app_->add_subcommand(name, description));
}

bool options::given(const std::string& name) const {
  return app_->get_option(name)->count() > 0;
}

command_line::command_line(const std::string& description, const std::string& program)
    : options(nullptr), app_owned_(std::make_unique<CLI::App>(description, program)) {
  app_ = app_owned_.get();
  app_->set_version_flag("--version", program + " " + REMORA_VERSION);
  app_->get_formatter()->column_width(32);
  app_->option_defaults()->always_capture_default();
}

command_line::~command_line() = default;

void command_line::one_command_at_most() {
  app_->require_subcommand(0, 1);
  app_->fallthrough();
}

std::optional<int> command_line::parse(int argc, char** argv) {
  try {
    app_->parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app_->exit(e);  // --help, --version: printed
    // An unknown option says more than what it left missing.
    if (const auto unknown = app_->remaining(); !unknown.empty()) {
      std::string list;
      for (const auto& arg : unknown) list += (list.empty() ? "" : " ") + arg;
      return usage_error("not an option here: " + list);
    }
    return usage_error(e.what());
  } catch (const ConfigError& e) {  // a value Options refused
    return usage_error(e.what());
  }
}

int command_line::usage_error(const std::string& message) const {
  std::fprintf(stderr, "%s: %s (see --help)\n", app_->get_name().c_str(), message.c_str());
  return usage;
}

std::string command_line::command_given() const {
  const auto commands = app_->get_subcommands();
  return commands.empty() ? std::string() : commands.front()->get_name();
}

option options::cache(cache_size& into) {
  return option(app_->add_option_function<std::string>(
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
                              throw CLI::ValidationError(
                                  "--dram-cache", "'" + text + "' is not a share (1% to 100%)");
                            into.bytes.reset();
                            into.share = percent / 100;
                            return;
                          }
                          const auto n = transport::parse_byte_size(text);
                          if (!n || *n == 0)
                            throw CLI::ValidationError(
                                "--dram-cache",
                                "'" + text + "' is not a byte size (64MiB) or a share (10%)");
                          into.bytes = *n;
                        },
                        "local DRAM cache: bytes (64MiB, 1GB) or a share of the data's bytes (10%)")
                    ->type_name("BYTES|SHARE%")
                    ->default_str(into.text()));
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

}  // namespace remora::cli

// Runtime(**keywords): each keyword is an Options setter's name, its value
// what the setter takes (byte sizes as numbers or strings such as
// "256MiB", times in seconds). They are handed to Options::from_args as the
// flags of the same names, so that a value means in Python what it means
// on a command line, and a bad one is the same ConfigError.
#include <pybind11/stl.h>

#include <chrono>
#include <string>
#include <vector>

#include "python/bindings.hpp"

namespace remora::python {

namespace {

std::string text_of(const py::handle& v) {
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::isinstance<py::bool_>(v)) throw ConfigError("a size or name, not True or False");
  if (py::isinstance<py::int_>(v)) return std::to_string(v.cast<long long>());
  throw ConfigError("'" + std::string(py::str(v)) + "' is not a number or a string");
}

std::string milliseconds_of(const std::string& key, const py::handle& v) {
  double seconds = 0;
  if (py::hasattr(v, "total_seconds"))
    seconds = v.attr("total_seconds")().cast<double>();
  else if (py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v))
    seconds = v.cast<double>();
  else
    throw ConfigError(key + ": seconds (a number or a timedelta), not '" + std::string(py::str(v)) +
                      "'");
  if (!(seconds >= 0)) throw ConfigError(key + ": a time cannot be negative");
  return std::to_string(static_cast<long long>(seconds * 1000 + 0.5));
}

// The pair a keyword takes as a tuple: (k, m), (numa_node, bytes).
std::pair<std::string, std::string> pair_of(const std::string& key, const py::handle& v) {
  if (!py::isinstance<py::sequence>(v) || py::isinstance<py::str>(v) || py::len(v) != 2)
    throw ConfigError(key + ": a pair, not '" + std::string(py::str(v)) + "'");
  auto s = v.cast<py::sequence>();
  return {text_of(s[0]), text_of(s[1])};
}

constexpr const char* known =
    "dram_cache, cxl_cache, hbm_cache, memory_nodes, memory_node, cluster, embedded_capacity, "
    "spill_dir, auth_token, auth_token_file, tls, timeout, dead_after, replicas, erasure, "
    "net_devices, prefetch_on_reader, compress_links";

}  // namespace

Options options_from(const py::kwargs& keywords) {
  std::vector<std::string> args{"remora"};
  auto flag = [&](const std::string& name, const std::string& value) {
    args.push_back("--" + name + "=" + value);
  };
  for (const auto& [k, v] : keywords) {
    const std::string key = k.cast<std::string>();
    if (key == "dram_cache") {
      flag("dram-cache", text_of(v));
    } else if (key == "embedded_capacity") {
      flag("embedded-capacity", text_of(v));
    } else if (key == "cxl_cache" || key == "hbm_cache") {
      auto [where, bytes] = pair_of(key, v);
      flag(key == "cxl_cache" ? "cxl-cache" : "hbm-cache", where + ":" + bytes);
    } else if (key == "memory_nodes" || key == "memory_node") {
      if (py::isinstance<py::str>(v)) {
        flag("memory-node", v.cast<std::string>());
      } else {
        for (const auto& node : v.cast<std::vector<std::string>>()) flag("memory-node", node);
      }
    } else if (key == "cluster" || key == "spill_dir" || key == "auth_token" ||
               key == "auth_token_file" || key == "net_devices") {
      std::string name = key;
      for (char& c : name)
        if (c == '_') c = '-';
      flag(name, v.cast<std::string>());
    } else if (key == "tls") {
      const auto files = v.cast<std::vector<std::string>>();
      if (files.size() != 3) throw ConfigError("tls: (ca_file, certificate, key)");
      flag("tls-ca-file", files[0]);
      flag("tls-certificate", files[1]);
      flag("tls-key", files[2]);
    } else if (key == "timeout") {
      flag("timeout-ms", milliseconds_of(key, v));
    } else if (key == "dead_after") {
      flag("dead-after-ms", milliseconds_of(key, v));
    } else if (key == "replicas") {
      flag("replicas", text_of(v));
    } else if (key == "erasure") {
      auto [k_, m_] = pair_of(key, v);
      flag("erasure", k_ + "," + m_);
    } else if (key == "prefetch_on_reader") {
      args.push_back(v.cast<bool>() ? "--prefetch-on-reader" : "--prefetch-on-threads");
    } else if (key == "compress_links") {  // "off", "slow", "always"; True: always
      if (py::isinstance<py::bool_>(v))
        flag("compress-links", v.cast<bool>() ? "always" : "off");
      else
        flag("compress-links", v.cast<std::string>());
    } else {
      throw ConfigError("Runtime: unknown option '" + key + "' (known: " + known + ")");
    }
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return Options::from_args(static_cast<int>(args.size()), argv.data());
}

}  // namespace remora::python

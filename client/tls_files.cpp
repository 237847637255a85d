#include "client/tls_files.hpp"

#include <fstream>

#include "remora/errors.hpp"

namespace remora::client {

actors::tls_options tls_of(const Options& o) {
  if (!o.tls()) return {};
  for (const std::string* file : {&o.tls()->ca_file, &o.tls()->certificate, &o.tls()->key})
    if (file->empty() || !std::ifstream(*file))
      throw ConfigError("tls: cannot read '" + *file +
                        "' (the CA file, this client's certificate and its key, all PEM)");
  return {o.tls()->certificate, o.tls()->key, o.tls()->ca_file};
}

}  // namespace remora::client

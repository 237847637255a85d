// read_token_file: an auth token kept in a file (remora-memnode
// --auth-token-file, Options::auth_token_file, remora-ctl), so that it is not
// on a command line for `ps` to show. Surrounding whitespace is dropped.
//
// Thread-safety: a free function.
#pragma once

#include <string>

#include "transport/result.hpp"

namespace remora::transport {

/// The token in `path`. Errors: io (cannot be read), invalid_argument (empty).
result<std::string> read_token_file(const std::string& path);

}  // namespace remora::transport

// tls_of: the control plane's TLS settings from Options::tls, with the files
// checked first (CAF aborts on one it cannot read). Used by the Runtime and
// GatherClient.
//
// Thread-safety: a free function.
#pragma once

#include "actors/control_plane.hpp"
#include "remora/options.hpp"

namespace remora::client {

/// Plain TCP without Options::tls. Throws ConfigError naming a file that
/// cannot be read.
actors::tls_options tls_of(const Options& o);

}  // namespace remora::client

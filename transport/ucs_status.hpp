// The one place where UCX status codes become Remora errors.
#pragma once

#include <string_view>

#include <ucs/type/status.h>

#include "transport/result.hpp"

namespace remora::transport {

/// Converts a failed UCX status into an error whose message reads
/// "<what>: <UCX's description>". REQUIRES: status != UCS_OK.
error from_ucs(ucs_status_t status, std::string_view what);

/// result<void> from a status: ok for UCS_OK, the converted error otherwise.
result<void> check_ucs(ucs_status_t status, std::string_view what);

}  // namespace remora::transport

// The one place where an internal error becomes a public exception.
#pragma once

#include "transport/result.hpp"

namespace remora::objects {

/// Throws the remora::Error subclass that matches `e`'s code, with its message.
[[noreturn]] void raise(const transport::error& e);

}  // namespace remora::objects

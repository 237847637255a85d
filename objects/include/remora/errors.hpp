// Remora's exceptions. Every error the public API throws derives from
// remora::Error (a std::runtime_error); the message says what was asked, of
// which node, and what to do about it.
#pragma once

#include <stdexcept>
#include <string>

namespace remora {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Options that cannot work (bad sizes, a tier this build or machine lacks).
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// A memory node cannot be reached, or stopped answering.
class NodeUnavailable : public Error {
 public:
  using Error::Error;
};

/// No room: the local cache is pinned full, or the pool and its spill are.
class OutOfMemory : public Error {
 public:
  using Error::Error;
};

/// A handle that holds no object (moved from, reset, or never set).
class InvalidObject : public Error {
 public:
  using Error::Error;
};

/// Threads met on an Array chunk against its contract (one writer and no
/// readers): a write to a chunk another thread reads or writes in a
/// DerefScope still open, or a read of a chunk another thread writes in one.
/// Checked where Options::check_access is on (debug builds of Remora).
class AccessConflict : public Error {
 public:
  using Error::Error;
};

/// The object's home no longer has it (for example, its node restarted).
class ObjectLost : public Error {
 public:
  using Error::Error;
};

/// A peer sent something this build does not understand.
class ProtocolError : public Error {
 public:
  using Error::Error;
};

/// A memory node refused our credentials.
class AuthError : public Error {
 public:
  using Error::Error;
};

}  // namespace remora

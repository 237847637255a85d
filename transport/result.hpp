// result<T>: the expected-style return type used at Remora's internal module
// boundaries. A result holds either a value or an `error` naming what failed
// and why; the public API turns errors into typed exceptions.
//
// Thread-safety: plain values; no shared state.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace remora::transport {

/// What went wrong, coarsely, so that callers can branch on it.
enum class errc {
  timeout,           // a deadline passed before the operation completed
  peer_unreachable,  // the peer is gone, refused us, or reset the connection
  bad_address,       // a worker-address blob is corrupt, truncated or foreign
  bad_key,           // a remote-key blob is corrupt, truncated or foreign
  out_of_range,      // an access outside a registered region
  protocol,          // a malformed or unexpected message from a peer
  no_memory,         // registration or allocation failed
  io,                // an operating-system call failed
  transport,         // UCX reported another failure
  unknown_object,    // no object with that id (never allocated, or freed)
  already_exists,    // an object with that id exists already
  invalid_argument,  // a request that can never succeed (zero or oversized size, ...)
  no_space,          // memory and disk are full
  auth,              // wrong or missing credentials
  unsupported,       // this build or this machine cannot do it (no CUDA, no such NUMA node)
  corrupt,           // stored bytes fail their checksum
  busy,              // not now: what it needs is on its way (asked again later, it succeeds)
};

/// Short lowercase name of an error code, for messages.
const char* to_string(errc code) noexcept;

struct error {
  errc code;
  std::string message;  // what was asked, of whom, and what happened
};

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : state_(std::move(value)) {}
  result(error e) : state_(std::move(e)) {}

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // REQUIRES: ok()
  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok()
  const error& err() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, error> state_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(error e) : error_(std::move(e)), failed_(true) {}

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }

  // REQUIRES: !ok()
  const error& err() const {
    assert(failed_);
    return error_;
  }

 private:
  error error_{errc::transport, {}};
  bool failed_ = false;
};

}  // namespace remora::transport

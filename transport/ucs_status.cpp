#include "transport/ucs_status.hpp"

#include <string>

namespace remora::transport {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::timeout:
      return "timeout";
    case errc::peer_unreachable:
      return "peer unreachable";
    case errc::bad_address:
      return "bad address";
    case errc::bad_key:
      return "bad key";
    case errc::out_of_range:
      return "out of range";
    case errc::protocol:
      return "protocol error";
    case errc::no_memory:
      return "no memory";
    case errc::io:
      return "i/o error";
    case errc::transport:
      return "transport error";
    case errc::unknown_object:
      return "unknown object";
    case errc::corrupt:
      return "corrupt";
    case errc::already_exists:
      return "already exists";
    case errc::invalid_argument:
      return "invalid argument";
    case errc::unsupported:
      return "unsupported here";
    case errc::no_space:
      return "no space";
    case errc::auth:
      return "authentication failed";
    case errc::busy:
      return "busy";
  }
  return "unknown error";
}

namespace {

errc classify(ucs_status_t status) {
  switch (status) {
    case UCS_ERR_TIMED_OUT:
    case UCS_ERR_ENDPOINT_TIMEOUT:
      return errc::timeout;
    case UCS_ERR_UNREACHABLE:
    case UCS_ERR_CONNECTION_RESET:
    case UCS_ERR_REJECTED:
    case UCS_ERR_CANCELED:
    case UCS_ERR_NOT_CONNECTED:
      return errc::peer_unreachable;
    case UCS_ERR_NO_MEMORY:
    case UCS_ERR_EXCEEDS_LIMIT:
      return errc::no_memory;
    case UCS_ERR_IO_ERROR:
      return errc::io;
    case UCS_ERR_INVALID_ADDR:
      return errc::bad_address;
    default:
      return errc::transport;
  }
}

}  // namespace

error from_ucs(ucs_status_t status, std::string_view what) {
  std::string message{what};
  message += ": ";
  message += ucs_status_string(status);
  return error{classify(status), std::move(message)};
}

result<void> check_ucs(ucs_status_t status, std::string_view what) {
  if (status == UCS_OK) return {};
  return from_ucs(status, what);
}

}  // namespace remora::transport

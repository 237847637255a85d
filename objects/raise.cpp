#include "objects/raise.hpp"

#include "remora/errors.hpp"

namespace remora::objects {

void raise(const transport::error& e) {
  using transport::errc;
  switch (e.code) {
    case errc::auth:
      throw AuthError(e.message);
    case errc::timeout:
    case errc::peer_unreachable:
      throw NodeUnavailable(e.message);
    case errc::unknown_object:
    case errc::corrupt:  // a copy that fails its checksum is a lost copy
      throw ObjectLost(e.message);
    case errc::out_of_range:
      throw InvalidObject(e.message);
    case errc::no_space:
    case errc::no_memory:
      throw OutOfMemory(e.message);
    case errc::invalid_argument:
    case errc::unsupported:
      throw ConfigError(e.message);
    case errc::protocol:
    case errc::bad_address:
    case errc::bad_key:
      throw ProtocolError(e.message);
    default:
      throw Error(e.message);
  }
}

}  // namespace remora::objects

#include "actors/node_address.hpp"

#include <stdexcept>

namespace remora::actors {

using transport::errc;
using transport::error;

transport::result<node_address> node_address::parse(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return error{errc::invalid_argument, "'" + text + "' is not HOST:PORT"};
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port == 0 || port > 65535) throw std::out_of_range("");
  } catch (const std::exception&) {
    return error{errc::invalid_argument, "'" + text + "' has no valid port (1-65535)"};
  }
  return node_address{text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

}  // namespace remora::actors

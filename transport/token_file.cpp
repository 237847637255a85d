#include "transport/token_file.hpp"

#include <fstream>
#include <sstream>

namespace remora::transport {

result<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return error{errc::io, "cannot read " + path};
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  const auto first = all.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return error{errc::invalid_argument, path + " is empty"};
  return all.substr(first, all.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace remora::transport

#include "transport/secure_random.hpp"

#include <sys/random.h>

#include <vector>

namespace remora::transport {

namespace {

void fill(unsigned char* out, std::size_t size) {
  for (std::size_t got = 0; got < size;) {
    const ssize_t n = ::getrandom(out + got, size - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);  // else interrupted: again
  }
}

}  // namespace

std::uint64_t secure_random_u64() {
  std::uint64_t x = 0;
  while (x == 0) fill(reinterpret_cast<unsigned char*>(&x), sizeof x);
  return x;
}

std::string secure_random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  fill(raw.data(), raw.size());
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

}  // namespace remora::transport

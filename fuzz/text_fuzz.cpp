// Fuzz target: text an operator or a peer hands Remora: node addresses
// (HOST:PORT, also from etcd's member list), byte sizes (--capacity=8GiB),
// cluster URLs (etcd://HOST:PORT/PREFIX). Each must parse or be refused
// with an error, never crash.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "actors/etcd_client.hpp"
#include "actors/node_client.hpp"
#include "transport/byte_size.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)remora::actors::node_address::parse(text);
  (void)remora::transport::parse_byte_size(text);
  (void)remora::actors::etcd_client::parse(text, std::chrono::seconds(1));
  return 0;
}

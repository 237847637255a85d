// Fuzz target: text an operator or a peer hands Remora: node addresses
// (HOST:PORT, also from etcd's member list), byte sizes (--capacity=8GiB),
// cluster URLs (etcd://HOST:PORT/PREFIX), the preamble a connection to a
// node opens with (actors/preamble.hpp). Each must parse or be refused with
// an error, never crash.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "actors/etcd_client.hpp"
#include "actors/node_client.hpp"
#include "actors/preamble.hpp"
#include "transport/byte_size.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)remora::actors::node_address::parse(text);
  (void)remora::transport::parse_byte_size(text);
  (void)remora::actors::etcd_client::parse(text, std::chrono::seconds(1));
  // A preamble's head, and what follows as its token.
  using remora::actors::preamble_head_bytes;
  if (text.size() >= preamble_head_bytes && remora::actors::preamble_token_length(text.data()))
    (void)remora::actors::token_known({"a token"}, text.substr(preamble_head_bytes));
  return 0;
}

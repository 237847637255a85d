// Fuzz target: what a memory node decodes from a peer before it can judge
// it. Bytes become a caf::message through the node's type registry (as
// BASP delivers requests: hello, alloc, free, lookup, stats, drain, leave,
// gather, publish, open, close, unpublish, retract), and each of Remora's
// wire types on its own (hello_reply, node_stats, slot locations,
// publication_reply). Any input should decode or be refused, never
// crash or read out of bounds. It does not yet: CAF sizes a sequence by the
// length the bytes claim before reading it (fuzz/findings/README.md), so
// this target is run by hand (scripts/fuzz.sh long), not in the test suite.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace {

caf::actor_system& registry() {
  static caf::actor_system_config config = [] {
    caf::actor_system_config c;
    remora::actors::register_message_types(c);
    c.set("scheduler.max-threads", std::size_t{1});
    c.set("logger.verbosity", caf::atom("quiet"));
    return c;
  }();
  static caf::actor_system system{config};
  return system;
}

template <class T>
void decode(const std::uint8_t* data, std::size_t size) {
  caf::binary_deserializer source{registry(), reinterpret_cast<const char*>(data), size};
  T value;
  (void)source(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  decode<caf::message>(data, size);
  decode<remora::actors::hello_reply>(data, size);
  decode<remora::actors::node_stats>(data, size);
  decode<remora::actors::publication_reply>(data, size);
  decode<std::vector<remora::actors::slot_location>>(data, size);
  decode<std::vector<std::uint64_t>>(data, size);
  return 0;
}

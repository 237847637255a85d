// node_replies: the shape a memory node's answers must have before a client
// uses them. A request about objects (alloc, place, lookup) is answered with
// one slot for each object asked about, in the order asked; a blob store's
// get with one value for each key, whose located pieces add up to the
// value's size. Anything else is the node's fault (errc::protocol), so that
// no caller indexes past a short list, writes one object's bytes into
// another's slot, or reads a value's pieces past the buffer its size gave.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "storage/arena.hpp"
#include "transport/result.hpp"

namespace remora::actors {

/// `reply` as it came from `node` for `request` about `ids`: passed on if it
/// failed or names each of `ids` in order, a protocol error otherwise.
transport::result<std::vector<storage::object_location>> slots_for(
    std::span<const storage::object_id> ids,
    transport::result<std::vector<storage::object_location>> reply, std::string_view node,
    std::string_view request);

/// A blob store's value as a node describes it.
struct blob_reply {
  bool found = false;
  std::uint64_t bytes = 0;
  std::vector<storage::object_location> pieces;  // in order; empty unless located
};

/// `reply` as it came from `node` for a get of `keys` keys (`located`: with
/// their pieces): passed on if it failed, or holds one value a key whose
/// pieces (if located) add up to its bytes; a protocol error otherwise.
transport::result<std::vector<blob_reply>> values_for(
    std::size_t keys, transport::result<std::vector<blob_reply>> reply, bool located,
    std::string_view node);

}  // namespace remora::actors

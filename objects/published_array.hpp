// published_array: what a memory node keeps under the name of a published
// array, as bytes it does not read: the element size and count, the
// chunking, and each chunk's object, home node (by the node's id, which
// every runtime of the pool knows) and slot, and, in a pool of replicas,
// the chunk's other copies (node and slot). The publisher encodes it; a
// runtime that opens the name decodes it and makes its records from it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "storage/arena.hpp"
#include "storage/huge_vector.hpp"
#include "transport/result.hpp"

namespace remora::objects {

struct published_array {
  struct chunk {
    storage::object_location where;  // id, size, and the slot when published
    std::uint32_t home = 0;          // an index into node_ids
  };
  std::uint32_t element_bytes = 0;
  std::uint64_t size = 0;       // elements
  std::uint64_t per_chunk = 0;  // elements a chunk: a power of two
  struct extra_copy {
    std::uint64_t chunk = 0;  // an index into chunks
    std::uint32_t home = 0;   // an index into node_ids
    std::uint64_t offset = 0;
    std::uint32_t version = 0;
  };
  std::vector<std::uint64_t> node_ids;
  storage::huge_vector<chunk> chunks;      // each with its first copy
  storage::huge_vector<extra_copy> extra;  // the others, by chunk

  storage::huge_vector<char> encode() const;
  class encoder;
  /// Errors: protocol, naming what does not hold together (bytes cut short
  /// or left over, a chunk count or size that does not fit the array, a
  /// home that is no node, extra copies out of chunk order or of no chunk).
  static transport::result<published_array> decode(std::span<const char> bytes);
};

/// Writes a description a chunk at a time, with no list of the chunks
/// (publishing a table of millions of chunks; encode() writes a listed
/// one): the head's fields and node ids, then exactly `chunks` chunks in
/// order, and the extra copies (kept until finish(), where the format
/// lists them) in chunk order.
class published_array::encoder {
 public:
  /// `head`'s chunks and extra copies are not read.
  encoder(const published_array& head, std::uint64_t chunks);
  encoder(encoder&&) noexcept;
  ~encoder();
  /// The next chunk.
  void add(const chunk& c);
  /// An extra copy, beside `first`, its chunk's first copy.
  void add_extra(const extra_copy& e, const storage::object_location& first);
  /// The description. REQUIRES: `chunks` chunks added.
  storage::huge_vector<char> finish() &&;

 private:
  struct state;
  std::unique_ptr<state> s_;
};

}  // namespace remora::objects

// Rendezvous (highest-random-weight) hashing: an object goes to the node
// whose score with its id is highest; with r copies, to the r highest. A
// node joining or leaving moves only the objects it wins or held.
#pragma once

#include <cstdint>

namespace remora::objects {

inline std::uint64_t rendezvous_score(std::uint64_t id, std::uint64_t node_id) {
  std::uint64_t x = id ^ (node_id + 0x9e3779b97f4a7c15ull + (id << 6) + (id >> 2));
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dull;
  return x ^ (x >> 33);
}

}  // namespace remora::objects

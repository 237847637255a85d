// gather_rows: the rows of a table held in an Array<float> (rows of `width`
// floats, row r at elements r*width ...), row after row: what an embedding
// lookup does. Every row id is checked before anything is fetched; the
// chunks of all the rows are fetched in one batch, then copied. The Array's
// exceptions come back as errors, so that callers at an actor's edge or the
// client's can each report them their way.
//
// Thread-safety: as the Array's: one thread at a time per table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "remora/array.hpp"
#include "transport/result.hpp"

namespace remora::objects {

/// Errors: out_of_range naming a row past the table (nothing is fetched),
/// peer_unreachable, no_memory and transport from the fetches.
transport::result<std::vector<float>> gather_rows(Array<float>& table, std::size_t width,
                                                  std::span<const std::uint64_t> rows);

}  // namespace remora::objects

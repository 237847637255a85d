// gather_rows: the rows of a table held in an Array<float> (rows of `width`
// floats, row r at elements r*width ...), row after row: what an embedding
// lookup does. Every row id is checked before anything is fetched; the
// chunks of all the rows are fetched in one batch, then copied. Errors are
// the Array's exceptions, with their types (an actor's edge converts them).
//
// Thread-safety: as the Array's reads: any number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "remora/array.hpp"

namespace remora::objects {

/// Throws InvalidObject naming a row past the table (nothing is fetched), and
/// what the fetches throw (NodeUnavailable, OutOfMemory, ObjectLost).
std::vector<float> gather_rows(Array<float>& table, std::size_t width,
                               std::span<const std::uint64_t> rows);

}  // namespace remora::objects

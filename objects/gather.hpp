// gather_rows: the rows of a table held in an Array<float> (rows of `width`
// floats, row r at elements r*width ...), row after row: what an embedding
// lookup does. Every row id is checked before anything is fetched; the
// chunks of all the rows are fetched in one batch, then copied. Errors are
// the Array's exceptions, with their types (an actor's edge converts them).
//
// Thread-safety: as the Array's reads: any number of threads at once.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "remora/array.hpp"
#include "remora/deref_scope.hpp"

namespace remora::objects {

/// Throws InvalidObject naming a row past the table (nothing is fetched), and
/// what the fetches throw (NodeUnavailable, OutOfMemory, ObjectLost).
std::vector<float> gather_rows(Array<float>& table, std::size_t width,
                               std::span<const std::uint64_t> rows);

/// gather_rows' work for a table of any element type (an Array<T> or an
/// ArrayView<T>): the rows into `out`, row after row. REQUIRES: every row
/// lies inside the table; out has room for rows.size() * width elements.
template <class T, class Table>
void copy_rows(const Table& table, std::size_t width, std::span<const std::uint64_t> rows, T* out) {
  // A row's first and last elements name every chunk it lies in (a row is
  // never longer than a chunk is wide, or it spans the chunks between too,
  // which the copy below then fetches one by one).
  std::vector<std::size_t> ends;
  ends.reserve(2 * rows.size());
  for (std::uint64_t r : rows) {
    ends.push_back(r * width);
    ends.push_back(r * width + width - 1);
  }
  table.fetch(ends);
  // A scope per group of rows: a batch pins no more than a group's chunks
  // (16 KiB of them at most: a miss inside a scope may take its slot from
  // the cache's small reserve).
  const std::size_t chunk_bytes = table.chunk_elements() * sizeof(T);
  constexpr std::size_t most_a_scope = 16;
  const std::size_t rows_a_scope =
      std::clamp<std::size_t>((16 << 10) / chunk_bytes, 1, most_a_scope);
  std::array<std::span<const T>, most_a_scope> starts;
  for (std::size_t first = 0; first < rows.size(); first += rows_a_scope) {
    DerefScope scope;
    const auto group = rows.subspan(first, std::min(rows_a_scope, rows.size() - first));
    // Each row's first line is asked for before any row is copied: the rows
    // lie anywhere in the cache, and their misses then overlap.
    for (std::size_t k = 0; k < group.size(); ++k) {
      starts[k] = table.span(scope, group[k] * width);
      __builtin_prefetch(starts[k].data());
    }
    for (std::size_t k = 0; k < group.size(); ++k) {
      std::span<const T> in = starts[k];
      for (std::size_t i = group[k] * width, end = i + width;;) {
        const std::size_t n = std::min(in.size(), end - i);
        out = std::copy_n(in.data(), n, out);
        i += n;
        if (i == end) break;
        in = table.span(scope, i);  // the row goes on in the next chunk
      }
    }
  }
}

}  // namespace remora::objects

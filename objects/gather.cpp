#include "objects/gather.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "remora/deref_scope.hpp"
#include "remora/errors.hpp"

namespace remora::objects {

std::vector<float> gather_rows(Array<float>& table, std::size_t width,
                               std::span<const std::uint64_t> rows) {
  const std::uint64_t count = table.size() / width;
  for (std::uint64_t r : rows)
    if (r >= count)
      throw InvalidObject("row " + std::to_string(r) + " is past the end of a table of " +
                          std::to_string(count) + " rows");
  // A row's first and last elements name every chunk it lies in (a row is
  // never longer than a chunk is wide, or it spans the chunks between too,
  // which the copy below then fetches one by one).
  std::vector<std::size_t> ends;
  ends.reserve(2 * rows.size());
  for (std::uint64_t r : rows) {
    ends.push_back(r * width);
    ends.push_back(r * width + width - 1);
  }
  std::vector<float> out(rows.size() * width);
  table.fetch(ends);
  float* to = out.data();
  // A scope per group of rows: a batch pins no more than a group's chunks
  // (16 KiB of them at most: a miss inside a scope may take its slot from
  // the cache's small reserve).
  const std::size_t chunk_bytes = table.chunk_elements() * sizeof(float);
  constexpr std::size_t most_a_scope = 16;
  const std::size_t rows_a_scope =
      std::clamp<std::size_t>((16 << 10) / chunk_bytes, 1, most_a_scope);
  std::array<std::span<const float>, most_a_scope> starts;
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
      std::span<const float> in = starts[k];
      for (std::size_t i = group[k] * width, end = i + width;;) {
        const std::size_t n = std::min(in.size(), end - i);
        to = std::copy_n(in.data(), n, to);
        i += n;
        if (i == end) break;
        in = table.span(scope, i);  // the row goes on in the next chunk
      }
    }
  }
  return out;
}

}  // namespace remora::objects

#include "objects/gather.hpp"

#include <algorithm>
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
  const std::size_t rows_a_scope = std::clamp<std::size_t>((16 << 10) / chunk_bytes, 1, 16);
  for (std::size_t first = 0; first < rows.size(); first += rows_a_scope) {
    DerefScope scope;
    for (std::uint64_t r : rows.subspan(first, std::min(rows_a_scope, rows.size() - first))) {
      for (std::size_t i = r * width, end = i + width; i < end;) {
        const std::span<const float> in = table.span(scope, i);
        const std::size_t n = std::min(in.size(), end - i);
        to = std::copy_n(in.data(), n, to);
        i += n;
      }
    }
  }
  return out;
}

}  // namespace remora::objects

#include "objects/gather.hpp"

#include <string>

#include "remora/errors.hpp"

namespace remora::objects {

std::vector<float> gather_rows(Array<float>& table, std::size_t width,
                               std::span<const std::uint64_t> rows) {
  const std::uint64_t count = table.size() / width;
  for (std::uint64_t r : rows)
    if (r >= count)
      throw InvalidObject("row " + std::to_string(r) + " is past the end of a table of " +
                          std::to_string(count) + " rows");
  std::vector<float> out(rows.size() * width);
  copy_rows(table, width, rows, out.data());
  return out;
}

}  // namespace remora::objects

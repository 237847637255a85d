// Declared iteration orders: how a reader will walk an Array, so a prefetch
// actor can run ahead of it. An order is a sequence of element indices.
//
//   order::sequential()            0, 1, 2, ... to the end
//   order::sequential(b, e)        b .. e-1
//   order::strided(b, s)           b, b+s, b+2s, ... to the end
//   order::indices({...})          exactly these, in this order
//   order::generator(f)            f() yields the next index, or nullopt at
//                                  the end: for orders known only as they
//                                  unfold (graph frontiers)
//   order::none()                  no declaration: detection only
//   order::off()                   no prefetching at all, not even detected
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace remora::order {

struct declared {
  enum class kind { none, sequential, strided, indices, generator, off };
  kind what = kind::none;
  std::size_t begin = 0, end = static_cast<std::size_t>(-1), stride = 1;
  std::shared_ptr<const std::vector<std::size_t>> list;
  std::function<std::optional<std::size_t>()> next;
};

inline declared none() { return {}; }
inline declared off() { return {declared::kind::off, 0, 0, 1, nullptr, nullptr}; }
inline declared sequential(std::size_t begin = 0, std::size_t end = static_cast<std::size_t>(-1)) {
  return {declared::kind::sequential, begin, end, 1, nullptr, nullptr};
}
inline declared strided(std::size_t begin, std::size_t stride) {
  return {declared::kind::strided, begin, static_cast<std::size_t>(-1), stride == 0 ? 1 : stride,
          nullptr, nullptr};
}
inline declared indices(std::vector<std::size_t> list) {
  return {declared::kind::indices, 0, 0, 1,
          std::make_shared<const std::vector<std::size_t>>(std::move(list)), nullptr};
}
inline declared generator(std::function<std::optional<std::size_t>()> next) {
  return {declared::kind::generator, 0, 0, 1, nullptr, std::move(next)};
}

}  // namespace remora::order

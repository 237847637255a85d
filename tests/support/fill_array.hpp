// fill_array: writes an Array a chunk at a time through spans, the way
// tests set up the data they read back.
#pragma once

#include <cstddef>

#include "remora/remora.hpp"

namespace remora::testing {

/// Element i of `a` becomes value(i).
template <class T, class Value>
void fill_array(Array<T>& a, Value value) {
  for (std::size_t i = 0; i < a.size();) {
    DerefScope scope;
    auto chunk = a.span_mut(scope, i);
    for (std::size_t k = 0; k < chunk.size(); ++k) chunk[k] = value(i + k);
    i += chunk.size();
  }
}

}  // namespace remora::testing

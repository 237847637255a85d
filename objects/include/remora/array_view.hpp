// ArrayView<T>: a published array (Runtime::publish, Runtime::open_array),
// read-only. Its chunks belong to the publication at their memory nodes, not
// to any runtime: every Runtime of the pool that opens the name reads the
// same objects, each through its own local cache, with the orders, prefetch
// and scan of an Array. The publication is freed at the nodes once it is
// unpublished and the last view of it (in any process) has closed; a
// process that dies closes its views when its lease lapses.
//
// Copies share one view. Thread-safety: any number of threads may read
// through a view (and its copies) at once; prefetch() declares the calling
// thread's order. REQUIRES: the Runtime outlives its views.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "remora/array.hpp"

namespace remora {

template <class T>
class ArrayView {
 public:
  ArrayView() = default;

  /// The name it was published under.
  const std::string& name() const { return shared().name; }
  std::size_t size() const { return state_ ? state_->array.size() : 0; }
  std::size_t chunk_elements() const { return state_ ? state_->array.chunk_elements() : 0; }

  const T& at(DerefScope& scope, std::size_t i) const { return shared().array.at(scope, i); }
  std::span<const T> span(DerefScope& scope, std::size_t i) const {
    return shared().array.span(scope, i);
  }
  T read(std::size_t i) const { return shared().array.read(i); }
  void fetch(std::span<const std::size_t> indices) const { shared().array.fetch(indices); }
  void prefetch(order::declared o) const { shared().array.prefetch(std::move(o)); }
  typename Array<T>::scan_range scan() const { return shared().array.scan(); }

 private:
  friend struct detail::handle_factory;
  // `hold` closes the view at the nodes once the array's records are gone
  // (members go in reverse order).
  struct state {
    std::shared_ptr<void> hold;
    Array<T> array;
    std::string name;
  };
  ArrayView(std::shared_ptr<void> hold, Array<T>&& array, std::string name)
      : state_(std::make_shared<state>(state{std::move(hold), std::move(array), std::move(name)})) {
  }
  state& shared() const {
    if (!state_) [[unlikely]]
      detail::throw_no_object("use");
    return *state_;
  }

  std::shared_ptr<state> state_;
};

}  // namespace remora

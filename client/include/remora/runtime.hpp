// Runtime: one application's view of the far-memory pool — its local cache,
// its connections to memory nodes (or an embedded one), and the actors that
// evacuate the cache. Objects made by a Runtime must not outlive it.
//
// Thread-safety: any number of threads may make and dereference objects
// concurrently (each with its own DerefScope).
#pragma once

#include <memory>
#include <utility>

#include "remora/array.hpp"
#include "remora/hash_map.hpp"
#include "remora/options.hpp"
#include "remora/shared_ptr.hpp"
#include "remora/stats.hpp"
#include "remora/unique_ptr.hpp"
#include "remora/vector.hpp"

namespace remora {

class Runtime {
 public:
  /// Throws ConfigError for unusable options, NodeUnavailable (naming the
  /// address) when a memory node cannot be reached in time, AuthError.
  explicit Runtime(const Options& options = Options{});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  template <class T, class... Args>
  UniquePtr<T> make_unique(Args&&... args) {
    return detail::handle_factory::make<UniquePtr<T>>(
        detail::create_object<T>(objects(), std::forward<Args>(args)...), objects());
  }

  template <class T, class... Args>
  SharedPtr<T> make_shared(Args&&... args) {
    return detail::handle_factory::make<SharedPtr<T>>(
        detail::create_object<T>(objects(), std::forward<Args>(args)...), objects());
  }

  /// An array of `n` value-initialised elements in far memory.
  template <class T>
  Array<T> make_array(std::size_t n, std::size_t chunk_bytes = array_chunk_bytes) {
    auto s = detail::new_array_state<T>(objects(), chunk_bytes);
    s->size = n;
    const std::size_t chunks = (n + s->per_chunk - 1) / s->per_chunk;
    s->chunks.reserve(chunks);
    for (std::size_t c = 0; c < chunks; ++c) {
      const std::size_t elements = std::min(s->per_chunk, n - c * s->per_chunk);
      s->chunks.push_back(
          detail::create_zeroed(objects(), static_cast<std::uint32_t>(elements * sizeof(T))));
    }
    return detail::handle_factory::make<Array<T>>(std::move(s));
  }

  /// An empty vector; push_back grows it.
  template <class T>
  Vector<T> make_vector() {
    return detail::handle_factory::make<Vector<T>>(detail::new_array_state<T>(objects()));
  }

  /// A hash map sized for about `expected_size` entries (it grows).
  template <class K, class V>
  HashMap<K, V> make_hash_map(std::size_t expected_size = 0) {
    return detail::handle_factory::make<HashMap<K, V>>(objects(), expected_size);
  }

  Stats stats() const;

 private:
  friend class GatherServer;  // serves from the runtime's actor system
  struct impl;
  detail::object_runtime* objects();
  std::unique_ptr<impl> impl_;
};

}  // namespace remora

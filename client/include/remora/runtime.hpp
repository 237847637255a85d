// Runtime: one application's view of the far-memory pool — its local cache,
// its connections to memory nodes (or an embedded one), and the actors that
// evacuate the cache. Objects made by a Runtime must not outlive it.
//
// Thread-safety: any number of threads may make and dereference objects
// concurrently (each with its own DerefScope).
#pragma once

#include <memory>
#include <ranges>
#include <string>
#include <utility>
#include <vector>

#include "remora/array.hpp"
#include "remora/array_view.hpp"
#include "remora/blob_store.hpp"
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

  /// Seals `array` and names it `name` in the pool (within this runtime's
  /// tenant): any Runtime of the same memory nodes opens it with
  /// open_array. The array is read-only from now on; its chunks go home
  /// first. Throws InvalidObject when the name is taken, ConfigError when
  /// the pool keeps several copies of each object (replicas, erasure: not
  /// yet), NodeUnavailable. On failure `array` is left as it was.
  template <class T>
  ArrayView<T> publish(const std::string& name, Array<T>&& array) {
    auto hold = publish_array(name, sizeof(T), detail::handle_factory::state_of(array));
    return detail::handle_factory::make<ArrayView<T>>(std::move(hold), std::move(array), name);
  }
  /// The array published as `name`. Throws InvalidObject when no array is
  /// published under that name, or when its elements are not sizeof(T)
  /// bytes (naming both sizes).
  template <class T>
  ArrayView<T> open_array(const std::string& name) {
    detail::check_object_type<T>();
    opened o = open_published(name, sizeof(T));
    return detail::handle_factory::make<ArrayView<T>>(
        std::move(o.hold), detail::handle_factory::make<Array<T>>(std::move(o.state)), name);
  }
  /// Removes the name now; the array is freed once its last view (in any
  /// process) has closed. Throws InvalidObject when nothing is published
  /// under `name`.
  void unpublish(const std::string& name);

  /// The blob store named `name` in the pool (within this runtime's
  /// tenant): every Runtime that opens the name shares its keys. `o` holds
  /// for what this runtime puts. Throws ConfigError when the pool keeps
  /// several copies of each object (replicas, erasure: not yet).
  BlobStore blob_store(const std::string& name, BlobStore::options o = {});

  Stats stats() const;

  /// Brings in the objects of `handles` (UniquePtrs or SharedPtrs of this
  /// runtime; empty ones are skipped) that are absent, with one batch of
  /// reads per memory node, ahead of the derefs that will read them: a read
  /// of many objects at random pays for one round instead of a miss each,
  /// as a pipeline of requests would. A full cache is waited for, as a
  /// deref would, within the timeout; what still finds no room, or whose
  /// node cannot give it back, is left to the derefs (which throw).
  /// Throws InvalidObject for a handle of another Runtime.
  template <std::ranges::input_range Handles>
  void fetch(Handles&& handles) {
    detail::object_runtime* const rt = objects();
    std::vector<detail::object_record*> wanted;
    if constexpr (std::ranges::sized_range<Handles>) wanted.reserve(std::ranges::size(handles));
    for (const auto& h : handles)
      if (detail::object_record* r = detail::handle_factory::record_of(h, rt)) {
        // Each record's word starts loading as soon as its handle is read.
        __builtin_prefetch(&r->meta());
        wanted.push_back(r);
      }
    if (!wanted.empty()) rt->fetch_many(wanted);
  }

 private:
  struct opened {
    std::shared_ptr<void> hold;  // closes the view at the nodes
    std::unique_ptr<detail::array_state> state;
  };
  std::shared_ptr<void> publish_array(const std::string& name, std::size_t element_bytes,
                                      detail::array_state& array);
  opened open_published(const std::string& name, std::size_t element_bytes);

  friend class GatherServer;  // serves from the runtime's actor system
  struct impl;
  detail::object_runtime* objects();
  std::unique_ptr<impl> impl_;
};

}  // namespace remora

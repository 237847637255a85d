// Runtime: one application's view of the far-memory pool — its local cache,
// its connections to memory nodes (or an embedded one), and the actors that
// evacuate the cache. Objects made by a Runtime must not outlive it.
//
// Thread-safety: any number of threads may make and dereference objects
// concurrently (each with its own DerefScope).
#pragma once

#include <memory>
#include <utility>

#include "remora/options.hpp"
#include "remora/shared_ptr.hpp"
#include "remora/stats.hpp"
#include "remora/unique_ptr.hpp"

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
    return UniquePtr<T>(detail::create_object<T>(objects(), std::forward<Args>(args)...),
                        objects());
  }

  template <class T, class... Args>
  SharedPtr<T> make_shared(Args&&... args) {
    return SharedPtr<T>(detail::create_object<T>(objects(), std::forward<Args>(args)...),
                        objects());
  }

  Stats stats() const;

  struct impl;

 private:
  detail::object_runtime* objects();
  std::unique_ptr<impl> impl_;
};

}  // namespace remora

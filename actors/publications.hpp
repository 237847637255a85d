// publications: the arrays published on one memory node, by name within
// each tenant. A publication is an owner id of its own, to which the
// publisher's runtime handed the array's objects (arena::adopt); the node
// keeps the array's description (objects/published_array, bytes to it) and
// who holds views of it. A view is held by a client runtime (its owner id),
// once per open; a runtime whose lease lapses holds none any more.
// Unpublishing removes the name at once; the publication's objects are freed
// once it is unpublished and no view is held.
//
// Thread-safety: one owner (the memory_node actor).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "transport/result.hpp"

namespace remora::actors {

class publications {
 public:
  using owner_id = std::uint64_t;
  using tenant_id = std::uint32_t;

  struct opened {
    std::uint64_t id = 0;
    std::vector<char> description;
  };

  /// Names publication `id` `name` within `tenant`; `viewer` (the
  /// publisher) holds its first view. Errors: already_exists (the name is
  /// taken, or the id), invalid_argument (an empty name).
  transport::result<void> add(tenant_id tenant, const std::string& name, std::uint64_t id,
                              std::vector<char> description, owner_id viewer);
  /// The publication named `name` within `tenant`; `viewer` holds one more
  /// view of it. Errors: unknown_object.
  transport::result<opened> open(tenant_id tenant, const std::string& name, owner_id viewer);
  /// `viewer` closes a view of publication `id`. Returns the publication to
  /// free now (unpublished, its last view closed), if any. Errors:
  /// unknown_object (no such publication in `tenant`, or no view of it held
  /// by `viewer`).
  transport::result<std::optional<std::uint64_t>> close(tenant_id tenant, std::uint64_t id,
                                                        owner_id viewer);
  /// Removes `name` within `tenant`; returns the publication to free now
  /// (no view is held), if any. Errors: unknown_object.
  transport::result<std::optional<std::uint64_t>> remove(tenant_id tenant, const std::string& name);
  /// The publisher takes publication `id` back (its publishing failed on
  /// another node): the name and the publication go. Errors: unknown_object
  /// (no such publication in `tenant`), invalid_argument (another view of it
  /// is held, or `viewer` holds none).
  transport::result<void> retract(tenant_id tenant, std::uint64_t id, owner_id viewer);
  /// `viewer`, which holds a view, replaces the description of publication
  /// `id` (its copies were rebuilt after a node was lost). Errors:
  /// unknown_object (no such publication in `tenant`, or unpublished),
  /// invalid_argument (`viewer` holds no view of it).
  transport::result<void> mend(tenant_id tenant, std::uint64_t id, std::vector<char> description,
                               owner_id viewer);
  /// `viewer` is gone (its lease lapsed): every view it held is closed.
  /// Returns the publications to free now.
  std::vector<std::uint64_t> forget(owner_id viewer);

  /// Publications named now, and those unpublished whose views are open.
  std::size_t named() const { return names_.size(); }
  std::size_t held() const { return all_.size(); }

 private:
  struct publication {
    tenant_id tenant = 0;
    std::string name;
    std::vector<char> description;
    std::unordered_map<owner_id, std::uint32_t> views;  // per viewer
    bool unpublished = false;
  };
  // The publication to free now, if `p` is unpublished and viewed by none.
  std::optional<std::uint64_t> done(std::uint64_t id);

  std::map<std::pair<tenant_id, std::string>, std::uint64_t> names_;
  std::unordered_map<std::uint64_t, publication> all_;
};

}  // namespace remora::actors

// publications: the arrays published on one memory node, by name within
// each tenant. A publication is an owner id of its own, to which the
// publisher's runtime handed the array's objects (arena::adopt); the node
// keeps the array's description (objects/published_array, bytes to it) and
// who holds views of it. A view is held by a client runtime (its owner id),
// once per open; a runtime whose lease lapses holds none any more.
// Unpublishing removes the name at once; the publication's objects are freed
// once it is unpublished and no view is held. A description of millions of
// chunks comes in parts (stage) ahead of the publish or mend it belongs to,
// and is read in slices (open, describe).
//
// Thread-safety: one owner (the memory_node actor).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/huge_vector.hpp"
#include "transport/result.hpp"

namespace remora::actors {

class publications {
 public:
  using owner_id = std::uint64_t;
  using tenant_id = std::uint32_t;

  /// A slice of a publication's description, at `offset` of
  /// `description_bytes`; `generation` counts its mends.
  struct opened {
    std::uint64_t id = 0;
    std::uint64_t generation = 0;
    std::uint64_t description_bytes = 0;
    std::uint64_t offset = 0;
    std::vector<char> description;
  };
  /// What a part staged ahead of the rest goes to.
  enum class staging { publish, mend };
  /// Description bytes staged before its last part came.
  struct staged_part {
    staging kind = staging::publish;
    std::uint64_t description_bytes = 0;     // the whole, as announced
    storage::huge_vector<char> description;  // what came so far
  };
  /// The longest description staged, and how many stagings a viewer keeps
  /// at once.
  static constexpr std::uint64_t most_description_bytes = std::uint64_t{1} << 30;
  static constexpr std::size_t most_stagings = 4;

  /// Names publication `id` `name` within `tenant`; `viewer` (the
  /// publisher) holds its first view. Errors: already_exists (the name is
  /// taken, or the id), invalid_argument (an empty name).
  transport::result<void> add(tenant_id tenant, const std::string& name, std::uint64_t id,
                              storage::huge_vector<char> description, owner_id viewer);
  /// The publication named `name` within `tenant` and the first `slice`
  /// bytes of its description; `viewer` holds one more view of it. Errors:
  /// unknown_object.
  transport::result<opened> open(tenant_id tenant, const std::string& name, owner_id viewer,
                                 std::size_t slice);
  /// At most `slice` bytes of publication `id`'s description from `offset`.
  /// Errors: unknown_object (no such publication in `tenant`, or `viewer`
  /// holds no view of it), out_of_range (`offset` past the end).
  transport::result<opened> describe(tenant_id tenant, std::uint64_t id, owner_id viewer,
                                     std::uint64_t offset, std::size_t slice) const;
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
  transport::result<void> mend(tenant_id tenant, std::uint64_t id,
                               storage::huge_vector<char> description, owner_id viewer);
  /// `viewer` is gone (its lease lapsed): every view it held is closed, and
  /// what it staged goes. Returns the publications to free now, with the
  /// ids of those it was staging (what they took is to be freed too).
  std::vector<std::uint64_t> forget(owner_id viewer);

  /// Keeps part number `number` (`bytes`) of the description of
  /// publication `id`, `total` bytes in all, until the publish (`id` no
  /// publication yet) or the mend (`id` published, and viewed by `viewer`)
  /// that ends it comes. Part 0 starts it (take_staged first what `viewer`
  /// staged before); the others follow in order. Errors: already_exists
  /// (another client stages `id`), invalid_argument (a part out of order,
  /// more bytes than `total`, `total` above most_description_bytes or
  /// changed, or most_stagings under way), unknown_object (`id` not
  /// published where it was, or `viewer` holds no view of it).
  transport::result<staging> stage(tenant_id tenant, std::uint64_t id, owner_id viewer,
                                   std::uint64_t total, std::uint64_t number,
                                   std::span<const char> bytes);
  /// Whether `id` is a publication; whether a client stages it.
  bool has(std::uint64_t id) const { return all_.contains(id); }
  bool staged(std::uint64_t id) const { return staged_.contains(id); }
  /// Whether a client other than `viewer` stages `id`.
  bool staged_by_other(std::uint64_t id, owner_id viewer) const;
  /// What `viewer` staged for `id`, taken out (the publish or mend that
  /// ends it came, or it is given up).
  std::optional<staged_part> take_staged(std::uint64_t id, owner_id viewer);

  /// Publications named now, and those unpublished whose views are open.
  std::size_t named() const { return names_.size(); }
  std::size_t held() const { return all_.size(); }

 private:
  struct publication {
    tenant_id tenant = 0;
    std::string name;
    storage::huge_vector<char> description;
    std::uint64_t generation = 0;                       // mends
    std::unordered_map<owner_id, std::uint32_t> views;  // per viewer
    bool unpublished = false;
  };
  // The publication to free now, if `p` is unpublished and viewed by none.
  std::optional<std::uint64_t> done(std::uint64_t id);

  std::map<std::pair<tenant_id, std::string>, std::uint64_t> names_;
  std::unordered_map<std::uint64_t, publication> all_;
  struct stager {
    tenant_id tenant = 0;
    owner_id viewer = 0;
    std::uint64_t next = 0;  // the part to come
    staged_part part;
  };
  std::unordered_map<std::uint64_t, stager> staged_;  // by publication id
};

}  // namespace remora::actors

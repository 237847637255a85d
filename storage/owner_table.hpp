// owner_table: the owners of a memory node's objects (client runtimes and
// publications, named by random 64-bit ids), each numbered by a small index
// while it holds objects, so that the object table keeps 4 bytes an object
// for its owner instead of 8 (arena.hpp). The table counts each index's
// objects; an index whose owner holds none is free, and is reused.
//
// Thread-safety: none (one owner, as the arena).
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace remora::storage {

class owner_table {
 public:
  using owner_id = std::uint64_t;
  using index = std::uint32_t;

  /// `owner`'s index, with `objects` more of its objects counted (numbered
  /// anew if it held none). REQUIRES: objects > 0.
  index add(owner_id owner, std::uint64_t objects) {
    assert(objects > 0);
    auto [it, fresh] = by_owner_.try_emplace(owner, 0);
    if (fresh) {
      if (spare_.empty()) {
        it->second = static_cast<index>(owners_.size());
        owners_.push_back({owner, 0});
      } else {
        it->second = spare_.back();
        spare_.pop_back();
        owners_[it->second] = {owner, 0};
      }
    }
    owners_[it->second].objects += objects;
    return it->second;
  }
  /// `objects` of index i's objects are gone; at none left, i is free.
  void remove(index i, std::uint64_t objects = 1) {
    assert(i < owners_.size() && owners_[i].objects >= objects);
    if ((owners_[i].objects -= objects) > 0) return;
    by_owner_.erase(owners_[i].owner);
    spare_.push_back(i);
  }
  /// `owner`'s index while it holds objects.
  std::optional<index> find(owner_id owner) const {
    const auto it = by_owner_.find(owner);
    if (it == by_owner_.end()) return std::nullopt;
    return it->second;
  }
  /// The owner numbered i. REQUIRES: i holds objects.
  owner_id owner(index i) const { return owners_[i].owner; }
  /// How many objects index i's owner holds.
  std::uint64_t objects(index i) const { return owners_[i].objects; }
  /// Owners holding objects now.
  std::size_t size() const { return by_owner_.size(); }

 private:
  struct counted {
    owner_id owner = 0;
    std::uint64_t objects = 0;
  };
  std::vector<counted> owners_;  // by index
  std::unordered_map<owner_id, index> by_owner_;
  std::vector<index> spare_;  // indices holding no objects
};

}  // namespace remora::storage

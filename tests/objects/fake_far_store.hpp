// fake_far_store: an in-process far_store for unit tests of objects/. Each
// node is a map from object id to its bytes and version; nothing crosses a
// process or a network. A test may take a node down (unreachable: it may
// come back) or kill it (dead: for good), make its writes fail, lose an
// object, and count what was asked.
//
// Thread-safety: every member, from any thread (one mutex).
#pragma once

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "objects/far_store.hpp"

namespace remora::testing {

class fake_far_store final : public objects::far_store {
 public:
  explicit fake_far_store(std::uint32_t nodes = 1) : nodes_(nodes) {}

  std::uint32_t nodes() const override { return static_cast<std::uint32_t>(nodes_.size()); }
  std::uint64_t node_id(std::uint32_t node) const override { return 0x1000 + node; }
  bool reachable(std::uint32_t node) const override {
    std::lock_guard held(mutex_);
    return !nodes_[node].down;
  }
  bool dead(std::uint32_t node) const override {
    std::lock_guard held(mutex_);
    return nodes_[node].dead;
  }
  std::string describe(std::uint32_t node) const override {
    return "fake-node-" + std::to_string(node);
  }

  void connect() override {
    std::lock_guard held(mutex_);
    ++connects_;
    connected_ = true;
  }
  bool connected(std::uint32_t node) const override {
    std::lock_guard held(mutex_);
    return connected_ && !nodes_[node].down;
  }

  transport::result<void> allocate(std::uint32_t node,
                                   std::span<storage::object_location> where) override {
    std::lock_guard held(mutex_);
    auto& n = nodes_[node];
    if (auto e = refuse(n)) return *e;
    ++allocations_;
    if (n.refuse_new)
      return transport::error{transport::errc::no_space, describe(node) + " is full"};
    for (auto& w : where) {
      if (n.objects.contains(w.id))
        return transport::error{transport::errc::already_exists,
                                "object " + std::to_string(w.id) + " exists already"};
      n.objects[w.id] = {std::vector<std::byte>(w.size), 1};
      w.offset = n.next_offset;
      n.next_offset += w.size;
      w.version = 1;
    }
    return {};
  }

  transport::result<void> free(std::uint32_t node,
                               std::span<const storage::object_id> ids) override {
    std::lock_guard held(mutex_);
    auto& n = nodes_[node];
    if (auto e = refuse(n)) return *e;
    for (auto id : ids) n.objects.erase(id);
    frees_ += ids.size();
    return {};
  }

  using far_store::prefetch;
  void prefetch(std::uint32_t node, std::span<const std::uint64_t> offsets, std::size_t) override {
    std::lock_guard held(mutex_);
    for (const std::uint64_t offset : offsets) hints_.emplace_back(node, offset);
  }
  transport::result<void> read(std::uint32_t node, std::span<storage::object_location> where,
                               std::span<const std::span<std::byte>> into) override {
    std::lock_guard held(mutex_);
    auto& n = nodes_[node];
    if (auto e = refuse(n)) return *e;
    ++read_batches_;
    for (std::size_t i = 0; i < where.size(); ++i) {
      auto it = n.objects.find(where[i].id);
      if (it == n.objects.end())
        return transport::error{
            transport::errc::unknown_object,
            "no object " + std::to_string(where[i].id) + " on " + describe(node)};
      if (into[i].size() != it->second.bytes.size())
        return transport::error{transport::errc::invalid_argument, "size mismatch"};
      if (it->second.damaged)
        return transport::error{transport::errc::corrupt, "object " + std::to_string(where[i].id) +
                                                              ": its bytes fail their checksum"};
      std::memcpy(into[i].data(), it->second.bytes.data(), into[i].size());
      where[i].version = it->second.version;
      ++reads_;
    }
    return {};
  }

  transport::result<void> read_part(std::uint32_t node, storage::object_location& where,
                                    std::uint32_t from, std::span<std::byte> into) override {
    std::lock_guard held(mutex_);
    auto& n = nodes_[node];
    if (auto e = refuse(n)) return *e;
    auto it = n.objects.find(where.id);
    if (it == n.objects.end())
      return transport::error{transport::errc::unknown_object,
                              "no object " + std::to_string(where.id)};
    if (from + into.size() > it->second.bytes.size())
      return transport::error{transport::errc::invalid_argument, "past the payload"};
    std::memcpy(into.data(), it->second.bytes.data() + from, into.size());
    where.version = it->second.version;
    ++part_reads_;
    return {};
  }

  transport::result<void> write(std::uint32_t node, storage::object_location& where,
                                std::span<const std::byte> data) override {
    std::lock_guard held(mutex_);
    auto& n = nodes_[node];
    if (auto e = refuse(n)) return *e;
    if (n.fail_writes)
      return transport::error{transport::errc::no_space, describe(node) + " is full"};
    auto it = n.objects.find(where.id);
    if (it == n.objects.end())
      return transport::error{transport::errc::unknown_object,
                              "no object " + std::to_string(where.id)};
    it->second.bytes.assign(data.begin(), data.end());
    it->second.damaged = false;  // new bytes, a new checksum
    where.version = ++it->second.version;
    ++writes_;
    return {};
  }

  // What tests do to it.
  /// connected() says no until the next connect(), as for a thread that
  /// has not used its nodes yet.
  void disconnect() {
    std::lock_guard held(mutex_);
    connected_ = false;
  }
  void take_down(std::uint32_t node) { set(node, &node_state::down, true); }
  void bring_up(std::uint32_t node) { set(node, &node_state::down, false); }
  /// Down for good: what it held is gone.
  void kill(std::uint32_t node) {
    std::lock_guard held(mutex_);
    nodes_[node].down = nodes_[node].dead = true;
    nodes_[node].objects.clear();
  }
  void fail_writes(std::uint32_t node, bool fail) { set(node, &node_state::fail_writes, fail); }
  /// Allocations on `node` fail for want of room (no_space).
  void refuse_new(std::uint32_t node, bool refuse) { set(node, &node_state::refuse_new, refuse); }
  /// Reads of `id` on `node` fail their checksum from now on.
  void damage(std::uint32_t node, storage::object_id id) {
    std::lock_guard held(mutex_);
    nodes_[node].objects.at(id).damaged = true;
  }
  /// The same for every object `node` holds now.
  void damage_all(std::uint32_t node) {
    std::lock_guard held(mutex_);
    for (auto& [id, o] : nodes_[node].objects) o.damaged = true;
  }
  /// Payload bytes `node` holds.
  std::uint64_t stored_bytes(std::uint32_t node) const {
    std::lock_guard held(mutex_);
    std::uint64_t sum = 0;
    for (const auto& [id, o] : nodes_[node].objects) sum += o.bytes.size();
    return sum;
  }
  void lose(std::uint32_t node, storage::object_id id) {
    std::lock_guard held(mutex_);
    nodes_[node].objects.erase(id);
  }
  /// The bytes `node` holds for `id`, if it has it.
  std::optional<std::vector<std::byte>> bytes(std::uint32_t node, storage::object_id id) const {
    std::lock_guard held(mutex_);
    auto it = nodes_[node].objects.find(id);
    if (it == nodes_[node].objects.end()) return std::nullopt;
    return it->second.bytes;
  }
  std::size_t objects(std::uint32_t node) const {
    std::lock_guard held(mutex_);
    return nodes_[node].objects.size();
  }
  std::uint64_t reads() const { return locked(reads_); }
  std::uint64_t read_batches() const { return locked(read_batches_); }
  std::uint64_t writes() const { return locked(writes_); }
  std::uint64_t part_reads() const { return locked(part_reads_); }
  std::uint64_t frees() const { return locked(frees_); }
  std::uint64_t connects() const { return locked(connects_); }
  /// The (node, offset) of every prefetch hint, in order.
  std::vector<std::pair<std::uint32_t, std::uint64_t>> hints() const {
    std::lock_guard held(mutex_);
    return hints_;
  }
  /// Allocation requests (batches) a node up answered, granted or not.
  std::uint64_t allocations() const { return locked(allocations_); }

 private:
  struct stored {
    std::vector<std::byte> bytes;
    std::uint32_t version = 0;
    bool damaged = false;  // reads fail their checksum
  };
  struct node_state {
    std::map<storage::object_id, stored> objects;
    std::uint64_t next_offset = 4096;
    bool down = false;
    bool dead = false;
    bool fail_writes = false;
    bool refuse_new = false;
  };

  std::optional<transport::error> refuse(const node_state& n) const {
    if (!n.down) return std::nullopt;
    return transport::error{transport::errc::peer_unreachable, "the fake node is down"};
  }
  void set(std::uint32_t node, bool node_state::*flag, bool value) {
    std::lock_guard held(mutex_);
    nodes_[node].*flag = value;
  }
  std::uint64_t locked(const std::uint64_t& v) const {
    std::lock_guard held(mutex_);
    return v;
  }

  mutable std::mutex mutex_;
  std::vector<node_state> nodes_;  // GUARDED_BY(mutex_), as the counters below
  std::uint64_t reads_ = 0, read_batches_ = 0, writes_ = 0, frees_ = 0, part_reads_ = 0,
                allocations_ = 0, connects_ = 0;
  bool connected_ = true;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> hints_;
};

}  // namespace remora::testing

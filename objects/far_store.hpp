// far_store: where the object core keeps what is not local — the seam
// between objects/ and the memory nodes. The runtime's fetch, prefetch,
// write-back and free paths reach memory nodes only through it, in batches
// per node; what stands behind it may be one node client per node (the
// plain store, client/node_far_store), or a store that spreads each object
// over several nodes (replicas, erasure coding) and answers for them as one.
//
// Every call completes on the calling thread and returns its outcome; none
// throws. A location (storage::object_location) names an object's slot on
// its node: its id and size go in, and offset and version come back, and are
// refreshed when the node moved the object meanwhile.
//
// Thread-safety: every member may be called from any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "storage/arena.hpp"
#include "storage/huge_vector.hpp"
#include "transport/result.hpp"

namespace remora::objects {

class far_store {
 public:
  virtual ~far_store() = default;

  /// How many nodes objects are placed on (indices 0 .. nodes() - 1). It
  /// may grow while the store is in use (a node joined); an index is never
  /// reused.
  virtual std::uint32_t nodes() const = 0;
  /// A stable identity of `node`, for placement by rendezvous hashing.
  virtual std::uint64_t node_id(std::uint32_t node) const = 0;
  /// Whether `node` may be asked now: false while its connection is lost
  /// or it does not answer (it may come back).
  virtual bool reachable(std::uint32_t node) const = 0;
  /// Connects the calling thread to every node it may ask now (the
  /// reachable ones), each within the timeout; what fails, its reads find
  /// again. A prefetch that finds its thread not connected lets its claims
  /// go and connects, rather than hold objects in transit through a
  /// handshake: a node slow to answer a new connection then holds up that
  /// thread alone, not the readers of what it claimed.
  virtual void connect() {}
  /// Whether the calling thread may read from `node` now without first
  /// connecting to it: it is reachable and this thread is connected.
  virtual bool connected(std::uint32_t node) const { return reachable(node); }
  /// Whether `node` is gone for good: what it held is lost, and copies
  /// there are rebuilt elsewhere. A dead node is not reachable.
  virtual bool dead(std::uint32_t node) const { return !reachable(node); }
  /// Whether `node` is leaving the pool (an operator drains it): nothing
  /// new is placed there, and what it holds moves to the other nodes.
  virtual bool leaving(std::uint32_t) const { return false; }
  /// Changes whenever placement may have changed: a node joined, started
  /// or stopped leaving, or died.
  virtual std::uint64_t epoch() const { return 0; }
  /// Where `node` lives, for messages ("host:port").
  virtual std::string describe(std::uint32_t node) const = 0;

  /// Slots for new objects: each where[i].id and .size in, .offset and
  /// .version out.
  virtual transport::result<void> allocate(std::uint32_t node,
                                           std::span<storage::object_location> where) = 0;
  /// Frees objects; ids already gone are not an error.
  virtual transport::result<void> free(std::uint32_t node,
                                       std::span<const storage::object_id> ids) = 0;
  /// A hint that reads of the slots at `offsets` on `node` follow soon:
  /// where the node's memory is mapped here, their first `bytes` start
  /// loading, all of them together (a batch's misses, and the address
  /// translations before them, overlap only when issued together).
  virtual void prefetch(std::uint32_t /*node*/, std::span<const std::uint64_t> /*offsets*/,
                        std::size_t /*bytes*/) {}
  /// The hint for one slot.
  void prefetch(std::uint32_t node, std::uint64_t offset, std::size_t bytes) {
    prefetch(node, std::span(&offset, 1), bytes);
  }
  /// Reads where[i] into into[i] (exactly its size), verified, in one batch.
  virtual transport::result<void> read(std::uint32_t node,
                                       std::span<storage::object_location> where,
                                       std::span<const std::span<std::byte>> into) = 0;
  /// Reads bytes [from, from + into.size()) of the object at `where`'s
  /// payload, verified, without the rest of it.
  virtual transport::result<void> read_part(std::uint32_t node, storage::object_location& where,
                                            std::uint32_t from, std::span<std::byte> into) = 0;
  /// Writes `data` (exactly the object's size) into the object at `where`.
  virtual transport::result<void> write(std::uint32_t node, storage::object_location& where,
                                        std::span<const std::byte> data) = 0;
  /// write() of data[i] into where[i] for each i, on one node, in one batch
  /// where the store can; outcome[i] says how object i went. The three spans
  /// are as long.
  virtual void write_many(std::uint32_t node, std::span<storage::object_location> where,
                          std::span<const std::span<const std::byte>> data,
                          std::span<transport::result<void>> outcome) {
    for (std::size_t i = 0; i < where.size(); ++i) outcome[i] = write(node, where[i], data[i]);
  }

  /// New objects on one node: a slot for each where[i] (id and size in,
  /// offset and version out) holding data[i] as its first write; outcome[i]
  /// says how object i went. The spans are as long. allocate() and then
  /// write_many(), unless the store does both at once.
  virtual void place(std::uint32_t node, std::span<storage::object_location> where,
                     std::span<const std::span<const std::byte>> data,
                     std::span<transport::result<void>> outcome) {
    if (auto made = allocate(node, where); !made) {
      for (auto& o : outcome) o = made.err();
      return;
    }
    write_many(node, where, data, outcome);
  }

  // Published arrays: names the nodes keep (actors/publications.hpp),
  // within the client's tenant. The names, and the publications that hold
  // the objects' copies, live on the nodes of homes(); a description lists
  // each object's copies there (copies), so that a reader in another
  // runtime finds them (adopt). Every store shares: one copy per object,
  // replicas, and erasure coding (whose shared objects leave their spans
  // for whole copies).

  /// The store whose nodes hold the objects' copies: one node client per
  /// node. A plain store is its own; a store of several copies, the one
  /// beneath it.
  virtual far_store& homes() { return *this; }
  /// Whether publish and the rest below work with this store.
  virtual bool shares() const { return false; }
  /// One copy of an object, on a node of homes().
  struct copy {
    std::uint32_t node = 0;
    std::uint64_t offset = 0;
    std::uint32_t version = 0;
  };
  /// The current copies of the object at `where` on `node`, first the one
  /// reads go to, into `out` (emptied first: one list serves a walk over
  /// millions of objects).
  virtual void copies(std::uint32_t node, const storage::object_location& where,
                      std::vector<copy>& out) {
    out.assign(1, {node, where.offset, where.version});
  }
  std::vector<copy> copies(std::uint32_t node, const storage::object_location& where) {
    std::vector<copy> out;
    copies(node, where, out);
    return out;
  }
  /// The objects `ids` now belong to a publication: this store no longer
  /// repairs, moves or frees their copies. unshare() takes them back (a
  /// publish that failed); forget() drops one this runtime reads no more.
  /// An error leaves some shared and some not: unshare() them all.
  virtual transport::result<void> share(std::span<const storage::object_id>) { return {}; }
  virtual void unshare(std::span<const storage::object_id>) {}
  virtual void forget(storage::object_id) {}
  /// Another runtime's shared object, at `copies` (at least one): reads of
  /// it go there. The node the object store's record names.
  virtual std::uint32_t adopt(const storage::object_location&, std::span<const copy> copies) {
    return copies.front().node;
  }

  // On a node of homes():
  struct publication {
    std::uint64_t id = 0;
    storage::huge_vector<char> description;
  };
  /// Hands `ids` (this runtime's objects on `node`) to publication `id`,
  /// named `name` there; this runtime holds a view of it.
  virtual transport::result<void> publish(std::uint32_t, std::uint64_t, const std::string&,
                                          std::span<const char>,
                                          std::span<const storage::object_id>) {
    return unshared();
  }
  /// Takes publication `id` back on `node` (publishing failed elsewhere).
  virtual transport::result<void> retract(std::uint32_t, std::uint64_t) { return unshared(); }
  /// Hands `ids` (this runtime's objects on `node`: copies rebuilt after a
  /// loss) to publication `id`, of which this runtime holds a view, and
  /// replaces its description there.
  virtual transport::result<void> mend(std::uint32_t, std::uint64_t, std::span<const char>,
                                       std::span<const storage::object_id>) {
    return unshared();
  }
  /// The publication named `name` on `node`; this runtime holds one more view.
  virtual transport::result<publication> open(std::uint32_t, const std::string&) {
    return unshared();
  }
  /// Closes a view of publication `id` on `node`.
  virtual transport::result<void> close(std::uint32_t, std::uint64_t) { return unshared(); }
  /// Removes the name `name` on `node`.
  virtual transport::result<void> unpublish(std::uint32_t, const std::string&) {
    return unshared();
  }

  /// Reads a store of several copies served from another copy than the
  /// first, because the first did not answer.
  virtual std::uint64_t failovers() const { return 0; }
  /// Copies made to restore a store of several copies after a loss.
  virtual std::uint64_t repairs() const { return 0; }
  /// Objects found with no copy left that could be read.
  virtual std::uint64_t objects_lost() const { return 0; }
  /// Copies (or columns) a store of several moved to a node that joined.
  virtual std::uint64_t rebalanced() const { return 0; }

 private:
  static transport::error unshared() {
    return {transport::errc::unsupported, "this far store does not publish arrays"};
  }
};

/// Whether the calling thread is connected to every node of `nodes` that
/// answers: a store of several copies may read from any of them.
inline bool connected_to_answering(const far_store& nodes) {
  for (std::uint32_t n = 0; n < nodes.nodes(); ++n)
    if (nodes.reachable(n) && !nodes.connected(n)) return false;
  return true;
}

}  // namespace remora::objects

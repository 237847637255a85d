// node_client: one connection to one memory node. The control half is here
// (CAF: hello, allocation, frees, lookups, stats, a watch on the node); the
// data half is a storage::remote_arena over UCX (verified one-sided reads,
// pinned writes), whose stale locations this client looks up again.
//
// Thread-safety: one thread at a time (its UCX worker is single-threaded).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "actors/blob_index.hpp"
#include "actors/control_plane.hpp"
#include "actors/node_address.hpp"
#include "actors/node_replies.hpp"
#include "actors/node_stats.hpp"
#include "storage/arena.hpp"
#include "storage/huge_vector.hpp"
#include "storage/remote_arena.hpp"
#include "transport/result.hpp"

namespace remora::actors {

using storage::object_id;
using storage::object_location;

class node_client {
 public:
  struct options {
    node_address address;
    std::string auth_token;
    std::chrono::milliseconds timeout{5000};  // bounds every request and transfer
    std::string net_devices;  // UCX devices for data; empty: see transport/context.hpp
    // Requests (but heartbeats) stop waiting for a reply once this says so:
    // the node is known not to answer (its heartbeats went unanswered).
    std::function<bool()> give_up;
    // The client runtime this connection speaks for: the objects it makes
    // belong to it, whichever of its connections asks, and live until all
    // of them have been gone for the node's lease grace. 0: a fresh owner
    // of this client's own.
    std::uint64_t owner = 0;
  };

  /// Connects, says hello and connects UCX to the node's arena.
  /// Errors: peer_unreachable (nobody there), auth, timeout, protocol.
  /// Every request after that connects again (once) when it finds the
  /// control connection lost, and fails only if that fails too.
  static transport::result<std::unique_ptr<node_client>> connect(control_plane& cp,
                                                                 const options& o);
  ~node_client();  // says goodbye; closes the UCX endpoint

  std::uint64_t node_id() const;
  /// The session the node granted at the last hello.
  std::uint64_t session() const;
  std::uint32_t max_object_size() const;
  const node_address& address() const;

  /// allocate, allocate_later, place and lookup answer with one slot for
  /// each of `ids`, in order; a node's reply that does not is errc::protocol
  /// (actors/node_replies.hpp).
  transport::result<std::vector<object_location>> allocate(std::span<const object_id> ids,
                                                           std::span<const std::uint32_t> sizes);
  /// allocate(), sent now; the returned call waits for the node's answer
  /// (make it once, on this thread, before this client goes). A caller
  /// writes one batch of objects while the node allocates the next.
  std::function<transport::result<std::vector<object_location>>()> allocate_later(
      std::span<const object_id> ids, std::span<const std::uint32_t> sizes);
  /// allocate() with each new object's first write: `bytes` holds the
  /// payloads one after another, as many bytes as `sizes` add up to. One
  /// message, where one-sided writes over tcp cost several an object.
  transport::result<std::vector<object_location>> place(std::span<const object_id> ids,
                                                        std::span<const std::uint32_t> sizes,
                                                        std::span<const std::byte> bytes);
  transport::result<std::uint64_t> free(std::span<const object_id> ids);
  transport::result<std::vector<object_location>> lookup(std::span<const object_id> ids);
  transport::result<node_stats> stats();
  /// Test hook: damages every object resident on the node (it must run
  /// with --test-hooks); how many.
  transport::result<std::uint64_t> damage();
  /// Test hook: keeps the node's actor busy for `ms` (as a long request
  /// would); heartbeats are answered meanwhile (messages.hpp, the pulse).
  transport::result<std::uint64_t> stall(std::chrono::milliseconds ms);

  /// Published arrays (actors/publications.hpp), named within the client's
  /// tenant. publish: the client's objects `ids` on this node become
  /// publication `id`'s, named `name`, and the client holds a view of it;
  /// how many objects. A table of millions of chunks goes in parts; a
  /// publish that fails is taken back (retract). Errors: already_exists
  /// (the name is taken), unknown_object (an id not the client's).
  transport::result<std::uint64_t> publish(std::uint64_t id, const std::string& name,
                                           std::span<const char> description,
                                           std::span<const object_id> ids);
  struct publication {
    std::uint64_t id = 0;
    storage::huge_vector<char> description;  // objects/published_array, as published
  };
  /// The publication named `name`; the client holds one more view of it.
  /// Errors: unknown_object.
  transport::result<publication> open(const std::string& name);
  /// Closes a view of publication `id`; how many objects that freed.
  transport::result<std::uint64_t> close(std::uint64_t id);
  /// Takes back publication `id`, of which the client holds the only view:
  /// its objects are the client's again; how many.
  transport::result<std::uint64_t> retract(std::uint64_t id);
  /// The client, holding a view of publication `id`, hands it its objects
  /// `ids` here (copies rebuilt after a node was lost) and replaces its
  /// description; how many objects. Errors: unknown_object (no such
  /// publication, or unpublished), invalid_argument (no view held).
  transport::result<std::uint64_t> mend(std::uint64_t id, std::span<const char> description,
                                        std::span<const object_id> ids);
  /// Removes the name `name`; how many objects that freed (none while views
  /// are open). Errors: unknown_object.
  transport::result<std::uint64_t> unpublish(const std::string& name);

  /// Blob stores (actors/blob_index.hpp), named within the client's tenant.
  /// blob_put: key `key` of store `store` holds the client's objects `ids`
  /// (the value's pieces, in order) from now on, pinned for `pin`; keys past
  /// `capacity` bytes (0: none) are evicted; how many.
  transport::result<std::uint64_t> blob_put(const std::string& store, const std::string& key,
                                            std::span<const object_id> ids, std::uint64_t capacity,
                                            std::chrono::milliseconds pin);
  using blob = blob_reply;
  /// The values of `keys`; with `locate`, where their pieces are (a read:
  /// counted, and the keys become the most recent). Errors: protocol (a
  /// reply not of that shape: actors/node_replies.hpp).
  transport::result<std::vector<blob>> blob_get(const std::string& store,
                                                std::span<const std::string> keys, bool locate);
  /// Whether `key` was there; it is not now.
  transport::result<bool> blob_erase(const std::string& store, const std::string& key);
  transport::result<blob_store_stats> blob_stats(const std::string& store);

  /// The node's arena, for reads and writes of object data.
  storage::remote_arena& data();

  /// Drain (an operator's request, with the client's auth token): `on`
  /// makes the node leaving (it takes no new objects, and its clients move
  /// theirs away); off makes it stay. The node's stats after.
  transport::result<node_stats> drain(bool on);
  /// A drained node (leaving, holding no objects) leaves the pool and stops.
  transport::result<node_stats> leave();

  struct pong {
    std::uint64_t node_id = 0;  // of the node that answered
    bool leaving = false;       // it is being drained
  };
  /// A heartbeat: a request answered within `timeout` (at most the
  /// client's). Answers with the id of the node that answered: another id
  /// than node_id() when the node restarted at this address (its objects
  /// are gone). Like every request, connects again once when the control
  /// connection was lost.
  transport::result<pong> ping(std::chrono::milliseconds timeout);
  /// How often a lost control connection was made again.
  std::uint64_t reconnects() const;

  /// Watches the node: `lost` is called (on a CAF thread) when its control
  /// connection is lost (the node died, hung up, or the network failed),
  /// and again for each connection made after a reconnect. Once per
  /// client: later calls change nothing.
  void watch(std::function<void()> lost);

  struct impl;

 private:
  explicit node_client(std::unique_ptr<impl> p);
  // Sends all parts of a publish or mend but the last; how many parts.
  transport::result<std::size_t> stage(std::uint64_t id, std::span<const char> description,
                                       std::span<const object_id> ids);
  std::unique_ptr<impl> impl_;
};

}  // namespace remora::actors

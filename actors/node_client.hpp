// node_client: one connection to one memory node — CAF for control, UCX for
// data. Used by tests and tools now and by the client runtime next.
//
// Reads are one get of the whole slot, accepted only if the slot's header
// and trailer carry the object's id and the expected version; on a mismatch
// (the object was spilled, moved or freed since its location was learned)
// the client looks the object up again and retries. Writes pin the slot
// with a remote compare-and-swap first, so the node cannot spill it
// mid-write (storage/slot.hpp), then put and unpin.
//
// Thread-safety: one thread at a time (its UCX worker is single-threaded).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "actors/control_plane.hpp"
#include "actors/node_stats.hpp"
#include "storage/arena.hpp"
#include "transport/result.hpp"

namespace remora::actors {

using storage::object_id;
using storage::object_location;

struct node_address {
  std::string host;
  std::uint16_t port = 0;
  /// "host:port" -> address; errc::invalid_argument otherwise.
  static transport::result<node_address> parse(const std::string& text);
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

class node_client {
 public:
  struct options {
    node_address address;
    std::string auth_token;
    std::chrono::milliseconds timeout{5000};  // bounds every request and transfer
  };

  /// Connects, says hello and connects UCX to the node's arena.
  /// Errors: peer_unreachable (nobody there), auth, timeout, protocol.
  static transport::result<std::unique_ptr<node_client>> connect(control_plane& cp,
                                                                  const options& o);
  ~node_client();  // says goodbye; closes the UCX endpoint

  std::uint64_t node_id() const;
  std::uint32_t max_object_size() const;
  const node_address& address() const;

  transport::result<std::vector<object_location>> allocate(std::span<const object_id> ids,
                                                           std::span<const std::uint32_t> sizes);
  transport::result<std::uint64_t> free(std::span<const object_id> ids);
  transport::result<std::vector<object_location>> lookup(std::span<const object_id> ids);
  transport::result<node_stats> stats();

  /// Writes `data` (exactly the object's size) into the object at `where`,
  /// refreshing `where` if the object had moved.
  transport::result<void> write(object_location& where, std::span<const std::byte> data);
  /// Reads the object at `where` into `into` (its size), refreshing `where`
  /// if the object had moved.
  transport::result<void> read(object_location& where, std::span<std::byte> into);
  /// Reads many objects with one batched round of gets; retries those that
  /// moved. `into[i]` receives object `where[i]`.
  transport::result<void> read_many(std::span<object_location> where,
                                    std::span<const std::span<std::byte>> into);

  /// Fetches the whole slot of the object at `where` into `slot` (at least
  /// where.slot_bytes long; the payload lands at storage::payload_offset)
  /// and verifies it, refreshing `where` if the object had moved.
  transport::result<void> read_slot(object_location& where, std::span<std::byte> slot);

  /// Watches the node: `down` becomes true when its control connection is
  /// lost (the node died or the network failed). `down` must outlive this
  /// client.
  void watch(std::atomic<bool>& down);

  /// Verified reads whose location had gone stale, since connect.
  std::uint64_t stale_reads() const;

  struct impl;

 private:
  explicit node_client(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace remora::actors

// remote_arena: a memory node's arena as one client sees it over UCX — the
// data half of a connection to a node (the control half, CAF, is
// actors/node_client). Reads are one get of the whole slot, accepted only if
// the slot's header and trailer carry the object's id and the expected
// version, and whose payload matches the checksum in its trailer; writes pin
// the slot with a remote compare-and-swap first, so the node cannot spill it
// mid-write, then put the payload and its checksum, and unpin (slot.hpp).
// A checksum mismatch is errc::corrupt (a damaged copy), never retried.
// Reads of part of an object (read_part) check the header and trailer only. On a
// mismatch (the object was spilled, moved or freed since its location was
// learned) the arena asks its `locate` callback for the object's location
// anew and tries again, a few times.
//
// Over shared memory the arenas of one node in a process (one a thread:
// each has its own UCX worker) read through one mapping of the node's
// region, which the first of them makes and the last lets go: a mapping of
// its own per arena would fault the node's pages in again, one by one, on
// each thread that reads them (measured: a reader on a new thread scanned
// 2 GiB at 1.2 GB/s, and at 2.6 once its mapping was faulted in).
//
// Thread-safety: one thread at a time (its UCX worker is single-threaded).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "storage/arena.hpp"
#include "transport/endpoint.hpp"
#include "transport/remote_region.hpp"
#include "transport/result.hpp"
#include "transport/worker.hpp"

namespace remora::storage {

class remote_arena {
 public:
  /// Looks an object up again: `where.id` in, the rest refreshed.
  using locator = std::function<transport::result<void>(object_location& where)>;
  /// Says whether the node answers (through its control connection).
  using answering = std::function<transport::result<void>()>;

  /// Connects a fresh UCX worker to the node's worker (`worker_address`) and
  /// unpacks the arena's key. `name` says which node, for messages. Waits
  /// end at `timeout`, or once `give_up` (if any) says the node does not
  /// answer; the endpoint is aborted then, and made again by the next
  /// request. `another_host`: the node runs on another machine
  /// (transport::worker::connect).
  static transport::result<remote_arena> connect(std::span<const std::byte> worker_address,
                                                 std::span<const std::byte> arena_key,
                                                 locator locate, std::string name,
                                                 std::chrono::milliseconds timeout,
                                                 const transport::context_options& ucx = {},
                                                 std::function<bool()> give_up = {},
                                                 bool another_host = false);
  remote_arena(remote_arena&&) noexcept;
  remote_arena& operator=(remote_arena&&) = delete;
  ~remote_arena();  // closes the endpoint (bounded)

  /// Reads the object at `where` into `into` (exactly its size).
  transport::result<void> read(object_location& where, std::span<std::byte> into);
  /// Reads many objects with one batched round of gets; retries those that
  /// moved. `into[i]` receives object `where[i]`.
  transport::result<void> read_many(std::span<object_location> where,
                                    std::span<const std::span<std::byte>> into);
  /// read_many of each object's first into[i].size() payload bytes (a
  /// packed payload's packed part: packed_payload.hpp), verified as
  /// read_part verifies; the caller checks the bytes themselves.
  /// REQUIRES: into[i].size() <= where[i].size.
  transport::result<void> read_prefixes(std::span<object_location> where,
                                        std::span<const std::span<std::byte>> into);
  /// Reads bytes [from, from + into.size()) of the payload of the object at
  /// `where` into `into`: the slot's header, that range and its trailer, in
  /// address order with one batch, verified as a whole slot is. A `head`
  /// receives the payload's first head.size() bytes in the same batch.
  /// REQUIRES: the range, and the head, lie within the payload.
  transport::result<void> read_part(object_location& where, std::uint32_t from,
                                    std::span<std::byte> into, std::span<std::byte> head = {});
  /// Writes `data` (exactly the object's size, or a packed payload's packed
  /// part: packed_payload.hpp) into the object at `where`.
  transport::result<void> write(object_location& where, std::span<const std::byte> data);
  /// Writes data[i] into the object at where[i] for every i, as write()
  /// would each, with the batch's pins, puts and unpins issued together:
  /// three round trips for the batch, where write() takes three an object.
  /// An object another writer holds pinned, or that moved, is then written
  /// alone. outcome[i] says how object i went.
  /// REQUIRES: the three spans are as long.
  void write_many(std::span<object_location> where,
                  std::span<const std::span<const std::byte>> data,
                  std::span<transport::result<void>> outcome);

  /// The node's region as this client reaches it (its base, size and remote
  /// key): what the node lets this client touch, and nothing more.
  /// REQUIRES: connected (not after a failed request aborted the endpoint).
  const transport::remote_region& region() const { return *arena_; }

  /// Whether the node's region is mapped into this process (shared memory),
  /// where one-sided writes are copies. False while disconnected.
  bool mapped() const { return arena_ && arena_->mapped(); }

  /// Verified reads whose location had gone stale, since connect.
  std::uint64_t stale_reads() const { return stale_; }
  /// Times the endpoint was made again (or tried) after a failed request
  /// aborted it, since connect.
  std::uint64_t reconnects() const { return reconnects_; }

  /// Before the endpoint is made again (a failed request aborted it), the
  /// node is asked through `check` whether it answers; if not, requests fail
  /// with its error and no endpoint is made. Connecting to a node that has
  /// died costs more than a refusal: over shared memory UCX 1.13 fails to
  /// attach the dead node's FIFO and leaks what it had set up for it.
  void reconnect_only_if(answering check) { answering_ = std::move(check); }

 private:
  remote_arena() = default;
  // Connects the endpoint again if a failed request aborted it.
  transport::result<void> reopen();
  // Runs `attempt` until it finds the slot as `where` says (true), refreshing
  // `where` between rounds; the one retry loop of every request.
  template <class Attempt>
  transport::result<void> settle(const char* request, object_location& where, Attempt attempt);
  // write_many's work for one batch.
  // read_many and read_prefixes: whole payloads, or each into[i]'s length.
  transport::result<void> read_batch(std::span<object_location> where,
                                     std::span<const std::span<std::byte>> into, bool prefixes);
  void write_batch(std::span<object_location> where,
                   std::span<const std::span<const std::byte>> data,
                   std::span<transport::result<void>> outcome);
  transport::error failed(const char* request, const transport::error& e) const;
  transport::error corrupt(const object_location& where) const;

  // connect() without the shared view.
  static transport::result<remote_arena> open(std::span<const std::byte> worker_address,
                                              std::span<const std::byte> arena_key, locator locate,
                                              std::string name, std::chrono::milliseconds timeout,
                                              const transport::context_options& ucx,
                                              std::function<bool()> give_up, bool another_host);
  // The process's view of the node that `a` reaches: an arena of its own
  // that is never asked anything, whose mapping the node's arenas read
  // through (shared memory). Null where none could be made.
  static std::shared_ptr<const remote_arena> view_of(const remote_arena& a,
                                                     const transport::context_options& ucx);

  std::shared_ptr<const remote_arena> view_;  // before arena_, which reads through it
  transport::local_ucx ucx_;
  std::unique_ptr<transport::endpoint> ep_;  // at a fixed address: arena_ refers to it
  std::optional<transport::remote_region> arena_;
  locator locate_;
  answering answering_;
  std::string name_;
  std::vector<std::byte> address_, key_;  // the node's worker and arena key, for reopen()
  std::chrono::milliseconds timeout_{0};
  bool another_host_ = false;
  std::vector<std::byte> scratch_;
  std::uint64_t stale_ = 0;
  std::uint64_t reconnects_ = 0;
};

/// The error for a write of `given` bytes to an object of `size`
/// (invalid_argument).
transport::error misfit_write(std::size_t given, std::uint32_t size);

}  // namespace remora::storage

// batch: many one-sided gets and puts issued back to back and completed
// together, so their latencies overlap. Two ways to finish a batch:
//
//   wait(deadline)  progresses the worker until every operation completed,
//                   and reports the first failure. On timeout the endpoints
//                   involved are aborted (their peers are taken to be dead),
//                   so no operation can touch the caller's buffers afterwards.
//   submit(done)    hands the batch over; `done` runs inside a later
//                   worker.progress() once every operation has completed.
//
// Remote atomics (a pin's compare-and-swap, an unpin's add) go in a batch
// too, so that many objects' pins cost one round trip, not one each.
//
// Thread-safety: one batch, one worker, one thread (the worker's).
// REQUIRES: local buffers stay valid until the batch completes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "transport/deadline.hpp"
#include "transport/remote_region.hpp"
#include "transport/result.hpp"
#include "transport/worker.hpp"

namespace remora::transport {

class batch {
 public:
  explicit batch(worker& w);
  ~batch();  // waits out unfinished operations (bounded), as wait() would
  batch(const batch&) = delete;
  batch& operator=(const batch&) = delete;

  /// Reads `length` bytes at `offset` of `from` into `into`.
  /// Errors at once: out_of_range, or peer_unreachable on a closed endpoint.
  result<void> get(const remote_region& from, std::uint64_t offset, void* into, std::size_t length);
  /// Writes `length` bytes from `from` at `offset` of `into`.
  result<void> put(const remote_region& into, std::uint64_t offset, const void* from,
                   std::size_t length);

  /// Compares the 8-byte word at `offset` of `at` with `*compare` and, if
  /// they are equal, stores `*swap` there; `*swap` then receives the word
  /// as it was. Complete with wait() (not submit). Errors at once:
  /// invalid_argument (unaligned), out_of_range, peer_unreachable.
  result<void> compare_swap(const remote_region& at, std::uint64_t offset,
                            const std::uint64_t* compare, std::uint64_t* swap);
  /// Adds `*value` (mod 2^64) to the word at `offset` of `at`; wait()
  /// returns once it is done at the peer. Errors as compare_swap's.
  result<void> atomic_add(const remote_region& at, std::uint64_t offset,
                          const std::uint64_t* value);

  /// Operations issued and not yet complete.
  std::size_t pending() const;

  /// Completes every operation issued so far (see above). The batch can be
  /// reused afterwards.
  result<void> wait(deadline until);

  /// Completion-callback form: `done` is called from worker.progress() once
  /// every operation completed (at once if none is pending). The batch is
  /// empty afterwards and may be reused or destroyed; the operations carry on.
  void submit(std::function<void(result<void>)> done);

  struct state;  // in-flight bookkeeping, shared with UCX callbacks

 private:
  result<void> issue(bool is_get, const remote_region& remote, std::uint64_t offset, void* local,
                     std::size_t length);

  result<void> issue_atomic(ucp_atomic_op_t op, const remote_region& at, std::uint64_t offset,
                            const std::uint64_t* operand, std::uint64_t* reply);

  void flush_puts();

  worker& worker_;
  state* state_;
  std::vector<endpoint*> endpoints_;      // touched since the last wait, for aborts
  std::vector<endpoint*> put_endpoints_;  // need a flush before puts (and adds) count as done
};

}  // namespace remora::transport

// prefetcher: the thread that follows one declared iteration order of one
// array, ahead of its reader. It reads the reader's cursor, works out which
// chunks the next `window` positions of the order touch, and has them
// fetched in batches (through the runtime's hooks, on this thread, so
// through its own UCX workers). The window adapts: it doubles while the
// reader catches up with what was issued and halves when prefetched chunks
// are evicted unused.
//
// It does not poll: with nothing to fetch it sleeps until the reader has
// moved half a window closer to what was issued (reader_moved(), called by
// the array when it publishes its cursor, wakes it only then), or for a
// short while when the cache was full. With hooks.on_reader it has no
// thread: reader_moved() runs the rounds on the reader's thread at those
// same points, a batch at a time.
//
// The window is also bounded by the link: one that brought chunks in at
// memory speed (shared memory) keeps a small window, measured per batch. It stops when the order
// ends or when it is destroyed (the order was replaced, or the array is gone).
//
// Thread-safety: construct and destroy from one thread; reader_moved() from
// the reader's. on_reader: destroy only while the reader is not inside
// reader_moved() (the Array's contract: no reads while its orders change).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <thread>

#include "remora/detail/object_record.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

class prefetcher final : public detail::prefetch_session {
 public:
  struct hooks {
    /// Fetches those of `chunks` that are absent, in order; returns how many
    /// of them it dealt with (fewer than all when the cache is full, or
    /// when the thread had first to connect to a node), and sets `fetched`
    /// to how many of those it brought in.
    std::function<std::size_t(std::span<detail::object_record* const> chunks, std::size_t& fetched)>
        fetch;
    /// Prefetched chunks evicted unused so far (runtime-wide).
    std::function<std::uint64_t()> wasted;
    /// The local cache's bytes: the window stays within half of it.
    /// 0: no bound but the window's own.
    std::uint64_t cache_bytes = 0;
    /// No thread of its own: the reader runs the rounds itself, in
    /// reader_moved(), once it is half a window from what was issued.
    bool on_reader = false;
    /// The time a fetched chunk took, in ns, shared by the runtime's
    /// prefetchers (each starts from it and keeps it up to date); null:
    /// each measures alone.
    std::atomic<std::int64_t>* chunk_ns = nullptr;
    /// Run once on the prefetcher's own thread before its first round:
    /// connects it to the nodes while it holds nothing, so that its first
    /// batch is read rather than let go.
    std::function<void()> connect;
  };

  prefetcher(detail::prefetch_plan plan, hooks h);
  ~prefetcher() override;  // stops the thread and joins it

  void reader_moved() override;

  struct follower;

 private:
  void run();
  void rounds();  // on_reader: what run() does, until nothing is left to issue

  std::unique_ptr<follower> work_;
  transport::mutex mutex_;
  transport::condition_variable wake_;
  std::atomic<bool> idle_{false};          // the thread sleeps, or is about to
  std::atomic<std::uint64_t> wake_at_{0};  // and wants waking once the cursor gets here
  // Set under mutex_ (the thread waits on it there); read without it too: a
  // hello to a node that the thread waits for ends when it is set
  // (transport/stop_flag.hpp), so the join does not wait for the hello.
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace remora::objects

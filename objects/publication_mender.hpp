// publication_mender: the publisher's side of a published array's
// durability. A publication holds the copies it was published with (its
// nodes' objects, described in its description); no runtime's repair moves
// them. When a node holding some of them dies, the publisher's runtime,
// while it holds its view, copies each chunk that lost a copy from a copy
// that is left to a node that keeps the publication and held none, hands
// the new copies to the publication there and replaces the description on
// every node that keeps it (far_store::mend). A later death then loses
// nothing, and runtimes that open the name afterwards read the new copies;
// views opened before keep the copies they opened with and fail over
// between them.
//
// Thread-safety: add, drop, mend_now and repairs may be called from any
// thread; passes run on the mender's own thread every `interval`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "objects/far_store.hpp"
#include "objects/published_array.hpp"
#include "objects/repair_thread.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

class publication_mender {
 public:
  /// `homes` holds the copies (far_store::homes()); it outlives the mender.
  explicit publication_mender(far_store& homes, repair_options o = {});
  ~publication_mender();  // stops the thread
  publication_mender(const publication_mender&) = delete;
  publication_mender& operator=(const publication_mender&) = delete;

  /// Keeps publication `id` (described by `d`, whose homes are `homes`'s
  /// node indices) as it was published on `keepers`.
  void add(std::uint64_t id, published_array d, std::vector<std::uint32_t> keepers);
  /// Forgets publication `id` (the publisher's view closed).
  void drop(std::uint64_t id);
  /// One pass over every publication on the caller's thread; how many
  /// copies it made.
  std::size_t mend_now();
  /// Copies made so far.
  std::uint64_t repairs() const { return repairs_.load(std::memory_order_relaxed); }

 private:
  struct kept {
    published_array d;
    std::vector<std::uint32_t> keepers;  // nodes that keep the name (dead ones dropped)
    std::vector<std::uint32_t> wanted;   // copies a chunk had when published
    bool short_copies = false;           // the last pass left work another may do
    bool untold = false;                 // a node that keeps it missed the last description
  };
  // Rebuilds the copies of publication `id` lost with dead nodes (`made`
  // counts those it made) and tells the nodes that keep it.
  void mend(std::uint64_t id, kept& k, std::size_t& made);

  far_store& homes_;
  transport::mutex mutex_;
  std::unordered_map<std::uint64_t, kept> kept_ REMORA_GUARDED_BY(mutex_);
  std::atomic<std::uint64_t> repairs_{0};
  std::unique_ptr<repair_thread> thread_;  // last: stopped first
};

}  // namespace remora::objects

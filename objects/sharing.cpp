// Sharing: records of objects that belong to a publication (a published
// array) rather than to this runtime. seal() sends an array's chunks home
// before it is published, so that every reader finds its bytes there;
// adopt() makes the records through which another runtime reads them.
#include <algorithm>
#include <thread>

#include "objects/epochs.hpp"
#include "objects/object_store.hpp"
#include "objects/raise.hpp"
#include "remora/errors.hpp"
#include "storage/huge_vector.hpp"
#include "transport/mutex.hpp"

namespace remora::objects {

using detail::meta_state;
using detail::object_record;

void object_store::seal(std::span<object_record* const> records) {
  const auto until = std::chrono::steady_clock::now() + timeout_;
  // Lists of millions of records (a table of a row a chunk) in huge pages.
  storage::huge_vector<object_record*> left(records.begin(), records.end());
  for (;;) {
    // What is absent and has a home is done; what is present goes home now,
    // a tier at a time; what is absent and was never written (zeros) has
    // zeros written home; what is in transit (a prefetch, an eviction) is
    // looked at again.
    std::vector<std::vector<object_record*>> present(tiers_->size());
    storage::huge_vector<object_record*> done, still;
    std::vector<object_record*> later, zeroed;
    done.reserve(left.size());
    still.reserve(left.size());
    for (object_record* r : left) {
      const meta_state m = r->meta().load();
      if (m.absent() && r->version != 0) {
        done.push_back(r);
        continue;
      }
      still.push_back(r);  // looked at again next round
      if (m.absent()) {
        meta_state seen = m;
        if (r->meta().begin_fetch(seen)) zeroed.push_back(r);  // F: its remote fields are ours
      } else if (m.usable() && m.on_device()) {
        relocate(r, tiers_->size(), until);  // back to a host tier first
        later.push_back(r);
      } else if (m.usable()) {
        std::size_t tier = 0;
        while (tier + 1 < tiers_->size() && !(*tiers_)[tier].holds(m.address())) ++tier;
        present[tier].push_back(r);
      } else {
        later.push_back(r);
      }
    }
    for (object_record* r : done) mark_shared(r, true);
    if (!zeroed.empty()) {
      (void)write_back(zeroed, payload::zeros);                 // what failed is tried again
      for (object_record* r : zeroed) r->meta().abort_fetch();  // absent, home now
    }
    for (std::size_t tier = 0; tier < present.size(); ++tier) {
      if (present[tier].empty()) continue;
      auto& t = (*tiers_)[tier];
      auto claimed = t.claim_any(present[tier]);
      detail::pinned_set pinned;
      if (!wait_for_scopes(std::chrono::milliseconds(200), &pinned)) {
        bury(t.restore(claimed));
        claimed.clear();
      }
      const auto held = std::partition(claimed.begin(), claimed.end(),
                                       [&](object_record* r) { return !pinned.contains(r); });
      if (held != claimed.end()) {
        bury(t.restore(std::vector<object_record*>(held, claimed.end())));
        claimed.erase(held, claimed.end());
      }
      // Holding E, the remote fields are ours.
      std::vector<object_record*> unwritten;
      for (object_record* r : claimed)
        if (r->version == 0 || r->meta().load().dirty()) unwritten.push_back(r);
      const std::vector<object_record*> failed = write_back(unwritten);
      if (!failed.empty()) {
        bury(t.restore(failed));
        std::erase_if(claimed, [&](object_record* r) {
          return std::find(failed.begin(), failed.end(), r) != failed.end();
        });
      }
      bury(t.finish({.held = claimed, .revocable = {}}));
      writebacks_.fetch_add(unwritten.size() - failed.size(), std::memory_order_relaxed);
    }
    left = std::move(still);
    if (left.empty()) {
      storage::huge_vector<storage::object_id> ids;
      ids.reserve(records.size());
      for (const object_record* r : records) ids.push_back(r->id);
      if (auto shared = far_.share(ids); !shared) raise(shared.err());
      return;
    }
    if (std::chrono::steady_clock::now() >= until) {
      std::string why;
      {
        transport::lock_guard held(writeback_error_mutex_);
        why = last_writeback_error_;
      }
      throw NodeUnavailable(std::to_string(left.size()) + " of the array's " +
                            std::to_string(records.size()) + " chunks could not be written home " +
                            "within the timeout" + (why.empty() ? "" : ": " + why));
    }
    if (!later.empty()) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

object_record* object_store::adopt(const storage::object_location& where,
                                   std::span<const far_store::copy> copies) {
  object_record* r = records_.make();
  r->size = where.size;
  r->id = where.id;
  r->node = far_.adopt(where, copies);
  r->offset = copies.front().offset;
  r->version = copies.front().version;
  mark_shared(r, true);
  r->meta().make_absent(meta_state::home_hint(r->node, r->offset));
  return r;
}

void object_store::unshare(std::span<object_record* const> records) {
  std::vector<storage::object_id> ids;
  ids.reserve(records.size());
  for (object_record* r : records) {
    mark_shared(r, false);
    ids.push_back(r->id);
  }
  far_.unshare(ids);
}

bool object_store::shared(const object_record* r) const {
  if (shared_count_.load(std::memory_order_relaxed) == 0) return false;
  return std::atomic_ref(r->shared_flag()).load(std::memory_order_acquire) != 0;
}

bool object_store::mark_shared(object_record* r, bool shared) {
  const std::uint8_t was =
      std::atomic_ref(r->shared_flag()).exchange(shared ? 1 : 0, std::memory_order_acq_rel);
  if (was == (shared ? 1 : 0)) return false;
  if (shared)
    shared_count_.fetch_add(1, std::memory_order_relaxed);
  else
    shared_count_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

}  // namespace remora::objects

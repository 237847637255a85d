// Moves on the caller's thread between the host tiers and the HBM tier:
// deref_device brings an object into GPU memory; a host deref of an object
// there (G set) brings it back to the fastest host tier with room. The
// object is claimed (E: other derefs of it wait), the other threads' scopes
// are waited out (they may hold its old address), the bytes are copied and
// the object handed over. The caller's own scope is not waited for: its
// earlier pointers to the object are the documented cost of the move
// (handle.hpp).
#include "objects/epochs.hpp"
#include "objects/object_store.hpp"
#include "objects/raise.hpp"
#include "remora/errors.hpp"
#include "transport/byte_size.hpp"

namespace remora::objects {

using namespace detail;

std::size_t object_store::hbm_tier() const {
  for (std::size_t i = 0; i < tiers_->size(); ++i)
    if ((*tiers_)[i].memory().kind() == storage::tier_kind::hbm) return i;
  return tiers_->size();
}

void object_store::relocate(object_record* r, std::size_t to,
                            std::chrono::steady_clock::time_point until) {
  const meta_state m = r->meta().load();
  if (!m.usable()) return;
  const std::size_t from = tiers_->index_of(m.address());
  if (from == to || from == tiers_->size()) return;
  auto& source = (*tiers_)[from];
  std::byte* slot = allocate_slot(r->size, to);
  const std::size_t target = tiers_->index_of(slot);
  auto claimed = source.claim_any({r});
  if (claimed.empty()) {  // in transit by another thread's hand: look again
    (*tiers_)[target].free_slot(slot, r->size);
    return;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
  if (!wait_for_scopes(std::max(left, std::chrono::milliseconds(1)))) {
    bury(source.restore(claimed));
    (*tiers_)[target].free_slot(slot, r->size);
    throw NodeUnavailable("object " + std::to_string(r->id) +
                          " could not move between local tiers: other threads' scopes held it "
                          "past the timeout");
  }
  const arrival flags{.hot = true, .device = !(*tiers_)[target].memory().host_accessible()};
  auto done = tiers_->move_into(from, target, claimed, {slot}, flags);
  if (!done) {
    bury(source.restore(claimed));
    objects::raise(done.err());
  }
  (from < target ? demotions_ : promotions_).fetch_add(1, std::memory_order_relaxed);
}

void* object_store::deref_device(object_record* r) {
  const std::size_t hbm = hbm_tier();
  if (hbm == tiers_->size())
    throw ConfigError("deref_device: this Runtime has no HBM tier (set Options::hbm_cache)");
  const auto until = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    const meta_state m = r->meta().load();
    if (m.usable() && m.on_device()) {
      const meta_state old = r->meta().touch(false, false);
      if (old.usable() && old.on_device()) return old.address();
      continue;
    }
    if (std::chrono::steady_clock::now() >= until)
      throw NodeUnavailable("object " + std::to_string(r->id) +
                            " could not be brought to GPU memory within the timeout");
    if (!m.usable()) {
      deref_slow(r, false, false);  // to a host tier first (waits out transit)
      continue;
    }
    relocate(r, hbm, until);
  }
}

}  // namespace remora::objects

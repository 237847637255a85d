// meta_word: the 64-bit word that says where one object is on this compute
// node, and the only code that writes it (AIFM's FarMemPtrMeta). Every change
// of an object's local state is one of the named transitions below; nothing
// else touches a flag bit.
//
//   63  62  61  60  59  58  57  56  55  54 .. 48  47 ............ 0
//   +---+---+---+---+---+---+---+---+---+--------+----------------+
//   | P | D | H | E | F | R | S | G | V |   0    | payload's addr |
//   +---+---+---+---+---+---+---+---+---+--------+----------------+
//   P present     the payload is in a local tier at the address
//   D dirty       written since it was fetched (or created with bytes and
//                 never written home; one of zeros, never written, is clean)
//   H hot         dereferenced since the CLOCK last cooled it
//   E evacuating  claimed by a mover (eviction, demotion, promotion, a move
//                 to or from HBM): derefs wait until it is restored or gone
//   F fetching    absent, and one thread is fetching it: others wait
//   R prefetched  brought in by a prefetcher, not dereferenced yet; the
//                 evacuator takes such objects last
//   S scanned     last touched by a scan: the first to be evacuated
//   G device      the payload is in GPU memory (the HBM tier): host derefs
//                 take the slow path, which brings it back to a host tier
//   V revocable   (with E) claimed by an eviction that writes nothing home
//                 (the object is clean, its home current): a deref takes it
//                 back instead of waiting for the eviction to end
//
// An absent word's address bits hold a hint of where its home keeps the
// object (home_hint: the node and the slot's offset, or 0 for none), so
// that a miss starts loading the remote slot beside the record's fields
// instead of after them. Only a hint: the record's fields say where the
// object is, and the node may have moved it since.
//
// The states and who moves between them:
//
//   absent (0|hint) --begin_fetch--> F --install--> P|H[...] (a miss, a prefetch)
//                                    F --abort_fetch--> absent (the fetch failed)
//   P --touch--> P|H[|D][|S]          (slow-path deref; the fast path only reads)
//   P --cool--> P without H, S        (the CLOCK sweep)
//   P --claim--> P|E --restore--> P   (a mover gives up)
//                    --move_to--> P at another address (tier move; D kept)
//                    --drop--> absent  (evicted, written home)
//   P --claim_victim--> P|E[|V]       (an eviction; V when clean)
//   P|E|V --take_back--> P|H[|D]      (a deref got there first: it stays)
//         --drop_claimed--> absent    (evicted; false if taken back)
//   P --retire--> retired             (the last handle went away)
//   absent --retire_absent--> retired (the same, for an absent object)
//   retired --install--> P|H|D         (the record is made again: creation)
//   retired --make_absent--> absent    (made for an object its home holds
//                                       already: another's published array;
//                                       or for one of zeros, never written,
//                                       that no home holds yet: its miss
//                                       zeroes a slot instead of reading)
//
// Retired (F and E, without P) marks a record that no live handle names:
// freed, or not yet made. No transition but install starts from it, so a
// thread walking records (the rebalancer, which begins fetches on absent
// objects to move them between nodes) never claims one.
//
// While F or E is set, the holder of that bit alone reads and writes the
// record's remote fields. A present object's address changes only under E,
// after every DerefScope that could have seen the old one has ended.
//
// Thread-safety: every member is atomic; transitions that depend on the old
// state are compare-and-swap or fetch-op, so concurrent callers see one
// winner.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace remora::detail {

/// A value of a metadata word: what a transition saw.
class meta_state {
 public:
  static constexpr std::uint64_t present_bit = 1ull << 63;
  static constexpr std::uint64_t dirty_bit = 1ull << 62;
  static constexpr std::uint64_t hot_bit = 1ull << 61;
  static constexpr std::uint64_t evacuating_bit = 1ull << 60;
  static constexpr std::uint64_t fetching_bit = 1ull << 59;
  static constexpr std::uint64_t prefetched_bit = 1ull << 58;
  static constexpr std::uint64_t scanned_bit = 1ull << 57;
  static constexpr std::uint64_t device_bit = 1ull << 56;
  static constexpr std::uint64_t revocable_bit = 1ull << 55;
  static constexpr std::uint64_t address_mask = (1ull << 48) - 1;
  static_assert((address_mask & (present_bit | dirty_bit | hot_bit | evacuating_bit | fetching_bit |
                                 prefetched_bit | scanned_bit | device_bit | revocable_bit)) == 0,
                "flags and address must not overlap");

  constexpr explicit meta_state(std::uint64_t bits = 0) : bits_(bits) {}

  bool present() const { return bits_ & present_bit; }
  bool dirty() const { return bits_ & dirty_bit; }
  bool hot() const { return bits_ & hot_bit; }
  bool evacuating() const { return bits_ & evacuating_bit; }
  bool fetching() const { return bits_ & fetching_bit; }
  bool prefetched() const { return bits_ & prefetched_bit; }
  bool scanned() const { return bits_ & scanned_bit; }
  bool on_device() const { return bits_ & device_bit; }
  std::byte* address() const { return reinterpret_cast<std::byte*>(bits_ & address_mask); }

  /// Claimed by an eviction that a deref may take back (take_back).
  bool revocable() const {
    constexpr std::uint64_t want = present_bit | evacuating_bit | revocable_bit;
    return (bits_ & want) == want;
  }
  /// Present and not claimed by a mover: a deref may use the address.
  bool usable() const { return (bits_ & (present_bit | evacuating_bit)) == present_bit; }
  /// Freed, or being made (see retire()).
  bool retired() const { return bits_ == (fetching_bit | evacuating_bit); }
  /// Not present, and neither fetched, moved nor retired: a hint at most.
  bool absent() const { return (bits_ & ~address_mask) == 0; }
  /// Neither present nor being fetched: a fetch may begin.
  bool fetchable() const { return (bits_ & (present_bit | fetching_bit)) == 0; }
  /// What the host fast path accepts: present, hot, and (for writes) dirty;
  /// not claimed, not waiting for its first real deref, not in GPU memory.
  bool host_fast(bool for_write) const {
    const std::uint64_t want = present_bit | hot_bit | (for_write ? dirty_bit : 0);
    return (bits_ & (want | evacuating_bit | prefetched_bit | device_bit)) == want;
  }
  /// What the device fast path accepts: present and hot in GPU memory.
  bool device_fast() const {
    const std::uint64_t want = present_bit | hot_bit | device_bit;
    return (bits_ & (want | evacuating_bit)) == want;
  }

  std::uint64_t bits() const { return bits_; }

  /// The hint an absent word keeps of the object's home slot: node `node`, at
  /// `offset` in its arena; 0 (no hint) where they do not fit.
  static constexpr std::uint64_t home_hint(std::uint32_t node, std::uint64_t offset) {
    if (node >= hint_nodes || offset % 8 != 0 || (offset >> 3) >= (1ull << hint_offset_bits))
      return 0;
    return (std::uint64_t{node + 1} << hint_offset_bits) | (offset >> 3);
  }
  /// Whether this (absent or fetching) word carries a hint; its node and offset.
  bool has_hint() const { return (bits_ & address_mask) != 0; }
  std::uint32_t hint_node() const {
    return static_cast<std::uint32_t>((bits_ & address_mask) >> hint_offset_bits) - 1;
  }
  std::uint64_t hint_offset() const { return (bits_ & ((1ull << hint_offset_bits) - 1)) << 3; }

 private:
  // 40 bits of 8-byte units (8 TiB arenas), and 8 of node + 1.
  static constexpr unsigned hint_offset_bits = 40;
  static constexpr std::uint32_t hint_nodes = 255;
  std::uint64_t bits_;
};

/// Flags an object arrives with when it becomes present (install, move_to).
struct arrival {
  bool hot = false, dirty = false, prefetched = false, scanned = false, device = false;
  std::uint64_t bits() const {
    return (hot ? meta_state::hot_bit : 0) | (dirty ? meta_state::dirty_bit : 0) |
           (prefetched ? meta_state::prefetched_bit : 0) | (scanned ? meta_state::scanned_bit : 0) |
           (device ? meta_state::device_bit : 0);
  }
};

class meta_word {
 public:
  meta_word() = default;
  meta_word(const meta_word&) = delete;
  meta_word& operator=(const meta_word&) = delete;

  /// The word now; acquire, so a usable address's bytes are visible.
  meta_state load() const { return meta_state(word_.load(std::memory_order_acquire)); }

  /// F on an object neither present nor being fetched. False when another
  /// thread got there first (or it is present); `seen` is then refreshed.
  bool begin_fetch(meta_state& seen) {
    std::uint64_t expected = seen.bits();
    if (!seen.fetchable()) return false;
    const bool won = word_.compare_exchange_strong(expected, expected | meta_state::fetching_bit,
                                                   std::memory_order_acq_rel);
    if (!won) seen = meta_state(expected);
    return won;
  }
  /// The fetch this thread began failed: absent again.
  void abort_fetch() { word_.fetch_and(~meta_state::fetching_bit, std::memory_order_acq_rel); }

  /// The object is present at `payload` with flags `a`. REQUIRES: the caller
  /// holds F (a fetch), or the object is new and unpublished (creation);
  /// `payload` fits 48 bits.
  void install(const void* payload, arrival a) {
    word_.store(meta_state::present_bit | a.bits() | address_bits(payload),
                std::memory_order_release);
  }

  /// A slow-path deref of a present object: sets H, and D for a write, and
  /// S for a scan's first touch of a cold object. Returns the word before;
  /// the caller may use the address only if that was usable().
  meta_state touch(bool for_write, bool scanning) {
    return meta_state(
        word_.fetch_or(touched(for_write, scanning && !load().hot()), std::memory_order_acq_rel));
  }
  /// Clears R; true when this call cleared it (the first real deref of a
  /// prefetched object: a prefetch hit, counted once).
  bool take_prefetched() {
    return word_.fetch_and(~meta_state::prefetched_bit, std::memory_order_acq_rel) &
           meta_state::prefetched_bit;
  }
  /// The CLOCK hand passes: clears H (and S, unless `keep_scanned`).
  /// Returns the word before.
  meta_state cool(bool keep_scanned = false) {
    const std::uint64_t clear = meta_state::hot_bit | (keep_scanned ? 0 : meta_state::scanned_bit);
    return meta_state(word_.fetch_and(~clear, std::memory_order_acq_rel));
  }

  /// E on a usable object that has none of `must_be_clear` (H for an
  /// eviction: it must have stayed cold; F for a move: nothing in flight).
  bool claim(std::uint64_t must_be_clear) {
    return claim_victim(must_be_clear, false) != claimed::no;
  }
  /// How claim_victim claimed an object, if it did.
  enum class claimed { no, held, revocable };
  /// claim(must_be_clear) for an eviction, with V too when `may_revoke`
  /// and the object is clean: nothing then goes home, and a deref may take
  /// the object back until drop_claimed.
  claimed claim_victim(std::uint64_t must_be_clear, bool may_revoke) {
    std::uint64_t m = word_.load(std::memory_order_acquire);
    while ((m & (meta_state::present_bit | meta_state::evacuating_bit | must_be_clear)) ==
           meta_state::present_bit) {
      const bool revocable = may_revoke && (m & meta_state::dirty_bit) == 0;
      const std::uint64_t set =
          meta_state::evacuating_bit | (revocable ? meta_state::revocable_bit : 0);
      if (word_.compare_exchange_weak(m, m | set, std::memory_order_acq_rel))
        return revocable ? claimed::revocable : claimed::held;
    }
    return claimed::no;
  }
  /// A deref of an object an eviction claimed revocably (`seen`): the
  /// claim ends, and the object stays, H set (D too for a write, S for a
  /// scan). False when the word was no longer `seen`; `seen` is refreshed.
  bool take_back(meta_state& seen, bool for_write, bool scanning) {
    if (!seen.revocable()) return false;
    std::uint64_t expected = seen.bits();
    const std::uint64_t kept = expected & ~(meta_state::evacuating_bit | meta_state::revocable_bit);
    const bool won = word_.compare_exchange_strong(
        expected, kept | touched(for_write, scanning && !seen.hot()), std::memory_order_acq_rel);
    if (!won) seen = meta_state(expected);
    return won;
  }
  /// Absent (`hint`, as drop), unless a deref took the object back: false
  /// then. Returns the payload's address it had in `slot`.
  /// REQUIRES: claim_victim claimed it revocably.
  bool drop_claimed(std::uint64_t hint, std::byte*& slot) {
    std::uint64_t m = word_.load(std::memory_order_acquire);
    while (meta_state(m).revocable())
      if (word_.compare_exchange_weak(m, hint & meta_state::address_mask,
                                      std::memory_order_acq_rel)) {
        slot = meta_state(m).address();
        return true;
      }
    return false;
  }
  /// A claimed object stays where it is.
  void restore() {
    word_.fetch_and(~(meta_state::evacuating_bit | meta_state::revocable_bit),
                    std::memory_order_acq_rel);
  }
  /// A claimed object now lives at `payload` (another tier), with `a` and
  /// its dirty bit kept. REQUIRES: the caller holds E.
  void move_to(const void* payload, arrival a) {
    const std::uint64_t dirty = word_.load(std::memory_order_relaxed) & meta_state::dirty_bit;
    word_.store(meta_state::present_bit | dirty | a.bits() | address_bits(payload),
                std::memory_order_release);
  }
  /// Absent: evicted (its home has its bytes, where `hint` says).
  void drop(std::uint64_t hint = 0) {
    word_.store(hint & meta_state::address_mask, std::memory_order_release);
  }
  /// Retired: forgotten for good, or not made yet. REQUIRES: no other
  /// thread holds F or E on the object.
  void retire() {
    word_.store(meta_state::fetching_bit | meta_state::evacuating_bit, std::memory_order_release);
  }
  /// Absent: a record made for an object whose home holds it already.
  /// REQUIRES: the record is retired and no other thread knows it yet.
  void make_absent(std::uint64_t hint = 0) {
    word_.store(hint & meta_state::address_mask, std::memory_order_release);
  }
  /// Retires an absent object, or finds it retired; false while another
  /// thread holds it (a fetch or a move in progress: ask again).
  bool retire_absent() {
    constexpr std::uint64_t retired = meta_state::fetching_bit | meta_state::evacuating_bit;
    std::uint64_t expected = word_.load(std::memory_order_acquire);
    while (meta_state(expected).absent())
      if (word_.compare_exchange_weak(expected, retired, std::memory_order_acq_rel)) return true;
    return expected == retired;
  }

 private:
  // What a deref sets: H, D for a write, S for a scan's first touch of a
  // cold object.
  static std::uint64_t touched(bool for_write, bool cold_scan) {
    return meta_state::hot_bit | (for_write ? meta_state::dirty_bit : 0) |
           (cold_scan ? meta_state::scanned_bit : 0);
  }
  static std::uint64_t address_bits(const void* payload) {
    const auto a = reinterpret_cast<std::uint64_t>(payload);
    // User-space addresses on x86-64 and AArch64 fit 48 bits; a payload
    // outside them would corrupt the flags.
    if ((a & ~meta_state::address_mask) != 0) __builtin_trap();
    return a;
  }

  std::atomic<std::uint64_t> word_{0};
};

static_assert(sizeof(meta_word) == 8, "metadata words pack 8 bytes each");

}  // namespace remora::detail

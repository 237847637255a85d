// epochs: the evacuator's side of DerefScope (remora/deref_scope.hpp): which
// threads are inside scopes, waiting them out, and what parked threads pin.
//
// A thread that needs cache room while its scope pins objects parks
// (park_guard) instead of holding the evacuator up: while it is parked, its
// pin log is complete, so the evacuator skips just those objects rather than
// waiting for its scope to end. Reading another thread's log is a seqlock
// over its `parks` count: a log read while the thread stayed parked is
// consistent; one that raced with an unpark is thrown away and the thread is
// waited for instead.
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "remora/deref_scope.hpp"

namespace remora::detail {

/// Objects that open scopes pin, once each: add them, seal, then look up.
class pinned_set {
 public:
  void add(const object_record* r) { pins_.push_back(r); }
  /// Sorts and drops repeats. REQUIRES: before contains() and items().
  void seal();
  bool contains(const object_record* r) const;
  bool empty() const { return pins_.empty(); }
  std::span<const object_record* const> items() const { return pins_; }

 private:
  std::vector<const object_record*> pins_;
};

/// A thread's scope, as Array access checks (Options::check_access) note it.
struct scope_ref {
  const thread_state* thread = nullptr;  // null: none noted
  std::uint64_t serial = 0, epoch = 0;
};
/// The calling thread's scope (registering the thread if it is not yet).
scope_ref this_scope();
/// Whether the scope `s` names is still open: its thread is still
/// registered and still in that scope.
bool still_open(const scope_ref& s);

/// A process-wide barrier: every running thread passes a full fence. Pairs
/// with the compiler barrier a DerefScope opens with.
void heavy_barrier();

/// Waits until every thread that is inside a scope now has left it or is
/// parked with a known pin log (whose objects go into `pinned`, when given),
/// or `timeout` passes. Returns false on timeout. The calling thread's own
/// scope does not count. Without `pinned`, parked threads are waited for
/// unless they pin nothing.
bool wait_for_scopes(std::chrono::milliseconds timeout, pinned_set* pinned = nullptr);

/// What the calling thread's open scope pins (nothing outside a scope);
/// `known` is false when the log overflowed. Sorts the log: for slow paths
/// only.
pinned_set my_pins(bool& known);

/// While alive, the calling thread is parked: waiting for cache room.
class park_guard {
 public:
  park_guard();
  ~park_guard();
  park_guard(const park_guard&) = delete;
  park_guard& operator=(const park_guard&) = delete;
};

/// Counters summed over all threads that ever opened a scope.
struct counter_totals {
  std::uint64_t derefs = 0, deref_misses = 0, misses = 0;
  /// Derefs that found their object present.
  std::uint64_t hits() const { return derefs > deref_misses ? derefs - deref_misses : 0; }
  /// What was counted after `before` (a sum taken earlier).
  counter_totals since(const counter_totals& before) const {
    return {derefs - before.derefs, deref_misses - before.deref_misses, misses - before.misses};
  }
};
counter_totals sum_counters();

}  // namespace remora::detail

#include "remora/detail/array_state.hpp"

#include <algorithm>
#include <bit>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>

#include "objects/epochs.hpp"
#include "remora/errors.hpp"
#include "transport/mutex.hpp"

namespace remora::detail {

constinit thread_local reader_table this_thread_readers;

/// Each chunk's last reader and writer (the scopes they accessed it in),
/// for check_access. Grows with the chunks (a Vector's).
struct access_log {
  struct chunk_users {
    scope_ref reader, writer;
  };
  transport::mutex mutex;
  std::vector<chunk_users> chunks REMORA_GUARDED_BY(mutex);
};

struct reader_list {
  transport::mutex mutex;
  std::unordered_map<std::thread::id, std::unique_ptr<array_reader>> readers
      REMORA_GUARDED_BY(mutex);
};

namespace {
std::atomic<std::uint64_t> next_array_key{1};

}  // namespace

array_state::array_state()
    : key(next_array_key.fetch_add(1, std::memory_order_relaxed)),
      others_(std::make_unique<reader_list>()) {}

array_state::~array_state() {
  // A scope of this thread may still remember a chunk of this array, and
  // another array may be made at this address. (No other thread's may:
  // its scope would hold chunks about to be released.)
  forget_slot_of(owner);
  primary.session.reset();  // stop the prefetchers before the chunks go
  others_.reset();          // their prefetchers too
  for (object_record* r : chunks)
    if (r->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) rt->release(r);
}

void array_state::check_access(std::size_t c, bool for_write) {
  const scope_ref me = this_scope();
  transport::lock_guard lock(access->mutex);
  if (access->chunks.size() <= c) access->chunks.resize(chunks.size());
  auto& users = access->chunks[c];
  // Another thread's scope, still open.
  auto elsewhere = [&](const scope_ref& s) {
    return s.thread != nullptr && (s.thread != me.thread || s.serial != me.serial) && still_open(s);
  };
  auto conflict = [&](const char* other) {
    return AccessConflict(std::string(for_write ? "a write to" : "a read of") + " element " +
                          std::to_string(c << per_shift) + "'s chunk (" +
                          std::to_string(per_chunk) + " elements) of an Array of " +
                          std::to_string(size) + " while another thread " + other +
                          " it in a DerefScope still open: a write needs one writer and no "
                          "readers of its chunk (threads may write disjoint chunks; "
                          "chunk_elements() says where chunks start)");
  };
  if (elsewhere(users.writer)) throw conflict("writes");
  if (for_write && elsewhere(users.reader)) throw conflict("reads");
  (for_write ? users.writer : users.reader) = me;
}

array_reader* array_state::reader_slow() noexcept {
  const thread_state* none = nullptr;
  if (primary_thread.compare_exchange_strong(none, &this_thread, std::memory_order_relaxed))
    return &primary;
  try {
    transport::lock_guard held(others_->mutex);
    auto& r = others_->readers[std::this_thread::get_id()];
    if (!r) r = std::make_unique<array_reader>();
    this_thread_readers.entries[key % reader_table::slots] = {key, r.get()};
    return r.get();
  } catch (...) {
    keep_error();
    return nullptr;
  }
}

bool array_state::stop_prefetchers() {
  array_reader& mine = reader();
  const bool following = mine.session != nullptr && !mine.detected;
  auto stop = [this](array_reader& r) {
    r.session.reset();
    r.detected = false;
    r.forget_base();
    update_plain(r);
  };
  forget_slot();
  stop(primary);
  transport::lock_guard held(others_->mutex);
  for (auto& [thread, r] : others_->readers) stop(*r);
  return following;
}

void array_state::follow(array_reader& r, order::declared o, bool is_detected) {
  r.session.reset();
  r.detected = is_detected;
  r.counts_positions =
      o.what == order::declared::kind::indices || o.what == order::declared::kind::generator;
  r.read_count = 0;
  r.cursor->store(0, std::memory_order_relaxed);
  r.forget_base();
  forget_slot();
  if (o.what != order::declared::kind::none && o.what != order::declared::kind::off) {
    prefetch_plan plan{&chunks, per_chunk, size, std::move(o), r.cursor};
    r.session = rt->follow(std::move(plan));
  }
  update_plain(r);
}

// Publishes progress and looks for a sequential or strided pattern when
// nothing is declared: the same step between chunks twice starts a
// prefetcher; a broken pattern stops it.
void array_state::moved_to(array_reader& r, std::size_t chunk, std::size_t index) {
  if (!r.counts_positions) r.cursor->store(index, std::memory_order_relaxed);
  if (r.declared.what != order::declared::kind::none) {
    r.last_chunk = chunk;
    return;
  }
  const long long delta = static_cast<long long>(chunk) - static_cast<long long>(r.last_chunk);
  r.last_chunk = chunk;
  if (delta == r.last_delta && delta != 0 && delta > -64 && delta < 64) {
    if (++r.same_delta == 2 && !r.session && delta > 0)
      follow(r,
             delta == 1 ? order::sequential(index)
                        : order::strided(index, static_cast<std::size_t>(delta) * per_chunk),
             true);
  } else {
    r.same_delta = 0;
    if (r.detected) {  // the pattern broke: stop guessing
      r.session.reset();
      r.detected = false;
    }
  }
  r.last_delta = delta;
  update_plain(r);
}

void* array_state::chunk_slow(array_reader& r, std::size_t i, std::size_t c, std::uint64_t epoch,
                              bool for_write, bool scanning, DerefScope* scope) {
  if (i >= size)
    throw InvalidObject("index " + std::to_string(i) + " is past the end of an Array of " +
                        std::to_string(size) + " elements");
  if (checked) [[unlikely]]
    check_access(c, for_write);
  const bool moved = c != r.last_chunk;
  if (moved) moved_to(r, c, i);
  if (r.counts_positions) r.cursor->store(++r.read_count, std::memory_order_relaxed);
  if (r.session && (moved || r.counts_positions)) r.session->reader_moved();
  void* p = deref_address(chunks[c], rt, for_write, scanning);
  // Inside a scope, the next access to this chunk can skip the deref, unless
  // every access must count as a position.
  return (epoch & 1) && !r.counts_positions ? remember(r, c, epoch, p, for_write, scope) : p;
}

void array_state::forget_slot() {
  if (DerefScope* s = filled_slot_scope()) s->chunk_.count = 0;
  this_thread.slot_scope = nullptr;
}

void array_state::forget_slot_of(const void* owner) {
  if (const DerefScope* s = filled_slot_scope(); s != nullptr && s->chunk_.reader == owner)
    forget_slot();
}

bool array_state::read_apart_slow(array_reader& r, std::size_t i, void* out, std::size_t bytes) {
  const std::size_t c = i >> per_shift;
  // The chunk read last, again: locality, worth the whole chunk. The same
  // step as last time: a walk may be forming, for at()'s detector to see.
  if (c == r.last_chunk) return false;
  const long long delta = static_cast<long long>(c) - static_cast<long long>(r.last_chunk);
  if (delta == r.last_delta) return false;
  r.last_chunk = c;
  r.last_delta = delta;
  if (chunks[c]->meta().load().present()) return false;                // a hit
  if (++r.apart_reads % array_reader::admit_every == 0) return false;  // fetched whole
  const auto from = static_cast<std::uint32_t>((i & (per_chunk - 1)) * bytes);
  if (!rt->read_part(chunks[c], from, {static_cast<std::byte*>(out), bytes})) return false;
  note_read(true);
  return true;
}

void array_state::update_plain(array_reader& r) {
  r.update_plain();
  if (&r == &primary && !r.quiet) quiet_thread.store(nullptr, std::memory_order_relaxed);
}

void array_state::go_quiet(array_reader& r) {
  r.quiet = true;
  if (&r == &primary)
    quiet_thread.store(primary_thread.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

void array_state::end_window(array_reader& r) {
  r.reads_apart = r.window_misses * 2 > r.window_reads;
  r.window_reads = r.window_misses = 0;
}

std::unique_ptr<array_state> new_array_state(object_runtime* rt, std::size_t element_bytes,
                                             std::size_t chunk_bytes) {
  auto s = std::make_unique<array_state>();
  s->per_chunk = std::bit_floor(std::max<std::size_t>(1, chunk_bytes / element_bytes));
  s->per_shift = static_cast<unsigned>(std::countr_zero(s->per_chunk));
  s->rt = rt;
  if (rt != nullptr && rt->checks_access()) {
    s->checked = true;
    s->access = std::make_unique<access_log>();
  }
  return s;
}

}  // namespace remora::detail

#include "remora/detail/array_state.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "remora/errors.hpp"

namespace remora::detail {

array_state::~array_state() {
  session.reset();  // stop the prefetcher before the chunks go
  for (object_record* r : chunks)
    if (r->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) rt->release(r);
}

void array_state::follow(order::declared o, bool is_detected) {
  session.reset();
  detected = is_detected;
  counts_positions =
      o.what == order::declared::kind::indices || o.what == order::declared::kind::generator;
  read_count = 0;
  cursor->store(0, std::memory_order_relaxed);
  forget_base();
  if (o.what != order::declared::kind::none && o.what != order::declared::kind::off) {
    prefetch_plan plan{&chunks, per_chunk, size, std::move(o), cursor};
    session = rt->follow(std::move(plan));
  }
  update_plain();
}

// Publishes progress and looks for a sequential or strided pattern when
// nothing is declared: the same step between chunks twice starts a
// prefetcher; a broken pattern stops it.
void array_state::moved_to(std::size_t chunk, std::size_t index) {
  if (!counts_positions) cursor->store(index, std::memory_order_relaxed);
  if (declared.what != order::declared::kind::none) {
    last_chunk = chunk;
    return;
  }
  const long long delta = static_cast<long long>(chunk) - static_cast<long long>(last_chunk);
  last_chunk = chunk;
  if (delta == last_delta && delta != 0 && delta > -64 && delta < 64) {
    if (++same_delta == 2 && !session && delta > 0)
      follow(delta == 1 ? order::sequential(index)
                        : order::strided(index, static_cast<std::size_t>(delta) * per_chunk),
             true);
  } else {
    same_delta = 0;
    if (detected) {  // the pattern broke: stop guessing
      session.reset();
      detected = false;
    }
  }
  last_delta = delta;
  update_plain();
}

void* array_state::chunk_slow(std::size_t i, std::size_t c, std::uint64_t epoch, bool for_write,
                              bool scanning) {
  if (i >= size)
    throw InvalidObject("index " + std::to_string(i) + " is past the end of an Array of " +
                        std::to_string(size) + " elements");
  const bool moved = c != last_chunk;
  if (moved) moved_to(c, i);
  if (counts_positions) cursor->store(++read_count, std::memory_order_relaxed);
  if (session && (moved || counts_positions)) session->reader_moved();
  void* p = deref_address(chunks[c], rt, for_write, scanning);
  // Inside a scope, the next access to this chunk can skip the deref, unless
  // every access must count as a position.
  return (epoch & 1) && !counts_positions ? remember(c, epoch, p, for_write) : p;
}

bool array_state::read_apart_slow(std::size_t i, void* out, std::size_t bytes) {
  const std::size_t c = i >> per_shift;
  // The chunk read last, again: locality, worth the whole chunk. The same
  // step as last time: a walk may be forming, for at()'s detector to see.
  if (c == last_chunk) return false;
  const long long delta = static_cast<long long>(c) - static_cast<long long>(last_chunk);
  if (delta == last_delta) return false;
  last_chunk = c;
  last_delta = delta;
  if (chunks[c]->meta().load().present()) return false;  // a hit
  if (++apart_reads % admit_every == 0) return false;    // fetched whole
  const auto from = static_cast<std::uint32_t>((i & (per_chunk - 1)) * bytes);
  if (!rt->read_part(chunks[c], from, {static_cast<std::byte*>(out), bytes})) return false;
  note_read(true);
  return true;
}

void array_state::end_window() {
  reads_apart = window_misses * 2 > window_reads;
  window_reads = window_misses = 0;
}

std::unique_ptr<array_state> new_array_state(object_runtime* rt, std::size_t element_bytes,
                                             std::size_t chunk_bytes) {
  auto s = std::make_unique<array_state>();
  s->per_chunk = std::bit_floor(std::max<std::size_t>(1, chunk_bytes / element_bytes));
  s->per_shift = static_cast<unsigned>(std::countr_zero(s->per_chunk));
  s->rt = rt;
  return s;
}

}  // namespace remora::detail

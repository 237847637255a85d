#include "storage/remote_arena.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "storage/packed_payload.hpp"
#include "storage/slot.hpp"
#include "transport/batch.hpp"
#include "transport/mutex.hpp"

namespace remora::storage {

using transport::errc;
using transport::error;
using transport::result;

namespace {

// A location can go stale again between lookup and read when the node is
// spilling hard; a few rounds settle it.
constexpr int max_location_refreshes = 8;

// write_many: objects pinned, written and unpinned together, at most.
constexpr std::size_t max_write_batch = 1024;

// write_many over shared memory: how many slots ahead of its pin a slot's
// first line is asked for.
constexpr std::size_t pins_ahead = 16;

// read_many: objects this large are read as header, payload and trailer,
// the payload straight into its destination (one copy fewer).
constexpr std::uint32_t direct_from = 4096;

// The gets of a read: over shared memory, copies straight out of the
// arena's mapping; otherwise a batch of UCX gets, which wait() completes.
class slot_gets {
 public:
  slot_gets(transport::worker& w, const transport::remote_region& arena)
      : worker_(w), arena_(arena) {}

  result<void> get(std::uint64_t offset, void* into, std::size_t length) {
    if (arena_.mapped()) return arena_.copy_out(offset, into, length);
    if (!batch_) batch_.emplace(worker_);
    return batch_->get(arena_, offset, into, length);
  }

  // (The clock is read only when there is something to wait for.)
  result<void> wait(std::chrono::milliseconds timeout) {
    if (!batch_) return {};
    return batch_->wait(transport::after(timeout));
  }

 private:
  transport::worker& worker_;
  const transport::remote_region& arena_;
  std::optional<transport::batch> batch_;
};

// The steps of a write (a pin's compare-and-swap, puts, an unpin's add):
// over shared memory each done at once, on the mapping reads go through, as
// UCX's shared-memory transport would do it (remote_region::compare_swap_in
// and the like: a page written is then mapped for the reads that follow);
// otherwise a batch of UCX operations, which wait() completes.
class slot_writes {
 public:
  slot_writes(transport::worker& w, const transport::remote_region& arena) : arena_(arena) {
    if (!arena.mapped()) batch_.emplace(w);
  }

  // `*swap` receives the word as it was (at once, or once waited for).
  result<void> compare_swap(std::uint64_t offset, const std::uint64_t* compare,
                            std::uint64_t* swap) {
    if (batch_) return batch_->compare_swap(arena_, offset, compare, swap);
    auto found = arena_.compare_swap_in(offset, *compare, *swap);
    if (!found) return found.err();
    *swap = *found;
    return {};
  }

  result<void> put(std::uint64_t offset, const void* from, std::size_t length) {
    if (batch_) return batch_->put(arena_, offset, from, length);
    return arena_.copy_in(offset, from, length);
  }

  result<void> atomic_add(std::uint64_t offset, const std::uint64_t* value) {
    if (batch_) return batch_->atomic_add(arena_, offset, value);
    return arena_.add_in(offset, *value);
  }

  // (The clock is read only when there is something to wait for.)
  result<void> wait(std::chrono::milliseconds timeout) {
    if (!batch_) return {};
    return batch_->wait(transport::after(timeout));
  }

 private:
  const transport::remote_region& arena_;
  std::optional<transport::batch> batch_;  // absent over shared memory
};

}  // namespace

std::shared_ptr<const remote_arena> remote_arena::view_of(const remote_arena& a,
                                                          const transport::context_options& ucx) {
  // The views alive, by the node's worker address and arena key (a node
  // restarted at the same address has another key).
  static transport::mutex mutex;
  static std::map<std::vector<std::byte>, std::weak_ptr<const remote_arena>> views;
  std::vector<std::byte> name = a.address_;
  name.insert(name.end(), a.key_.begin(), a.key_.end());
  {
    transport::lock_guard held(mutex);
    if (auto found = views.find(name); found != views.end())
      if (auto v = found->second.lock()) return v;
  }
  // Made outside the lock (connecting waits for the node); if another
  // thread made one meanwhile, that one is kept.
  auto opened = open(a.address_, a.key_, {}, a.name_, a.timeout_, ucx, {}, a.another_host_);
  if (!opened || !opened->arena_->mapped()) return nullptr;
  auto v = std::make_shared<const remote_arena>(std::move(opened).value());
  transport::lock_guard held(mutex);
  std::erase_if(views, [](const auto& entry) { return entry.second.expired(); });
  auto& slot = views[name];
  if (auto other = slot.lock()) return other;
  slot = v;
  return v;
}

result<remote_arena> remote_arena::connect(std::span<const std::byte> worker_address,
                                           std::span<const std::byte> arena_key, locator locate,
                                           std::string name, std::chrono::milliseconds timeout,
                                           const transport::context_options& ucx_options,
                                           std::function<bool()> give_up, bool another_host) {
  auto a = open(worker_address, arena_key, std::move(locate), std::move(name), timeout, ucx_options,
                std::move(give_up), another_host);
  if (a && a->arena_->mapped()) {
    // Without a view (none could be made) the arena reads through its own
    // mapping.
    a->view_ = view_of(*a, ucx_options);
    if (a->view_) a->arena_->read_through(*a->view_->arena_);
  }
  return a;
}

result<remote_arena> remote_arena::open(std::span<const std::byte> worker_address,
                                        std::span<const std::byte> arena_key, locator locate,
                                        std::string name, std::chrono::milliseconds timeout,
                                        const transport::context_options& ucx_options,
                                        std::function<bool()> give_up, bool another_host) {
  remote_arena a;
  a.locate_ = std::move(locate);
  a.name_ = std::move(name);
  a.timeout_ = timeout;
  a.address_.assign(worker_address.begin(), worker_address.end());
  a.key_.assign(arena_key.begin(), arena_key.end());
  auto ucx = transport::local_ucx::open(ucx_options);
  if (!ucx) return ucx.err();
  a.ucx_ = std::move(ucx).value();
  a.ucx_.worker->give_up_when(std::move(give_up));
  a.another_host_ = another_host;
  auto ep = a.ucx_.worker->connect(worker_address, another_host);
  if (!ep) return error{ep.err().code, a.name_ + ": " + ep.err().message};
  a.ep_ = std::make_unique<transport::endpoint>(std::move(ep).value());
  auto arena = transport::remote_region::unpack(*a.ep_, arena_key);
  if (!arena) return error{arena.err().code, a.name_ + ": " + arena.err().message};
  a.arena_.emplace(std::move(arena).value());
  return a;
}

remote_arena::remote_arena(remote_arena&&) noexcept = default;

remote_arena::~remote_arena() {
  arena_.reset();  // the key goes before the endpoint it was unpacked on
  if (ep_ && !ep_->closed()) ep_->close(transport::after(std::chrono::seconds(1)));
}

error remote_arena::corrupt(const object_location& where) const {
  return error{errc::corrupt,
               "object " + std::to_string(where.id) + ": its bytes fail their checksum"};
}

error remote_arena::failed(const char* request, const error& e) const {
  return error{e.code, std::string(request) + " on memory node " + name_ + ": " + e.message};
}

result<void> remote_arena::reopen() {
  if (ep_ && !ep_->closed()) return {};
  // A request that timed out or was given up aborted the endpoint: the node
  // may answer again (it hung, and goes on), so connect afresh, once it
  // does.
  arena_.reset();
  ep_.reset();
  if (answering_)
    if (auto r = answering_(); !r) return r.err();
  ++reconnects_;
  auto ep = ucx_.worker->connect(address_, another_host_);
  if (!ep) return error{ep.err().code, name_ + ": connecting again: " + ep.err().message};
  ep_ = std::make_unique<transport::endpoint>(std::move(ep).value());
  auto arena = transport::remote_region::unpack(*ep_, key_);
  if (!arena) return error{arena.err().code, name_ + ": " + arena.err().message};
  arena_.emplace(std::move(arena).value());
  if (view_) arena_->read_through(*view_->arena_);
  return {};
}

template <class Attempt>
result<void> remote_arena::settle(const char* request, object_location& where, Attempt attempt) {
  if (auto r = reopen(); !r) return failed(request, r.err());
  for (int round = 0; round < max_location_refreshes; ++round) {
    result<bool> found = attempt();
    if (!found) return failed(request, found.err());
    if (*found) return {};
    ++stale_;
    if (auto r = locate_(where); !r) return r;
  }
  return error{errc::protocol,
               std::string(request) + " on memory node " + name_ + ": the object kept moving"};
}

result<void> remote_arena::read(object_location& where, std::span<std::byte> into) {
  if (into.size() != where.size)
    return error{errc::invalid_argument, "read of " + std::to_string(into.size()) +
                                             " bytes from an object of " +
                                             std::to_string(where.size)};
  return settle("read", where, [&]() -> result<bool> {
    scratch_.resize(where.slot_bytes);
    if (where.slot_bytes < direct_from)  // a few lines: their misses together
      arena_->prefetch(where.offset, where.slot_bytes);
    slot_gets gets(*ucx_.worker, *arena_);
    if (auto r = gets.get(where.offset, scratch_.data(), where.slot_bytes); !r) return r.err();
    if (auto r = gets.wait(timeout_); !r) return r.err();
    if (!slot_matches(scratch_, where.id, where.version)) return false;
    if (!slot_intact(scratch_)) return corrupt(where);
    std::memcpy(into.data(), scratch_.data() + payload_offset, where.size);
    return true;
  });
}

result<void> remote_arena::read_part(object_location& where, std::uint32_t from,
                                     std::span<std::byte> into, std::span<std::byte> head) {
  if (std::uint64_t{from} + into.size() > where.size || head.size() > where.size)
    return error{errc::invalid_argument, "read of bytes " + std::to_string(from) + ".." +
                                             std::to_string(from + into.size()) +
                                             " of an object of " + std::to_string(where.size)};
  return settle("read", where, [&]() -> result<bool> {
    std::byte header[payload_offset];
    std::byte trailer[sizeof(slot_trailer)];
    // Over shared memory the three gets are copies, one after another: the
    // CPU starts the three lines' misses together first.
    arena_->prefetch(where.offset, sizeof header);
    arena_->prefetch(where.offset + payload_offset + from, into.size());
    arena_->prefetch(where.offset + trailer_offset(where.size), sizeof trailer);
    slot_gets gets(*ucx_.worker, *arena_);
    if (auto r = gets.get(where.offset, header, sizeof header); !r) return r.err();
    if (!head.empty())
      if (auto r = gets.get(where.offset + payload_offset, head.data(), head.size()); !r)
        return r.err();
    if (auto r = gets.get(where.offset + payload_offset + from, into.data(), into.size()); !r)
      return r.err();
    if (auto r = gets.get(where.offset + trailer_offset(where.size), trailer, sizeof trailer); !r)
      return r.err();
    if (auto r = gets.wait(timeout_); !r) return r.err();
    return slot_parts_match(header, trailer, where.id, where.version);
  });
}

error misfit_write(std::size_t given, std::uint32_t size) {
  return error{errc::invalid_argument, "write of " + std::to_string(given) +
                                           " bytes to an object of " + std::to_string(size)};
}

result<void> remote_arena::write(object_location& where, std::span<const std::byte> data) {
  if (!is_payload_for(data, where.size)) return misfit_write(data.size(), where.size);
  // Goes in with the payload, with the mark that a client wrote it (slot.hpp).
  const written_crc tail{crc32c(data)};
  return settle("write", where, [&]() -> result<bool> {
    slot_writes steps(*ucx_.worker, *arena_);
    // Pin the slot at the version we know; other writers' pins are joined.
    const std::uint64_t word = where.offset + pin_word_offset;
    std::uint64_t expected = pin_word(where.version, 0);
    for (;;) {
      std::uint64_t held = expected + 1;
      auto pinned = steps.compare_swap(word, &expected, &held);
      if (pinned) pinned = steps.wait(timeout_);
      if (!pinned) return pinned.err();
      if (held == expected) break;
      if (pin_word_version(held) != where.version) return false;  // moved: look it up
      expected = held;
    }
    arena_->prepare_puts(where.offset, trailer_offset(where.size) + sizeof(slot_trailer));
    auto done = steps.put(where.offset + payload_offset, data.data(), data.size());
    if (done) done = steps.put(where.offset + crc_offset(where.size), &tail, sizeof tail);
    if (done) done = steps.wait(timeout_);
    const std::uint64_t unpin = ~std::uint64_t{0};
    auto unpinned = steps.atomic_add(word, &unpin);
    if (unpinned) unpinned = steps.wait(timeout_);
    if (!done) return done.err();
    if (!unpinned) return error{unpinned.err().code, "unpin: " + unpinned.err().message};
    return true;
  });
}

void remote_arena::write_many(std::span<object_location> where,
                              std::span<const std::span<const std::byte>> data,
                              std::span<result<void>> outcome) {
  // In batches of a bounded size: what is in flight at once stays bounded.
  for (std::size_t at = 0; at < where.size(); at += max_write_batch) {
    const std::size_t n = std::min(max_write_batch, where.size() - at);
    write_batch(where.subspan(at, n), data.subspan(at, n), outcome.subspan(at, n));
  }
}

void remote_arena::write_batch(std::span<object_location> where,
                               std::span<const std::span<const std::byte>> data,
                               std::span<result<void>> outcome) {
  const std::size_t n = where.size();
  if (auto r = reopen(); !r) {
    for (auto& o : outcome) o = failed("write", r.err());
    return;
  }
  // Each pin word's expected value and, from the batch, what it held.
  std::vector<std::uint64_t> expected(n), held(n);
  std::vector<written_crc> tails(n);
  std::vector<char> pinned(n, 0), alone(n, 0);
  // Over shared memory every step is done at once, on the mapping reads go
  // through (a page written is then mapped for the misses that read it
  // back: with the puts through UCX's own mapping of the region, reading a
  // table right after filling it paid this process's first touch of each
  // page a second time); otherwise by UCX, each step for the whole batch.
  slot_writes steps(*ucx_.worker, *arena_);
  // Over shared memory each pin is a locked instruction on the slot's first
  // line, cold when the slot is: the lines are asked for pins_ahead slots
  // early, so that their cache misses overlap. (Filling a node with 256-byte
  // objects spent a third of its evacuator's time in these pins, most of it
  // this process's first touch of each page, which only a node in reserved
  // huge pages avoids; asking ahead took 2-10 % off the fill.)
  auto ask_ahead = [&](std::size_t i) {
    if (i < n && is_payload_for(data[i], where[i].size))
      arena_->prefetch_for_puts(where[i].offset,
                                trailer_offset(where[i].size) + sizeof(slot_trailer));
  };
  for (std::size_t i = 0; i < pins_ahead; ++i) ask_ahead(i);
  for (std::size_t i = 0; i < n; ++i) {
    ask_ahead(i + pins_ahead);
    outcome[i] = {};
    if (!is_payload_for(data[i], where[i].size)) {
      outcome[i] = misfit_write(data[i].size(), where[i].size);
      continue;
    }
    expected[i] = pin_word(where[i].version, 0);
    held[i] = expected[i] + 1;
    if (auto r = steps.compare_swap(where[i].offset + pin_word_offset, &expected[i], &held[i]); !r)
      outcome[i] = failed("write", r.err());
  }
  if (auto r = steps.wait(timeout_); !r) {
    for (auto& o : outcome)
      if (o) o = failed("write", r.err());
    return;
  }
  // The pinned: payloads and checksums.
  for (std::size_t i = 0; i < n; ++i) {
    if (!outcome[i]) continue;
    pinned[i] = held[i] == expected[i];
    if (!pinned[i]) {  // another writer's pin, or moved: alone, as write() does
      alone[i] = 1;
      continue;
    }
    tails[i] = written_crc{crc32c(data[i])};
    auto put = steps.put(where[i].offset + payload_offset, data[i].data(), data[i].size());
    if (put)
      put = steps.put(where[i].offset + crc_offset(where[i].size), &tails[i], sizeof tails[i]);
    if (!put) outcome[i] = failed("write", put.err());
  }
  const auto written = steps.wait(timeout_);
  // Every pin let go, whatever became of the puts.
  const std::uint64_t unpin = ~std::uint64_t{0};
  std::optional<error> unpin_failed;
  for (std::size_t i = 0; i < n && !unpin_failed; ++i) {
    if (!pinned[i]) continue;
    if (auto r = steps.atomic_add(where[i].offset + pin_word_offset, &unpin); !r)
      unpin_failed = r.err();
  }
  if (auto r = steps.wait(timeout_); !r && !unpin_failed) unpin_failed = r.err();
  for (std::size_t i = 0; i < n; ++i) {
    if (!pinned[i] || !outcome[i]) continue;
    if (!written)
      outcome[i] = failed("write", written.err());
    else if (unpin_failed)
      outcome[i] = failed("write", {unpin_failed->code, "unpin: " + unpin_failed->message});
  }
  for (std::size_t i = 0; i < n; ++i)
    if (alone[i]) outcome[i] = write(where[i], data[i]);
}

result<void> remote_arena::read_many(std::span<object_location> where,
                                     std::span<const std::span<std::byte>> into) {
  return read_batch(where, into, false);
}

result<void> remote_arena::read_prefixes(std::span<object_location> where,
                                         std::span<const std::span<std::byte>> into) {
  return read_batch(where, into, true);
}

result<void> remote_arena::read_batch(std::span<object_location> where,
                                      std::span<const std::span<std::byte>> into, bool prefixes) {
  if (where.size() != into.size())
    return error{errc::invalid_argument, "read_many: as many buffers as locations, please"};
  if (auto r = reopen(); !r) return failed("read", r.err());
  // Small objects: one get of the whole slot into scratch, then a copy out.
  // Large ones, and prefixes: header, payload (or its prefix) and trailer as
  // three gets in address order.
  auto direct = [prefixes](const object_location& w) { return prefixes || w.size >= direct_from; };
  auto scratch_bytes = [&](const object_location& w) {
    return direct(w) ? payload_offset + sizeof(slot_trailer) : w.slot_bytes;
  };
  std::vector<std::size_t> scratch_at(where.size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < where.size(); ++i) {
    if (prefixes ? into[i].size() > where[i].size : into[i].size() != where[i].size)
      return error{errc::invalid_argument,
                   "read_many: buffer " + std::to_string(i) + " has the wrong size"};
    scratch_at[i] = total;
    total += scratch_bytes(where[i]);
  }
  scratch_.resize(total);
  // Small slots: start every cache miss of the batch (the node's bytes and
  // the destinations) before the first copy, so that they overlap.
  for (std::size_t i = 0; i < where.size(); ++i) {
    if (direct(where[i])) continue;
    arena_->prefetch(where[i].offset, where[i].slot_bytes);
    for (std::size_t at = 0; at < into[i].size(); at += 64)
      __builtin_prefetch(into[i].data() + at, 1);
  }
  // Over shared memory, copies out of the mapping (as a get would be);
  // otherwise one batch of gets.
  slot_gets gets(*ucx_.worker, *arena_);
  for (std::size_t i = 0; i < where.size(); ++i) {
    const auto& w = where[i];
    std::byte* at = scratch_.data() + scratch_at[i];
    if (!direct(w)) {
      if (auto r = gets.get(w.offset, at, w.slot_bytes); !r) return r;
      continue;
    }
    if (auto r = gets.get(w.offset, at, payload_offset); !r) return r;
    if (auto r = gets.get(w.offset + payload_offset, into[i].data(), into[i].size()); !r) return r;
    if (auto r =
            gets.get(w.offset + trailer_offset(w.size), at + payload_offset, sizeof(slot_trailer));
        !r)
      return r;
  }
  if (auto r = gets.wait(timeout_); !r) return failed("read", r.err());
  std::vector<std::size_t> moved;
  for (std::size_t i = 0; i < where.size(); ++i) {
    const std::span<const std::byte> got(scratch_.data() + scratch_at[i], scratch_bytes(where[i]));
    bool matches, intact;
    if (direct(where[i])) {
      matches = slot_parts_match(got.first(payload_offset), got.subspan(payload_offset),
                                 where[i].id, where[i].version);
      intact = matches && (prefixes || payload_intact(into[i], got.subspan(payload_offset)));
    } else {
      matches = slot_matches(got, where[i].id, where[i].version);
      intact = matches && slot_intact(got);
      if (intact) std::memcpy(into[i].data(), got.data() + payload_offset, where[i].size);
    }
    if (matches && !intact) return failed("read", corrupt(where[i]));
    if (!matches) moved.push_back(i);
  }
  // Moved since their locations were learned: each alone, again (after the
  // loop: read() reuses the scratch buffer).
  for (std::size_t i : moved)
    if (auto r = prefixes ? read_part(where[i], 0, into[i]) : read(where[i], into[i]); !r) return r;
  return {};
}

}  // namespace remora::storage

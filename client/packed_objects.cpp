#include "client/packed_objects.hpp"

#include <bit>
#include <chrono>
#include <cstring>

#include "storage/packed_payload.hpp"
#include "transport/mutex.hpp"

namespace remora::client {

using storage::object_location;
using transport::errc;
using transport::error;
using transport::result;

namespace {

double seconds_since(packed_objects::clock::time_point t) {
  return std::chrono::duration<double>(packed_objects::clock::now() - t).count();
}

// A packed part, copied out of the destination before it is unpacked there.
std::vector<std::byte>& thread_scratch() {
  thread_local std::vector<std::byte> scratch;
  return scratch;
}

}  // namespace

packed_objects::packed_objects(Options::compression mode, std::uint32_t nodes)
    : mode_(mode), pace_(std::make_unique<std::atomic<std::uint32_t>[]>(nodes)), nodes_(nodes) {}

bool packed_objects::packs_for(std::uint32_t node, bool network) const {
  if (!network || mode_ == Options::compression::off) return false;
  if (mode_ == Options::compression::always) return true;
  if (node >= nodes_) return false;
  const float pace = std::bit_cast<float>(pace_[node].load(std::memory_order_relaxed));
  return pace > 0 && pace < slow_link;
}

void packed_objects::timed(std::uint32_t node, std::size_t bytes, double seconds) {
  if (bytes < timed_from || seconds <= 0 || node >= nodes_) return;
  const float now = static_cast<float>(static_cast<double>(bytes) / seconds);
  const float before = std::bit_cast<float>(pace_[node].load(std::memory_order_relaxed));
  const float pace = before == 0 ? now : 0.75f * before + 0.25f * now;
  pace_[node].store(std::bit_cast<std::uint32_t>(pace), std::memory_order_relaxed);
}

std::uint64_t packed_objects::key(std::uint32_t node, storage::object_id id) {
  // Ids are random 64-bit numbers: the node mixed in keeps copies of one
  // object on two nodes apart.
  return id ^ (std::uint64_t{node} * 0x9e37'79b9'7f4a'7c15ULL);
}

void packed_objects::stage(bool pack, std::span<const std::span<const std::byte>> data, staged& out,
                           std::span<result<void>> outcome) const {
  out.data.assign(data.begin(), data.end());
  out.packed.assign(data.size(), 0);
  out.go.clear();
  out.parts.clear();
  thread_local std::vector<std::byte> buffer;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto raw = data[i];
    if (raw.size() < storage::packed_min_size) {
      out.go.push_back(i);
      continue;
    }
    // Raw bytes that would read back as packed (they hold a packed payload
    // of their own) are packed whatever the link, so that they read back
    // as written.
    const bool must = storage::looks_packed(raw);
    if (pack || must) {
      buffer.resize(raw.size());
      if (const std::size_t n = storage::pack_payload(raw, buffer); n != 0) {
        out.parts.insert(out.parts.end(), buffer.begin(),
                         buffer.begin() + static_cast<std::ptrdiff_t>(n));
        out.packed[i] = static_cast<std::uint32_t>(n);
      } else if (must) {
        outcome[i] = error{errc::invalid_argument,
                           "an object's bytes hold a packed payload's mark and do not pack: "
                           "they cannot be stored as they are"};
        continue;
      }
    }
    out.go.push_back(i);
  }
  // The parts' places, now that their buffer holds them all.
  std::size_t at = 0;
  for (std::size_t i = 0; i < data.size(); ++i)
    if (out.packed[i] != 0) {
      out.data[i] = std::span<const std::byte>(out.parts).subspan(at, out.packed[i]);
      at += out.packed[i];
    }
}

void packed_objects::wrote(std::uint32_t node, std::span<const object_location> where, staged& s,
                           std::span<const result<void>> outcome) {
  constexpr std::size_t kept_buffer = 8 << 20;
  if (s.parts.capacity() > kept_buffer) std::vector<std::byte>().swap(s.parts);
  if (mode_ == Options::compression::off) return;
  for (std::size_t i : s.go) {
    if (where[i].size < storage::packed_min_size) continue;
    const std::uint64_t k = key(node, where[i].id);
    shard& sh = shard_of(k);
    transport::lock_guard lock(sh.mutex);
    if (outcome[i] && s.packed[i] != 0)
      sh.lengths[k] = s.packed[i];
    else
      sh.lengths.erase(k);
  }
}

void packed_objects::forget(std::uint32_t node, std::span<const storage::object_id> ids) {
  if (mode_ == Options::compression::off) return;
  for (storage::object_id id : ids) {
    const std::uint64_t k = key(node, id);
    shard& sh = shard_of(k);
    transport::lock_guard lock(sh.mutex);
    sh.lengths.erase(k);
  }
}

std::uint32_t packed_objects::known(std::uint32_t node, storage::object_id id) const {
  if (mode_ == Options::compression::off) return 0;
  const std::uint64_t k = key(node, id);
  shard& sh = shard_of(k);
  transport::lock_guard lock(sh.mutex);
  const auto it = sh.lengths.find(k);
  return it == sh.lengths.end() ? 0 : it->second;
}

void packed_objects::counted(std::size_t size, std::size_t part) {
  reads_.fetch_add(1, std::memory_order_relaxed);
  saved_.fetch_add(size - part, std::memory_order_relaxed);
}

result<void> packed_objects::unpack_whole(std::span<const object_location> where,
                                          std::span<const std::span<std::byte>> into) {
  for (std::size_t i = 0; i < where.size(); ++i)
    if (storage::unpack_in_place(into[i], thread_scratch()) == storage::unpacked::corrupt)
      return error{errc::corrupt, "object " + std::to_string(where[i].id) +
                                      ": its packed payload does not unpack"};
  return {};
}

bool packed_objects::unpack_part(std::span<const std::byte> part, std::span<std::byte> into) {
  if (storage::packed_length(part, into.size()) != part.size()) return false;
  if (!storage::unpack_payload(part, into)) return false;
  counted(into.size(), part.size());
  return true;
}

std::optional<packed_objects::clock::time_point> packed_objects::start_timing(
    const storage::remote_arena& arena, std::size_t bytes) const {
  if (mode_ != Options::compression::slow_links || bytes < timed_from || arena.mapped())
    return std::nullopt;
  return clock::now();
}

void packed_objects::finish_timing(std::uint32_t node, std::size_t bytes,
                                   std::optional<clock::time_point> started) {
  if (started) timed(node, bytes, seconds_since(*started));
}

result<void> packed_objects::read_whole(storage::remote_arena& arena, std::uint32_t node,
                                        std::span<object_location> where,
                                        std::span<const std::span<std::byte>> into) {
  std::size_t bytes = 0;
  for (const auto& w : where) bytes += w.size;
  const auto started = start_timing(arena, bytes);
  // One object (a miss): one get of its slot, no batch bookkeeping.
  auto got = where.size() == 1 ? arena.read(where[0], into[0]) : arena.read_many(where, into);
  if (!got) return got;
  finish_timing(node, bytes, started);
  return unpack_whole(where, into);
}

result<void> packed_objects::read(storage::remote_arena& arena, std::uint32_t node,
                                  std::span<object_location> where,
                                  std::span<const std::span<std::byte>> into) {
  if (arena.mapped()) return read_whole(arena, node, where, into);
  // Those whose packed length is known: that part alone, into a buffer of
  // the batch's, then unpacked into place.
  thread_local std::vector<std::size_t> known_at;
  thread_local std::vector<std::uint32_t> lengths;
  thread_local std::vector<object_location> parts_where;
  thread_local std::vector<std::span<std::byte>> parts;
  thread_local std::vector<std::byte> part_bytes;
  known_at.clear();
  lengths.clear();
  std::size_t total = 0;
  for (std::size_t i = 0; i < where.size(); ++i)
    if (const std::uint32_t n = known(node, where[i].id); n != 0 && n < where[i].size) {
      known_at.push_back(i);
      lengths.push_back(n);
      total += n;
    }
  if (known_at.empty()) return read_whole(arena, node, where, into);
  part_bytes.resize(total);
  parts_where.clear();
  parts.clear();
  std::size_t at = 0;
  for (std::size_t k = 0; k < known_at.size(); ++k) {
    parts_where.push_back(where[known_at[k]]);
    parts.emplace_back(part_bytes.data() + at, lengths[k]);
    at += lengths[k];
  }
  const auto started = start_timing(arena, total);
  if (auto got = arena.read_prefixes(parts_where, parts); !got) return got;
  finish_timing(node, total, started);
  // The rest whole: those not known, and known ones whose part was not that.
  std::vector<object_location> rest_where;
  std::vector<std::span<std::byte>> rest;
  std::vector<std::size_t> rest_at;
  std::size_t k = 0;
  for (std::size_t i = 0; i < where.size(); ++i) {
    if (k < known_at.size() && known_at[k] == i) {
      where[i] = parts_where[k];  // refreshed, where it had moved
      const bool unpacked = unpack_part(parts[k], into[i]);
      ++k;
      if (unpacked) continue;
    }
    rest_where.push_back(where[i]);
    rest.push_back(into[i]);
    rest_at.push_back(i);
  }
  if (rest.empty()) return {};
  auto got = read_whole(arena, node, rest_where, rest);
  for (std::size_t j = 0; j < rest_at.size(); ++j) where[rest_at[j]] = rest_where[j];
  return got;
}

result<void> packed_objects::read_part(storage::remote_arena& arena, std::uint32_t node,
                                       object_location& where, std::uint32_t from,
                                       std::span<std::byte> into) {
  if (where.size < storage::packed_min_size) return arena.read_part(where, from, into);
  // The whole object, where it is packed: its packed part, unpacked here.
  auto whole = [&](std::uint32_t part) -> result<void> {
    thread_local std::vector<std::byte> packed, raw;
    raw.resize(where.size);
    if (part != 0) {
      packed.resize(part);
      if (auto got = arena.read_part(where, 0, packed); !got) return got;
      if (!unpack_part(packed, raw)) part = 0;
    }
    if (part == 0) {  // not what was remembered: read whole
      object_location w[1] = {where};
      std::span<std::byte> r[1] = {raw};
      if (auto got = read_whole(arena, node, w, r); !got) return got;
      where = w[0];
    }
    std::memcpy(into.data(), raw.data() + from, into.size());
    return {};
  };
  if (mode_ != Options::compression::off && !arena.mapped())
    if (const std::uint32_t n = known(node, where.id); n != 0 && n < where.size) return whole(n);
  std::byte head[sizeof(storage::packed_header)];
  if (auto got = arena.read_part(where, from, into, head); !got) return got;
  if (const std::size_t n = storage::packed_length(head, where.size); n != 0)
    return whole(static_cast<std::uint32_t>(n));
  return {};
}

}  // namespace remora::client

#include "objects/published_array.hpp"

#include <bit>
#include <cassert>
#include <cstring>
#include <string>

namespace remora::objects {

namespace {

using transport::errc;
using transport::error;

// Version 3: each chunk's slot as a difference from the chunk before it
// (an array's chunks are mostly made together, their slots and versions
// a step apart), in variable-length integers; sizes follow from the
// chunking. About 12 bytes a chunk where version 2 took 28: a table of 4 M
// rows published and opened a third of the bytes.
constexpr std::uint32_t magic = 0x33415052;  // "RPA3"
constexpr std::size_t most_chunks = 1ull << 32;
constexpr std::size_t least_chunk_bytes = 8 + 1 + 1 + 1;  // id, home, offset, version
constexpr std::size_t least_extra_bytes = 4;

class writer {
 public:
  explicit writer(std::size_t expected) { out_.reserve(expected); }
  template <class T>
  void put(T value) {
    append(&value, sizeof value);
  }
  void varint(std::uint64_t v) {
    char bytes[10];
    std::size_t n = 0;
    for (; v >= 0x80; v >>= 7) bytes[n++] = static_cast<char>(v | 0x80);
    bytes[n++] = static_cast<char>(v);
    append(bytes, n);
  }
  // A difference, small either way, as a small unsigned integer.
  void step(std::uint64_t from, std::uint64_t to) {
    const auto d = static_cast<std::int64_t>(to - from);
    varint((static_cast<std::uint64_t>(d) << 1) ^ static_cast<std::uint64_t>(d >> 63));
  }
  storage::huge_vector<char> take() && { return std::move(out_); }

 private:
  storage::huge_vector<char> out_;
  void append(const void* bytes, std::size_t n) {
    const auto* first = static_cast<const char*>(bytes);
    out_.insert(out_.end(), first, first + n);
  }
};

struct reader {
  std::span<const char> rest;
  bool short_read = false;
  template <class T>
  T get() {
    T value{};
    if (rest.size() < sizeof(T)) {
      short_read = true;
      rest = {};
      return value;
    }
    std::memcpy(&value, rest.data(), sizeof(T));
    rest = rest.subspan(sizeof(T));
    return value;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (rest.empty()) break;
      const auto byte = static_cast<std::uint8_t>(rest.front());
      rest = rest.subspan(1);
      v |= std::uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return v;
    }
    short_read = true;  // cut short, or longer than any 64-bit number
    rest = {};
    return 0;
  }
  std::uint64_t step(std::uint64_t from) {
    const std::uint64_t z = varint();
    return from + ((z >> 1) ^ (~(z & 1) + 1));
  }
};

error bad(const std::string& what) {
  return {errc::protocol, "a published array's description is damaged: " + what};
}

}  // namespace

// The chunks go out as they come; the extra copies wait for the end (the
// format lists them after every chunk), each with its chunk's first copy.
struct published_array::encoder::state {
  writer out;
  std::uint64_t chunks = 0, added = 0;
  std::uint64_t offset = 0, version = 0;  // the last chunk's
  struct extra_at {
    extra_copy copy;
    std::uint64_t first_offset = 0;
    std::uint32_t first_version = 0;  // of its chunk's first copy
  };
  storage::huge_vector<extra_at> extra;
};

published_array::encoder::encoder(const published_array& head, std::uint64_t chunks)
    : s_(std::make_unique<state>(
          state{writer(40 + head.node_ids.size() * 8 + chunks * 14), chunks, 0, 0, 0, {}})) {
  writer& out = s_->out;
  out.put(magic);
  out.put(head.element_bytes);
  out.put(head.size);
  out.put(head.per_chunk);
  out.put(static_cast<std::uint32_t>(head.node_ids.size()));
  for (std::uint64_t id : head.node_ids) out.put(id);
  out.put(chunks);
}

published_array::encoder::encoder(encoder&&) noexcept = default;
published_array::encoder::~encoder() = default;

void published_array::encoder::add(const chunk& c) {
  state& s = *s_;
  s.out.put(c.where.id);
  s.out.varint(c.home);
  s.out.step(s.offset, c.where.offset);
  s.out.step(s.version, c.where.version);
  s.offset = c.where.offset;
  s.version = c.where.version;
  ++s.added;
}

void published_array::encoder::add_extra(const extra_copy& e,
                                         const storage::object_location& first) {
  s_->extra.push_back({e, first.offset, first.version});
}

storage::huge_vector<char> published_array::encoder::finish() && {
  state& s = *s_;
  assert(s.added == s.chunks);
  s.out.put(static_cast<std::uint64_t>(s.extra.size()));
  std::uint64_t last_chunk = 0;
  for (const auto& [e, first_offset, first_version] : s.extra) {
    s.out.step(last_chunk, e.chunk);
    s.out.varint(e.home);
    // Beside its chunk's first copy: made at the same time, as a rule.
    s.out.step(first_offset, e.offset);
    s.out.step(std::uint64_t{first_version}, e.version);
    last_chunk = e.chunk;
  }
  return std::move(s.out).take();
}

storage::huge_vector<char> published_array::encode() const {
  encoder out(*this, chunks.size());
  for (const chunk& c : chunks) out.add(c);
  // (An extra copy of no chunk is written as it is; decode refuses it.)
  for (const extra_copy& e : extra)
    out.add_extra(e, e.chunk < chunks.size() ? chunks[e.chunk].where : storage::object_location{});
  return std::move(out).finish();
}

transport::result<published_array> published_array::decode(std::span<const char> bytes) {
  reader in{bytes};
  published_array a;
  const auto first = in.get<std::uint32_t>();
  if (first == 0x32415052)
    return bad("it was written by an older Remora (format 2); publish the array again");
  if (first != magic) return bad("not one (its first word is wrong)");
  a.element_bytes = in.get<std::uint32_t>();
  a.size = in.get<std::uint64_t>();
  a.per_chunk = in.get<std::uint64_t>();
  const auto nodes = in.get<std::uint32_t>();
  if (in.short_read) return bad("cut short");
  if (a.element_bytes == 0 || a.per_chunk == 0 || !std::has_single_bit(a.per_chunk) ||
      a.per_chunk > (1u << 30) / a.element_bytes)
    return bad(std::to_string(a.per_chunk) + " elements of " + std::to_string(a.element_bytes) +
               " bytes a chunk");
  if (nodes > in.rest.size() / 8) return bad("cut short");
  for (std::uint32_t n = 0; n < nodes; ++n) a.node_ids.push_back(in.get<std::uint64_t>());
  const auto count = in.get<std::uint64_t>();
  const std::uint64_t expected = a.size / a.per_chunk + (a.size % a.per_chunk != 0);
  if (in.short_read || count > most_chunks || count > in.rest.size() / least_chunk_bytes)
    return bad("cut short");
  if (count != expected)
    return bad(std::to_string(count) + " chunks for " + std::to_string(a.size) + " elements");
  a.chunks.resize(count);
  std::uint64_t offset = 0, version = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    chunk& c = a.chunks[i];
    c.where.id = in.get<std::uint64_t>();
    const std::uint64_t home = in.varint();
    offset = in.step(offset);
    version = in.step(version);
    c.where.offset = offset;
    c.where.version = static_cast<std::uint32_t>(version);
    c.where.size = static_cast<std::uint32_t>(std::min(a.per_chunk, a.size - i * a.per_chunk) *
                                              a.element_bytes);
    c.home = static_cast<std::uint32_t>(home);
    if (in.short_read) return bad("cut short");
    if (c.where.id == 0 || home >= nodes || version > UINT32_MAX)
      return bad("chunk " + std::to_string(i) + " (object, home or version)");
  }
  const auto extras = in.get<std::uint64_t>();
  if (in.short_read || extras > in.rest.size() / least_extra_bytes) return bad("cut short");
  a.extra.resize(extras);
  std::uint64_t last_chunk = 0;
  for (std::uint64_t i = 0; i < extras; ++i) {
    extra_copy& e = a.extra[i];
    const std::uint64_t chunk_index = in.step(last_chunk);
    const std::uint64_t home = in.varint();
    if (in.short_read) return bad("cut short");
    if (chunk_index >= count || home >= nodes || chunk_index < last_chunk)
      return bad("extra copy " + std::to_string(i) + " (chunk or home)");
    const auto& first = a.chunks[chunk_index].where;
    e.chunk = chunk_index;
    e.home = static_cast<std::uint32_t>(home);
    e.offset = in.step(first.offset);
    const std::uint64_t extra_version = in.step(first.version);
    e.version = static_cast<std::uint32_t>(extra_version);
    if (in.short_read) return bad("cut short");
    if (extra_version > UINT32_MAX) return bad("extra copy " + std::to_string(i) + " (version)");
    last_chunk = chunk_index;
  }
  if (in.short_read) return bad("cut short");
  if (!in.rest.empty()) return bad(std::to_string(in.rest.size()) + " bytes left over");
  return a;
}

}  // namespace remora::objects

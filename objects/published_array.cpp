#include "objects/published_array.hpp"

#include <bit>
#include <cstring>
#include <string>

namespace remora::objects {

namespace {

using transport::errc;
using transport::error;

constexpr std::uint32_t magic = 0x32415052;  // "RPA2"
constexpr std::size_t most_chunks = 1ull << 32;

template <class T>
void put(std::vector<char>& out, T value) {
  const auto* p = reinterpret_cast<const char*>(&value);
  out.insert(out.end(), p, p + sizeof(T));
}

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
};

error bad(const std::string& what) {
  return {errc::protocol, "a published array's description is damaged: " + what};
}

}  // namespace

std::vector<char> published_array::encode() const {
  std::vector<char> out;
  out.reserve(48 + node_ids.size() * 8 + chunks.size() * 28 + extra.size() * 24);
  put(out, magic);
  put(out, element_bytes);
  put(out, size);
  put(out, per_chunk);
  put(out, static_cast<std::uint32_t>(node_ids.size()));
  for (std::uint64_t id : node_ids) put(out, id);
  put(out, static_cast<std::uint64_t>(chunks.size()));
  for (const chunk& c : chunks) {
    put(out, c.where.id);
    put(out, c.where.offset);
    put(out, c.where.version);
    put(out, c.where.size);
    put(out, c.home);
  }
  put(out, static_cast<std::uint64_t>(extra.size()));
  for (const extra_copy& e : extra) {
    put(out, e.chunk);
    put(out, e.home);
    put(out, e.offset);
    put(out, e.version);
  }
  return out;
}

transport::result<published_array> published_array::decode(std::span<const char> bytes) {
  reader in{bytes};
  published_array a;
  if (in.get<std::uint32_t>() != magic) return bad("not one (its first word is wrong)");
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
  if (in.short_read || count > most_chunks || count > in.rest.size() / 28) return bad("cut short");
  if (count != expected)
    return bad(std::to_string(count) + " chunks for " + std::to_string(a.size) + " elements");
  a.chunks.resize(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    chunk& c = a.chunks[i];
    c.where.id = in.get<std::uint64_t>();
    c.where.offset = in.get<std::uint64_t>();
    c.where.version = in.get<std::uint32_t>();
    c.where.size = in.get<std::uint32_t>();
    c.home = in.get<std::uint32_t>();
    const std::uint64_t elements = std::min(a.per_chunk, a.size - i * a.per_chunk);
    if (c.where.id == 0 || c.home >= nodes || c.where.size != elements * a.element_bytes)
      return bad("chunk " + std::to_string(i) + " (object, size or home)");
  }
  const auto extras = in.get<std::uint64_t>();
  if (in.short_read || extras > in.rest.size() / 24) return bad("cut short");
  a.extra.resize(extras);
  for (std::uint64_t i = 0; i < extras; ++i) {
    extra_copy& e = a.extra[i];
    e.chunk = in.get<std::uint64_t>();
    e.home = in.get<std::uint32_t>();
    e.offset = in.get<std::uint64_t>();
    e.version = in.get<std::uint32_t>();
    if (e.chunk >= count || e.home >= nodes || (i > 0 && e.chunk < a.extra[i - 1].chunk))
      return bad("extra copy " + std::to_string(i) + " (chunk or home)");
  }
  if (in.short_read) return bad("cut short");
  if (!in.rest.empty()) return bad(std::to_string(in.rest.size()) + " bytes left over");
  return a;
}

}  // namespace remora::objects

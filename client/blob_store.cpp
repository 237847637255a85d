// BlobStore over the memory nodes: a key's home is the node ranked highest
// for it by rendezvous hashing (of the nodes not dead); its value is
// written as this runtime's own objects there, one-sided, and then handed
// to the key in one request (blob_put), which replaces the old value at
// once. A read asks where the pieces are and reads them one-sided; a piece
// gone meanwhile (the key was replaced) sends it back to ask again.
#include "remora/blob_store.hpp"

#include <algorithm>
#include <map>

#include "actors/node_client.hpp"
#include "client/node_far_store.hpp"
#include "client/runtime_impl.hpp"
#include "objects/raise.hpp"
#include "objects/random_id.hpp"
#include "objects/rendezvous.hpp"
#include "remora/errors.hpp"

namespace remora {

namespace {

using storage::object_location;
using transport::errc;

constexpr std::uint32_t piece_bytes = 1 << 20;
constexpr int read_attempts = 8;  // a key replaced this often while read: an error

// FNV-1a: the same number for a key in every process.
std::uint64_t key_hash(std::string_view key) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : key) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

}  // namespace

struct BlobStore::impl {
  client::node_far_store& far;
  std::string name;
  BlobStore::options options;

  std::uint32_t home(std::string_view key) const {
    const std::uint64_t h = key_hash(key);
    std::uint32_t best = 0;
    std::uint64_t best_score = 0;
    bool found = false;
    for (std::uint32_t n = 0; n < far.nodes(); ++n) {
      if (far.dead(n)) continue;
      const std::uint64_t score = objects::rendezvous_score(h, far.node_id(n));
      if (!found || score > best_score) {
        best = n;
        best_score = score;
        found = true;
      }
    }
    if (!found) throw NodeUnavailable("blob store '" + name + "': no memory node is alive");
    return best;
  }

  actors::node_client& client(std::uint32_t node) {
    auto c = far.client(node);
    if (!c) objects::raise(c.err());
    return **c;
  }

  // Appends a value's pieces to a batch, each with its stretch of `value`.
  static void add_pieces(const std::vector<object_location>& of_value, std::span<std::byte> value,
                         std::vector<object_location>& pieces,
                         std::vector<std::span<std::byte>>& parts) {
    std::size_t at = 0;
    for (const auto& p : of_value) {
      pieces.push_back(p);
      parts.push_back(value.subspan(at, p.size));
      at += p.size;
    }
  }

  // Reads a batch of pieces into their parts. False when a piece went
  // meanwhile (its key was replaced or erased): ask again.
  bool read_pieces(std::uint32_t node, std::vector<object_location>& pieces,
                   std::vector<std::span<std::byte>>& parts) {
    if (pieces.empty()) return true;
    auto r = far.read(node, pieces, parts);
    if (r) return true;
    if (r.err().code == errc::unknown_object || r.err().code == errc::corrupt) return false;
    objects::raise(r.err());
  }

  // The value of `key` read into what `sink(bytes)` gives (nullptr: the
  // caller's buffer is too small, and it has thrown); its size.
  template <class Sink>
  std::optional<std::size_t> read(std::string_view key, Sink&& sink) {
    const std::uint32_t node = home(key);
    const std::string k(key);
    for (int attempt = 0; attempt < read_attempts; ++attempt) {
      auto got = client(node).blob_get(name, {&k, 1}, true);
      if (!got) objects::raise(got.err());
      auto& b = got->at(0);
      if (!b.found) return std::nullopt;
      std::vector<object_location> pieces;
      std::vector<std::span<std::byte>> parts;
      add_pieces(b.pieces, sink(b.bytes).first(b.bytes), pieces, parts);
      if (read_pieces(node, pieces, parts)) return b.bytes;
    }
    throw Error("blob store '" + name + "': key '" + k + "' was replaced " +
                std::to_string(read_attempts) + " times while it was read");
  }

  // The values of `keys`, in one request and one batch of reads per node,
  // each into what `sink(k, bytes)` gives for key k; `alone(k)` reads key k
  // by itself (when a value was replaced meanwhile: each key of that node
  // is read again alone). Each key's size, nothing when it is not there.
  template <class Sink, class Alone>
  std::vector<std::optional<std::size_t>> read_many(const std::vector<std::string>& keys,
                                                    Sink&& sink, Alone&& alone) {
    std::vector<std::optional<std::size_t>> sizes(keys.size());
    std::map<std::uint32_t, std::vector<std::size_t>> by_node;
    for (std::size_t k = 0; k < keys.size(); ++k) by_node[home(keys[k])].push_back(k);
    for (const auto& [node, which] : by_node) {
      std::vector<std::string> asked;
      for (std::size_t k : which) asked.push_back(keys[k]);
      auto got = client(node).blob_get(name, asked, true);
      if (!got) objects::raise(got.err());
      // Every piece of every value found, in one batch of reads.
      std::vector<object_location> pieces;
      std::vector<std::span<std::byte>> parts;
      for (std::size_t i = 0; i < which.size(); ++i) {
        auto& b = got->at(i);
        if (!b.found) continue;
        add_pieces(b.pieces, sink(which[i], b.bytes), pieces, parts);
        sizes[which[i]] = b.bytes;
      }
      if (!read_pieces(node, pieces, parts))
        for (std::size_t k : which) sizes[k] = alone(k);  // one was replaced: each again
    }
    return sizes;
  }

  InvalidObject too_small(std::string_view key, std::size_t bytes, std::size_t room) const {
    return InvalidObject("blob store '" + name + "': key '" + std::string(key) + "' holds " +
                         std::to_string(bytes) + " bytes; the buffer has " + std::to_string(room));
  }
};

BlobStore::impl& BlobStore::self() const {
  if (!impl_) throw InvalidObject("use of a BlobStore that is none (default-made)");
  return *impl_;
}

const std::string& BlobStore::name() const {
  return self().name;
}

void BlobStore::put(std::string_view key, std::span<const std::byte> value, put_options o) {
  auto& s = self();
  const std::uint32_t node = s.home(key);
  std::vector<object_location> where;
  for (std::size_t at = 0; at < value.size(); at += piece_bytes)
    where.push_back({.id = objects::random_id(),
                     .size = static_cast<std::uint32_t>(
                         std::min<std::size_t>(piece_bytes, value.size() - at))});
  std::vector<storage::object_id> ids;
  for (const auto& w : where) ids.push_back(w.id);
  if (!where.empty())
    if (auto made = s.far.allocate(node, where); !made) objects::raise(made.err());
  // What fails from here frees what was made (a lease would, later).
  auto fail = [&](const transport::error& e) {
    (void)s.far.free(node, ids);
    objects::raise(e);
  };
  std::size_t at = 0;
  for (auto& w : where) {
    if (auto wrote = s.far.write(node, w, value.subspan(at, w.size)); !wrote) fail(wrote.err());
    at += w.size;
  }
  auto put = s.client(node).blob_put(s.name, std::string(key), ids, s.options.capacity, o.pin);
  if (!put) fail(put.err());
}

std::optional<std::vector<std::byte>> BlobStore::get(std::string_view key) {
  std::vector<std::byte> out;
  auto size = self().read(key, [&](std::size_t bytes) {
    out.resize(bytes);
    return std::span<std::byte>(out);
  });
  if (!size) return std::nullopt;
  return out;
}

std::optional<std::size_t> BlobStore::get_into(std::string_view key, std::span<std::byte> into) {
  return self().read(key, [&](std::size_t bytes) {
    if (bytes > into.size()) throw self().too_small(key, bytes, into.size());
    return into;
  });
}

std::vector<std::optional<std::vector<std::byte>>> BlobStore::get_many(
    const std::vector<std::string>& keys) {
  std::vector<std::optional<std::vector<std::byte>>> out(keys.size());
  self().read_many(
      keys, [&](std::size_t k, std::size_t bytes) { return std::span(out[k].emplace(bytes)); },
      [&](std::size_t k) {
        out[k] = get(keys[k]);
        return out[k] ? std::optional(out[k]->size()) : std::nullopt;
      });
  return out;
}

std::vector<std::optional<std::size_t>> BlobStore::get_many_into(
    const std::vector<std::string>& keys, std::span<const std::span<std::byte>> into) {
  auto& s = self();
  if (into.size() != keys.size())
    throw InvalidObject("blob store '" + s.name + "': get_many_into of " +
                        std::to_string(keys.size()) + " keys into " + std::to_string(into.size()) +
                        " buffers");
  return s.read_many(
      keys,
      [&](std::size_t k, std::size_t bytes) {
        if (bytes > into[k].size()) throw s.too_small(keys[k], bytes, into[k].size());
        return into[k].first(bytes);
      },
      [&](std::size_t k) { return get_into(keys[k], into[k]); });
}

bool BlobStore::erase(std::string_view key) {
  auto& s = self();
  auto r = s.client(s.home(key)).blob_erase(s.name, std::string(key));
  if (!r) objects::raise(r.err());
  return *r;
}

bool BlobStore::contains(std::string_view key) {
  auto& s = self();
  const std::string k(key);
  auto r = s.client(s.home(key)).blob_get(s.name, {&k, 1}, false);
  if (!r) objects::raise(r.err());
  return r->at(0).found;
}

BlobStore::figures BlobStore::stats() const {
  auto& s = self();
  figures f;
  for (std::uint32_t n = 0; n < s.far.nodes(); ++n) {
    if (!s.far.reachable(n)) continue;
    auto r = s.client(n).blob_stats(s.name);
    if (!r) objects::raise(r.err());
    f.keys += r->keys;
    f.bytes += r->bytes;
    f.hits += r->hits;
    f.misses += r->misses;
    f.evictions += r->evictions;
    f.puts += r->puts;
  }
  return f;
}

BlobStore Runtime::blob_store(const std::string& name, BlobStore::options o) {
  // A value has one copy, on one node, whatever the pool's objects have:
  // the store is a cache, and a value lost with its node is a miss.
  auto* far = dynamic_cast<client::node_far_store*>(&impl_->far->homes());
  if (far == nullptr) throw ConfigError("blob stores need memory nodes (no node client found)");
  if (name.empty()) throw InvalidObject("a blob store needs a name");
  return BlobStore(std::make_shared<BlobStore::impl>(BlobStore::impl{*far, name, o}));
}

}  // namespace remora

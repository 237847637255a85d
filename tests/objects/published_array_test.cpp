// A published array's description: what the publisher encodes its reader
// decodes, and damaged bytes are a protocol error naming what is wrong.
#include "objects/published_array.hpp"

#include <catch2/catch.hpp>

using remora::objects::published_array;
using remora::transport::errc;

namespace {

published_array three_chunks() {
  published_array a;
  a.element_bytes = 8;
  a.size = 2 * 2048 + 5;
  a.per_chunk = 2048;
  a.node_ids = {11, 22};
  for (std::uint64_t c = 0; c < 3; ++c) {
    const std::uint32_t bytes = c < 2 ? 2048 * 8 : 5 * 8;
    a.chunks.push_back({{.id = 1000 + c, .offset = c * 4096, .version = 7, .size = bytes},
                        static_cast<std::uint32_t>(c % 2)});
  }
  a.extra = {{.chunk = 0, .home = 1, .offset = 64, .version = 9},
             {.chunk = 2, .home = 0, .offset = 128, .version = 5}};
  return a;
}

}  // namespace

TEST_CASE("a published array's description round-trips", "[published_array]") {
  const published_array a = three_chunks();
  auto b = published_array::decode(a.encode());
  REQUIRE(b.ok());
  CHECK(b->element_bytes == 8);
  CHECK(b->size == a.size);
  CHECK(b->per_chunk == 2048);
  CHECK(b->node_ids == a.node_ids);
  REQUIRE(b->chunks.size() == 3);
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(b->chunks[c].where.id == a.chunks[c].where.id);
    CHECK(b->chunks[c].where.offset == a.chunks[c].where.offset);
    CHECK(b->chunks[c].where.version == 7);
    CHECK(b->chunks[c].where.size == a.chunks[c].where.size);  // from the chunking
    CHECK(b->chunks[c].home == a.chunks[c].home);
  }
  REQUIRE(b->extra.size() == 2);
  CHECK(b->extra[1].chunk == 2);
  CHECK(b->extra[1].home == 0);
  CHECK(b->extra[1].offset == 128);
  CHECK(b->extra[1].version == 5);
  CHECK(b->extra[0].offset == 64);
  CHECK(b->extra[0].version == 9);
}

TEST_CASE("a description takes a few bytes a chunk, whatever its slots", "[published_array]") {
  published_array a;
  a.element_bytes = 4;
  a.per_chunk = 64;
  a.size = 100'000 * 64;
  a.node_ids = {5, 6};
  for (std::uint64_t c = 0; c < 100'000; ++c)  // slots a step apart, a few far away
    a.chunks.push_back({{.id = 0x9e3779b97f4a7c15ull * (c + 1),
                         .offset = c % 1000 == 999 ? (1ull << 40) + c : c * 288,
                         .version = static_cast<std::uint32_t>(c % 7 == 6 ? 4'000'000'000u : c + 1),
                         .size = 256},
                        static_cast<std::uint32_t>(c % 2)});
  const auto bytes = a.encode();
  CHECK(bytes.size() < a.chunks.size() * 14);
  auto b = published_array::decode(bytes);
  REQUIRE(b.ok());
  REQUIRE(b->chunks.size() == a.chunks.size());
  for (std::size_t c = 0; c < a.chunks.size(); ++c) {
    REQUIRE(b->chunks[c].where.id == a.chunks[c].where.id);
    REQUIRE(b->chunks[c].where.offset == a.chunks[c].where.offset);
    REQUIRE(b->chunks[c].where.version == a.chunks[c].where.version);
    REQUIRE(b->chunks[c].home == a.chunks[c].home);
  }
}

TEST_CASE("a description written a chunk at a time is the listed one's, byte for byte",
          "[published_array]") {
  const published_array a = three_chunks();
  published_array::encoder out(a, a.chunks.size());
  for (std::uint64_t c = 0; c < a.chunks.size(); ++c) {
    out.add(a.chunks[c]);
    for (const auto& e : a.extra)
      if (e.chunk == c) out.add_extra(e, a.chunks[c].where);
  }
  const auto streamed = std::move(out).finish();
  CHECK(streamed == a.encode());
  auto b = published_array::decode(streamed);
  REQUIRE(b.ok());
  REQUIRE(b->extra.size() == 2);
  CHECK(b->extra[1].chunk == 2);
  CHECK(b->extra[1].offset == 128);
  CHECK(b->extra[1].version == 5);
}

TEST_CASE("a damaged description is refused, whatever is wrong", "[published_array]") {
  const auto good = three_chunks().encode();
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    auto r = published_array::decode(std::span(good).first(cut));
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code == errc::protocol);
  }
  auto longer = good;
  longer.push_back(0);
  CHECK(published_array::decode(longer).err().message.find("left over") != std::string::npos);
  auto wrong_home = three_chunks();
  wrong_home.chunks[1].home = 2;
  CHECK_FALSE(published_array::decode(wrong_home.encode()).ok());
  auto wrong_version = good;  // the first chunk's version step, made to pass 2^32
  const std::size_t first_version = 4 + 4 + 8 + 8 + 4 + 2 * 8 + 8 + 8 + 1 + 1;
  REQUIRE(wrong_version[first_version] == 14);  // 7, zigzagged
  wrong_version[first_version] = static_cast<char>(0xfe);
  wrong_version.insert(wrong_version.begin() + first_version + 1, {'\xff', '\xff', '\xff', 0x3f});
  CHECK(published_array::decode(wrong_version).err().message.find("chunk 0") != std::string::npos);
  auto endless = good;  // a variable-length number that never ends
  endless.resize(first_version);
  endless.insert(endless.end(), 12, static_cast<char>(0x80));
  CHECK(published_array::decode(endless).err().code == errc::protocol);
  auto older = good;  // format 2
  older[0] = 'R', older[1] = 'P', older[2] = 'A', older[3] = '2';
  CHECK(published_array::decode(older).err().message.find("older Remora") != std::string::npos);
  auto too_few = three_chunks();
  too_few.chunks.pop_back();
  CHECK(published_array::decode(too_few.encode()).err().message.find("2 chunks") !=
        std::string::npos);
  auto extra_of_none = three_chunks();
  extra_of_none.extra[1].chunk = 3;
  CHECK_FALSE(published_array::decode(extra_of_none.encode()).ok());
  auto extra_home = three_chunks();
  extra_home.extra[0].home = 2;
  CHECK_FALSE(published_array::decode(extra_home.encode()).ok());
  auto out_of_order = three_chunks();
  std::swap(out_of_order.extra[0], out_of_order.extra[1]);
  CHECK(published_array::decode(out_of_order.encode()).err().message.find("extra copy 1") !=
        std::string::npos);
  auto odd_chunk = three_chunks();
  odd_chunk.per_chunk = 3000;
  CHECK_FALSE(published_array::decode(odd_chunk.encode()).ok());
}

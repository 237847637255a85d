// A prefetcher's rounds, run on the reader's thread (hooks.on_reader), with a
// fetch hook that records what it is asked for: no far store, no cache.
#include "objects/prefetcher.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <vector>

#include "objects/record_pool.hpp"

using remora::detail::object_record;
using remora::objects::prefetcher;

namespace {

struct recorded {
  std::vector<std::size_t> batches;  // each batch's size
  std::vector<object_record*> asked;
  std::size_t refuse = 0;  // batches to deal with none of (as a thread still connecting)

  prefetcher::hooks hooks() {
    prefetcher::hooks h;
    h.fetch = [this](std::span<object_record* const> b, std::size_t& fetched) -> std::size_t {
      fetched = 0;
      if (refuse > 0) {
        --refuse;
        return 0;
      }
      batches.push_back(b.size());
      asked.insert(asked.end(), b.begin(), b.end());
      fetched = b.size();
      return b.size();
    };
    h.wasted = [] { return std::uint64_t{0}; };
    h.on_reader = true;
    return h;
  }
};

constexpr std::size_t per_chunk = 2048;

}  // namespace

TEST_CASE("a follower asks for the chunks ahead of its reader in order, each once", "[prefetch]") {
  remora::objects::record_pool pool;
  std::vector<object_record*> chunks(1024);
  for (auto& r : chunks) r = pool.make();
  recorded rec;
  auto cursor = std::make_shared<std::atomic<std::uint64_t>>(0);
  prefetcher p({&chunks, per_chunk, chunks.size() * per_chunk, remora::order::sequential(), cursor},
               rec.hooks());
  p.reader_moved();
  REQUIRE(!rec.asked.empty());
  CHECK(rec.asked.size() < chunks.size());  // a window ahead, not the whole order
  std::size_t out_of_order = 0;
  for (std::size_t i = 0; i < rec.asked.size(); ++i) out_of_order += rec.asked[i] != chunks[i];
  CHECK(out_of_order == 0);
  // The reader halfway through: the rounds go on from where they stopped.
  const std::size_t before = rec.asked.size();
  cursor->store(before * per_chunk);
  p.reader_moved();
  REQUIRE(rec.asked.size() > before);
  out_of_order = 0;
  for (std::size_t i = 0; i < rec.asked.size(); ++i) out_of_order += rec.asked[i] != chunks[i];
  CHECK(out_of_order == 0);
}

TEST_CASE("a batch dealt with not at all is asked for again, not passed over", "[prefetch]") {
  // A prefetch whose thread had first to connect lets its batch go and says
  // it dealt with none of it: the next round starts from the same chunk.
  remora::objects::record_pool pool;
  std::vector<object_record*> chunks(1024);
  for (auto& r : chunks) r = pool.make();
  recorded rec;
  rec.refuse = 1;
  auto cursor = std::make_shared<std::atomic<std::uint64_t>>(0);
  prefetcher p({&chunks, per_chunk, chunks.size() * per_chunk, remora::order::sequential(), cursor},
               rec.hooks());
  p.reader_moved();  // refused: the round waits for the reader to move on
  CHECK(rec.asked.empty());
  cursor->store(1);  // into the first chunk still
  p.reader_moved();
  REQUIRE(!rec.asked.empty());
  CHECK(rec.asked.front() == chunks[0]);
}

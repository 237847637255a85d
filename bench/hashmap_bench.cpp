// remora-bench-hashmap: HashMap get_many of Zipf(0.99) keys, and the same
// traffic as Redis MGETs against a running redis-server (same keys, same
// 56-byte values), in one run. Prints one line of key=value pairs per side.
//   remora-bench-hashmap --redis-port=P [--keys=1000000] [--batch=64]
//                        [--dram-cache=16MiB] [--seconds=2]
#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <remora/remora.hpp>

#include "bench/driver.hpp"
#include "examples/zipf.hpp"

namespace {

struct value56 {
  std::uint64_t words[7];
};

using remora::bench::clock_type;
using remora::bench::fail;

}  // namespace

int main(int argc, char** argv) {
  std::size_t keys = 1'000'000, batch = 64;
  std::uint64_t cache = 16ull << 20;
  int redis_port = 0;
  double seconds = 2;
  remora::cli::command_line app{
      "HashMap get_many of Zipf keys, and the same traffic as Redis MGETs.",
      "remora-bench-hashmap"};
  app.add("--keys", keys, "keys in the map").positive();
  app.add("--batch", batch, "keys a get_many").positive();
  app.bytes("--dram-cache", cache, "local DRAM cache").default_text("16MiB");
  app.add("--seconds", seconds, "how long each side runs").positive();
  app.add("--redis-port", redis_port, "a running redis-server (none: Remora alone)");
  if (auto code = app.parse(argc, argv)) return *code;
  return remora::cli::run("remora-bench-hashmap", [&] {
    // Remora: the map is ~60 MB of entries against a small local cache.
    remora::Runtime rt(remora::Options{}.dram_cache(cache).embedded_capacity(1ull << 30));
    auto map = rt.make_hash_map<std::uint64_t, value56>(keys);
    for (std::uint64_t k = 0; k < keys; ++k) map.put(k, value56{{k, k, k, k, k, k, k}});
    // One Zipf key stream for both sides, drawn before either is timed.
    const remora::examples::zipf pick(keys, 0.99);
    std::mt19937_64 rng(7);
    std::vector<std::uint64_t> stream(std::size_t{1} << 22);
    for (auto& k : stream) k = pick(rng);
    std::size_t next = 0;
    auto next_key = [&] {
      const std::uint64_t k = stream[next];
      next = (next + 1) & (stream.size() - 1);
      return k;
    };
    std::vector<std::uint64_t> request(batch);
    std::uint64_t got = 0, wrong = 0;
    auto start = clock_type::now();
    double elapsed = 0;
    while (elapsed < seconds) {
      for (auto& k : request) k = next_key();
      for (std::size_t i = 0; auto& v : map.get_many(request)) {
        wrong += !v || v->words[3] != request[i];
        ++i;
      }
      got += batch;
      elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    }
    if (wrong != 0) fail("get_many returned wrong values");
    std::printf("side=remora keys_per_s=%.0f batch=%zu\n", got / elapsed, batch);
    std::fflush(stdout);
    if (redis_port == 0) return 0;

    redisContext* redis = redisConnect("127.0.0.1", static_cast<int>(redis_port));
    if (redis == nullptr || redis->err)
      fail("cannot reach redis on port " + std::to_string(redis_port));
    for (std::uint64_t k = 0; k < keys; ++k) {
      value56 v{{k, k, k, k, k, k, k}};
      const std::string key = std::to_string(k);
      redisAppendCommand(redis, "SET %b %b", key.data(), key.size(), &v, sizeof v);
      if (k % 1000 == 999 || k + 1 == keys)
        for (std::uint64_t j = 0; j <= k % 1000; ++j) {
          void* reply = nullptr;
          if (redisGetReply(redis, &reply) != REDIS_OK) fail("redis SET failed");
          freeReplyObject(reply);
        }
    }
    std::vector<std::string> stream_names(stream.size());
    for (std::size_t i = 0; i < stream.size(); ++i) stream_names[i] = std::to_string(stream[i]);
    next = 0;
    got = 0;
    start = clock_type::now();
    elapsed = 0;
    std::vector<const char*> args(batch + 1);
    std::vector<std::size_t> lengths(batch + 1);
    args[0] = "MGET";
    lengths[0] = 4;
    while (elapsed < seconds) {
      for (std::size_t i = 0; i < batch; ++i) {
        const std::string& name = stream_names[next];
        next = (next + 1) & (stream.size() - 1);
        args[i + 1] = name.data();
        lengths[i + 1] = name.size();
      }
      auto* reply = static_cast<redisReply*>(
          redisCommandArgv(redis, static_cast<int>(batch + 1), args.data(), lengths.data()));
      if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != batch)
        fail("redis MGET failed");
      freeReplyObject(reply);
      got += batch;
      elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    }
    redisFree(redis);
    std::printf("side=redis keys_per_s=%.0f batch=%zu\n", got / elapsed, batch);
    return 0;
  });
}

// remora-bench-blobs: blob store puts and gets of one value size, against a
// running memory node (--node) or a running redis-server (--redis-port), in
// the way a KV-cache client uses either: one block at a time, synchronous.
// Puts --total bytes of distinct keys, then gets them all in a shuffled
// order (each value checked). Prints
//   side=remora|redis size=S blocks=N put_gbps=P get_gbps=G get_p50_us=A get_p99_us=B
//   remora-bench-blobs (--node=HOST:PORT | --redis-port=P) --size=BYTES [--total=256MiB]
#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench/driver.hpp"
#include "remora/remora.hpp"

namespace {

using remora::bench::clock_type;
using remora::bench::fail;
using remora::bench::seconds_since;

// Block i's bytes: its index in every word, so a mixed-up block shows.
void fill(std::vector<std::byte>& v, std::uint64_t i) {
  for (std::size_t at = 0; at + 8 <= v.size(); at += 8) std::memcpy(v.data() + at, &i, 8);
}

bool holds(const std::byte* p, std::size_t n, std::uint64_t i) {
  for (std::size_t at = 0; at + 8 <= n; at += 8)
    if (std::memcmp(p + at, &i, 8) != 0) return false;
  return true;
}

struct timings {
  double put_s = 0, get_s = 0;
  std::vector<double> get_us;
};

// put(i, bytes) and get(i) -> (pointer, size), through either store.
template <class Put, class Get>
timings run(std::uint64_t blocks, std::size_t size, Put&& put, Get&& get) {
  timings t;
  std::vector<std::byte> value(size);
  auto start = clock_type::now();
  for (std::uint64_t i = 0; i < blocks; ++i) {
    fill(value, i);
    put(i, value);
  }
  t.put_s = seconds_since(start);
  std::vector<std::uint64_t> order(blocks);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
  start = clock_type::now();
  for (std::uint64_t i : order) {
    const auto one = clock_type::now();
    if (!get(i)) fail("block " + std::to_string(i) + " came back wrong or missing");
    t.get_us.push_back(seconds_since(one) * 1e6);
  }
  t.get_s = seconds_since(start);
  std::sort(t.get_us.begin(), t.get_us.end());
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  std::string node;
  int redis_port = 0;
  std::uint64_t size = 0, total = 256ull << 20;
  remora::cli::command_line app{
      "Blob store puts and gets of one value size against a memory node or Redis.",
      "remora-bench-blobs"};
  auto at_node = app.add("--node", node, "a running memory node").type_name("HOST:PORT");
  auto at_redis = app.add("--redis-port", redis_port, "or a running redis-server");
  at_node.excludes(at_redis);
  app.bytes("--size", size, "bytes a value (at least 8)").required();
  app.bytes("--total", total, "bytes put, in distinct keys").default_text("256MiB");
  if (auto code = app.parse(argc, argv)) return *code;
  if (node.empty() == (redis_port == 0)) return app.usage_error("give --node or --redis-port");
  if (size < 8 || total < size)
    return app.usage_error("--size must be at least 8 and at most --total");
  return remora::cli::run("remora-bench-blobs", [&] {
    const std::uint64_t blocks = total / size;
    timings t;
    std::string side;
    if (!node.empty()) {
      side = "remora";
      {
        remora::Runtime rt(remora::Options{}.memory_node(node).dram_cache(64 << 20));
        auto kv = rt.blob_store("bench");
        std::vector<std::byte> into(size);
        t = run(
            blocks, size,
            [&](std::uint64_t i, const std::vector<std::byte>& v) {
              kv.put("block-" + std::to_string(i), v);
            },
            [&](std::uint64_t i) {
              auto n = kv.get_into("block-" + std::to_string(i), into);
              return n && *n == size && holds(into.data(), size, i);
            });
      }
    } else {
      side = "redis";
      redisContext* redis = redisConnect("127.0.0.1", redis_port);
      if (redis == nullptr || redis->err) fail("cannot connect to redis");
      t = run(
          blocks, size,
          [&](std::uint64_t i, const std::vector<std::byte>& v) {
            const std::string key = "block-" + std::to_string(i);
            auto* r = static_cast<redisReply*>(
                redisCommand(redis, "SET %b %b", key.data(), key.size(), v.data(), v.size()));
            if (r == nullptr) fail("SET failed");
            freeReplyObject(r);
          },
          [&](std::uint64_t i) {
            const std::string key = "block-" + std::to_string(i);
            auto* r =
                static_cast<redisReply*>(redisCommand(redis, "GET %b", key.data(), key.size()));
            if (r == nullptr) fail("GET failed");
            const bool ok = r->type == REDIS_REPLY_STRING &&
                            static_cast<std::size_t>(r->len) == size &&
                            holds(reinterpret_cast<const std::byte*>(r->str), size, i);
            freeReplyObject(r);
            return ok;
          });
      redisFree(redis);
    }
    const double bytes = static_cast<double>(blocks) * static_cast<double>(size);
    std::printf(
        "side=%s size=%llu blocks=%llu put_gbps=%.3f get_gbps=%.3f get_p50_us=%.1f "
        "get_p99_us=%.1f\n",
        side.c_str(), static_cast<unsigned long long>(size),
        static_cast<unsigned long long>(blocks), bytes / t.put_s / 1e9, bytes / t.get_s / 1e9,
        t.get_us[t.get_us.size() / 2], t.get_us[t.get_us.size() * 99 / 100]);
    return 0;
  });
}

// remora-bench-embedding-redis: the embedding lookup of remora-embedding
// against a running redis-server. Loads --rows rows of --dim floats as
// values of dim*4 bytes (keys are row ids; pipelined MSETs), then sends MGET
// batches of --batch Zipf(--zipf) row ids for --seconds, one client. Prints
//   side=redis rows=N rows_per_s=R batches_per_s=B p50_us=P p99_us=Q load_s=L
//   remora-bench-embedding-redis --redis-port=P [--rows=4000000] [--dim=64]
//                                [--batch=256] [--zipf=0.99] [--seconds=5]
#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/driver.hpp"
#include "examples/zipf.hpp"

namespace {

using remora::bench::clock_type;
using remora::bench::fail;
using remora::bench::seconds_since;

// remora-embedding's table formula, so that both hold the same bytes.
float value_for(std::uint64_t row, std::uint64_t column) {
  return static_cast<float>((row * 2654435761u + column * 40503u) & 0xffffff);
}

// One command built from argument strings, sent with redisAppendCommandArgv.
struct command {
  std::vector<std::string> words;
  void send(redisContext* redis) const {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& w : words) {
      argv.push_back(w.data());
      lengths.push_back(w.size());
    }
    if (redisAppendCommandArgv(redis, int(words.size()), argv.data(), lengths.data()) != REDIS_OK)
      fail("cannot queue a command");
  }
};

void load(redisContext* redis, std::uint64_t rows, std::uint64_t dim) {
  constexpr std::uint64_t per_mset = 500, in_flight = 16;
  std::vector<float> row(dim);
  std::uint64_t queued = 0;
  auto collect = [&](std::uint64_t n) {
    for (; n > 0; --n, --queued) {
      void* reply = nullptr;
      if (redisGetReply(redis, &reply) != REDIS_OK || reply == nullptr) fail("MSET failed");
      freeReplyObject(reply);
    }
  };
  for (std::uint64_t first = 0; first < rows; first += per_mset) {
    command mset{{"MSET"}};
    for (std::uint64_t r = first; r < std::min(rows, first + per_mset); ++r) {
      for (std::uint64_t c = 0; c < dim; ++c) row[c] = value_for(r, c);
      mset.words.push_back(std::to_string(r));
      mset.words.emplace_back(reinterpret_cast<const char*>(row.data()), dim * sizeof(float));
    }
    mset.send(redis);
    if (++queued == in_flight) collect(in_flight / 2);
  }
  collect(queued);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t rows = 4'000'000, dim = 64, batch = 256;
  int port = 0;
  double zipf_s = 0.99, seconds = 5;
  remora::cli::command_line app{"remora-embedding's lookups against a running redis-server (MGET).",
                                "remora-bench-embedding-redis"};
  app.add("--redis-port", port, "the redis-server's port").required();
  app.add("--rows", rows, "table rows").positive();
  app.add("--dim", dim, "floats a row").positive();
  app.add("--batch", batch, "rows an MGET").positive();
  app.add("--zipf", zipf_s, "Zipf exponent of the row draw").positive();
  app.add("--seconds", seconds, "how long MGETs run").positive();
  if (auto code = app.parse(argc, argv)) return *code;
  return remora::cli::run("remora-bench-embedding-redis", [&] {
    redisContext* redis = redisConnect("127.0.0.1", int(port));
    if (redis == nullptr || redis->err) fail("cannot reach redis on port " + std::to_string(port));
    const auto load_start = clock_type::now();
    load(redis, rows, dim);
    const double load_s = seconds_since(load_start);

    // remora-embedding's stream for its first load thread: the same rows, in
    // the same order, drawn before the clock starts.
    const auto stream = remora::examples::request_stream(
        rows, zipf_s, std::size_t(std::clamp(seconds * 2e6, double(1 << 20), double(1 << 26))),
        1000);
    std::size_t next = 0;
    command mget{std::vector<std::string>(batch + 1)};
    mget.words[0] = "MGET";
    std::vector<double> latencies_us;
    const auto start = clock_type::now();
    while (seconds_since(start) < seconds) {
      for (std::uint64_t i = 1; i <= batch; ++i) {
        mget.words[i] = std::to_string(stream[next]);
        if (++next == stream.size()) next = 0;
      }
      const auto sent = clock_type::now();
      mget.send(redis);
      void* got = nullptr;
      if (redisGetReply(redis, &got) != REDIS_OK || got == nullptr) fail("MGET failed");
      const auto* reply = static_cast<redisReply*>(got);
      bool whole = reply->type == REDIS_REPLY_ARRAY && reply->elements == batch;
      for (std::size_t i = 0; whole && i < reply->elements; ++i)
        whole = reply->element[i]->type == REDIS_REPLY_STRING &&
                reply->element[i]->len == dim * sizeof(float);
      freeReplyObject(got);
      if (!whole) fail("an MGET reply lacks rows");
      latencies_us.push_back(seconds_since(sent) * 1e6);
    }
    const double elapsed = seconds_since(start);
    redisFree(redis);
    std::sort(latencies_us.begin(), latencies_us.end());
    auto quantile = [&](double q) {
      return latencies_us[std::min(latencies_us.size() - 1, std::size_t(q * latencies_us.size()))];
    };
    const double batches_per_s = double(latencies_us.size()) / elapsed;
    std::printf(
        "side=redis rows=%llu rows_per_s=%.0f batches_per_s=%.0f p50_us=%.1f p99_us=%.1f "
        "load_s=%.1f\n",
        (unsigned long long)rows, batches_per_s * batch, batches_per_s, quantile(0.5),
        quantile(0.99), load_s);
    return 0;
  });
}

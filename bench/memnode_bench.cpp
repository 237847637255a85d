// remora-bench-memnode: one-sided reads of objects of one size from a running
// memory node, `--depth` reads per batch (like a pipeline of that depth).
// Prints one line of key=value pairs for bench/run memnode.
//   remora-bench-memnode --node=HOST:PORT --size=4KiB [--objects=N]
//                        [--depth=16] [--seconds=2] [--auth-token=T]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bench/node_driver.hpp"

using remora::bench::fail;

int main(int argc, char** argv) {
  std::string node, token;
  std::uint64_t size = 4096, objects = 0, depth = 16;
  double seconds = 2;
  remora::cli::command_line app{
      "One-sided reads of objects of one size from a running memory node.", "remora-bench-memnode"};
  app.add("--node", node, "the memory node").type_name("HOST:PORT").required();
  app.bytes("--size", size, "bytes an object").default_text("4KiB");
  app.add("--objects", objects, "objects read at random (default: 64 MiB of them)");
  app.add("--depth", depth, "reads a batch").positive();
  app.add("--seconds", seconds, "how long reads run").positive();
  app.add("--auth-token", token, "the node's token");
  if (auto code = app.parse(argc, argv)) return *code;
  if (size == 0) return app.usage_error("--size must be above 0");
  return remora::cli::run("remora-bench-memnode", [&] {
    if (objects == 0) objects = std::max<std::uint64_t>(depth, (64ull << 20) / size);
    remora::actors::control_plane cp;
    auto client = remora::bench::connect_node(cp, node, token);

    std::vector<remora::storage::object_location> where;
    std::vector<std::byte> data(size, std::byte{0x42});
    for (std::uint64_t first = 0; first < objects; first += 256) {
      std::vector<std::uint64_t> ids;
      for (std::uint64_t i = first; i < std::min(objects, first + 256); ++i) ids.push_back(i + 1);
      auto got = client->allocate(ids, std::vector<std::uint32_t>(ids.size(), size));
      if (!got) fail(got.err().message);
      for (auto& w : *got) {
        if (auto r = client->data().write(w, data); !r) fail(r.err().message);
        where.push_back(w);
      }
    }
    std::vector<std::vector<std::byte>> buffers(depth, std::vector<std::byte>(size));
    std::vector<std::span<std::byte>> into(buffers.begin(), buffers.end());
    std::vector<remora::storage::object_location> picked(depth);
    std::mt19937_64 rng(1);
    std::vector<double> batch_us;
    std::uint64_t ops = 0;
    auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    do {
      for (auto& p : picked) p = where[rng() % where.size()];
      auto t0 = std::chrono::steady_clock::now();
      if (auto r = client->data().read_many(picked, into); !r) fail(r.err().message);
      auto t1 = std::chrono::steady_clock::now();
      batch_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      ops += depth;
      elapsed = std::chrono::duration<double>(t1 - start).count();
    } while (elapsed < seconds);
    for (auto& b : buffers)
      if (b != data) fail("read back wrong bytes");
    std::sort(batch_us.begin(), batch_us.end());
    std::printf(
        "size=%llu objects=%llu depth=%llu ops=%llu seconds=%.3f ops_per_s=%.0f "
        "bytes_per_s=%.0f batch_p50_us=%.2f batch_p99_us=%.2f\n",
        (unsigned long long)size, (unsigned long long)objects, (unsigned long long)depth,
        (unsigned long long)ops, elapsed, ops / elapsed, ops * double(size) / elapsed,
        batch_us[batch_us.size() / 2], batch_us[batch_us.size() * 99 / 100]);
    return 0;
  });
}

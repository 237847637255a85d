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

#include "actors/node_client.hpp"
#include "transport/byte_size.hpp"

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "remora-bench-memnode: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string node, token;
  std::uint64_t size = 4096, objects = 0, depth = 16;
  double seconds = 2;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* k) {
      std::string p = std::string(k) + "=";
      return a.rfind(p, 0) == 0 ? a.substr(p.size()) : std::string();
    };
    if (a == "--help") {
      std::puts("usage: remora-bench-memnode --node=HOST:PORT --size=BYTES [--objects=N] "
                "[--depth=16] [--seconds=2] [--auth-token=T]");
      return 0;
    } else if (auto v = value("--node"); !v.empty()) {
      node = v;
    } else if (auto v = value("--size"); !v.empty()) {
      size = remora::transport::parse_byte_size(v).value_or(0);
    } else if (auto v = value("--objects"); !v.empty()) {
      objects = std::stoull(v);
    } else if (auto v = value("--depth"); !v.empty()) {
      depth = std::stoull(v);
    } else if (auto v = value("--seconds"); !v.empty()) {
      seconds = std::stod(v);
    } else if (auto v = value("--auth-token"); !v.empty()) {
      token = v;
    } else {
      die("unknown option " + a);
    }
  }
  if (node.empty() || size == 0 || depth == 0) die("--node and --size are required (see --help)");
  if (objects == 0) objects = std::max<std::uint64_t>(depth, (64ull << 20) / size);
  auto address = remora::actors::node_address::parse(node);
  if (!address) die(address.err().message);
  remora::actors::control_plane cp;
  remora::actors::node_client::options o;
  o.address = *address;
  o.auth_token = token;
  auto client = remora::actors::node_client::connect(cp, o);
  if (!client) die(client.err().message);

  std::vector<remora::storage::object_location> where;
  std::vector<std::byte> data(size, std::byte{0x42});
  for (std::uint64_t first = 0; first < objects; first += 256) {
    std::vector<std::uint64_t> ids;
    for (std::uint64_t i = first; i < std::min(objects, first + 256); ++i) ids.push_back(i + 1);
    auto got = (*client)->allocate(ids, std::vector<std::uint32_t>(ids.size(), size));
    if (!got) die(got.err().message);
    for (auto& w : *got) {
      if (auto r = (*client)->data().write(w, data); !r) die(r.err().message);
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
    if (auto r = (*client)->data().read_many(picked, into); !r) die(r.err().message);
    auto t1 = std::chrono::steady_clock::now();
    batch_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    ops += depth;
    elapsed = std::chrono::duration<double>(t1 - start).count();
  } while (elapsed < seconds);
  for (auto& b : buffers)
    if (b != data) die("read back wrong bytes");
  std::sort(batch_us.begin(), batch_us.end());
  std::printf("size=%llu objects=%llu depth=%llu ops=%llu seconds=%.3f ops_per_s=%.0f "
              "bytes_per_s=%.0f batch_p50_us=%.2f batch_p99_us=%.2f\n",
              (unsigned long long)size, (unsigned long long)objects, (unsigned long long)depth,
              (unsigned long long)ops, elapsed, ops / elapsed, ops * double(size) / elapsed,
              batch_us[batch_us.size() / 2], batch_us[batch_us.size() * 99 / 100]);
  return 0;
}

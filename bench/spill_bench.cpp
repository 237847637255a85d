// remora-bench-spill: reads, one at a time and at random, of objects of 64 B
// to 1 MiB (log-uniform) adding up to several times a memory node's
// capacity, so that most reads bring an object back from the node's spill.
// Meanwhile a second client (a bystander) looks up one small object of its
// own every millisecond: its latency shows whether one client's waits for
// room hold up the node's other clients.
// The peer, in the same binary: the same objects put in a RocksDB and got
// back in the same order, no memory node between. Prints one line of
// key=value pairs for bench/run memnode.
//   remora-bench-spill --node=HOST:PORT [--bytes=256MiB] [--seconds=3]
//   remora-bench-spill --rocksdb=DIR    [--bytes=256MiB] [--seconds=3]
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/node_driver.hpp"

using remora::bench::clock_type;
using remora::bench::fail;

namespace {

struct object {
  std::uint64_t id;
  std::uint32_t size;
};

// Sizes from 64 B to 1 MiB, log-uniform, adding up to `total`.
std::vector<object> mixed_objects(std::uint64_t total) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(6, 20);
  std::vector<object> objects;
  for (std::uint64_t sum = 0; sum < total;) {
    auto size = static_cast<std::uint32_t>(std::pow(2.0, exponent(rng)));
    objects.push_back({objects.size() + 1, size});
    sum += size;
  }
  return objects;
}

// An object's bytes: its id's low byte, its first 8 bytes the id itself.
void fill(const object& o, std::vector<std::byte>& into) {
  into.assign(o.size, std::byte(o.id));
  std::memcpy(into.data(), &o.id, std::min<std::size_t>(8, o.size));
}

bool intact(const object& o, std::span<const std::byte> got) {
  std::vector<std::byte> want;
  fill(o, want);
  return got.size() == o.size && std::equal(got.begin(), got.end(), want.begin());
}

struct timing {
  std::uint64_t reads = 0, bytes = 0;
  double seconds = 0;
  std::vector<double> us;
};

// Reads objects at random for `seconds`; `read` fills its buffer.
timing read_at_random(const std::vector<object>& objects, double seconds,
                      const std::function<void(const object&, std::vector<std::byte>&)>& read) {
  std::mt19937_64 rng(11);
  std::vector<std::byte> buffer;
  timing t;
  const auto start = clock_type::now();
  do {
    const object& o = objects[rng() % objects.size()];
    const auto t0 = clock_type::now();
    read(o, buffer);
    t.us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
    if (!intact(o, buffer)) fail("object " + std::to_string(o.id) + " read back wrong bytes");
    ++t.reads;
    t.bytes += o.size;
    t.seconds = remora::bench::seconds_since(start);
  } while (t.seconds < seconds);
  std::sort(t.us.begin(), t.us.end());
  return t;
}

void print(const std::vector<object>& objects, std::uint64_t bytes, const timing& t,
           const std::string& more) {
  std::printf(
      "objects=%zu bytes=%llu reads=%llu seconds=%.3f ops_per_s=%.0f bytes_per_s=%.0f "
      "read_p50_us=%.1f read_p99_us=%.1f%s\n",
      objects.size(), (unsigned long long)bytes, (unsigned long long)t.reads, t.seconds,
      t.reads / t.seconds, t.bytes / t.seconds, t.us[t.us.size() / 2], t.us[t.us.size() * 99 / 100],
      more.c_str());
}

void against_node(const std::string& node, const std::string& token, std::uint64_t bytes,
                  double seconds) {
  remora::actors::control_plane cp;
  auto client = remora::bench::connect_node(cp, node, token);
  const auto objects = mixed_objects(bytes);
  std::vector<remora::storage::object_location> where(objects.size() + 1);
  std::vector<std::byte> data;
  for (std::size_t first = 0; first < objects.size(); first += 32) {
    std::vector<std::uint64_t> ids;
    std::vector<std::uint32_t> sizes;
    for (std::size_t i = first; i < std::min(objects.size(), first + 32); ++i) {
      ids.push_back(objects[i].id);
      sizes.push_back(objects[i].size);
    }
    auto got = client->allocate(ids, sizes);
    if (!got) fail(got.err().message);
    for (std::size_t i = 0; i < got->size(); ++i) {
      fill(objects[first + i], data);
      if (auto r = client->data().write((*got)[i], data); !r) fail(r.err().message);
      where[(*got)[i].id] = (*got)[i];
    }
  }
  auto bystander = remora::bench::connect_node(cp, node, token);
  const std::vector<std::uint64_t> small{objects.size() + 1};
  if (auto made = bystander->allocate(small, std::vector<std::uint32_t>{64}); !made)
    fail(made.err().message);
  std::atomic<bool> reading{true};
  std::vector<double> bystander_us;
  std::thread looking([&] {
    while (reading.load()) {
      const auto t0 = clock_type::now();
      if (auto r = bystander->lookup(small); !r) fail(r.err().message);
      bystander_us.push_back(
          std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  auto before = client->stats();
  if (!before) fail(before.err().message);
  const auto t = read_at_random(objects, seconds, [&](const object& o, auto& into) {
    into.resize(o.size);
    if (auto r = client->data().read(where[o.id], into); !r) fail(r.err().message);
  });
  auto after = client->stats();
  if (!after) fail(after.err().message);
  reading = false;
  looking.join();
  std::sort(bystander_us.begin(), bystander_us.end());
  const auto quantile = [&](double q) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f",
                  bystander_us.empty() ? 0.0 : bystander_us[bystander_us.size() * q]);
    return std::string(text);
  };
  print(objects, bytes, t,
        " capacity=" + std::to_string(after->capacity) +
            " unspills=" + std::to_string(after->unspills - before->unspills) +
            " spills=" + std::to_string(after->spills - before->spills) +
            " clean_spills=" + std::to_string(after->clean_spills - before->clean_spills) +
            " room_waits=" + std::to_string(after->room_waits - before->room_waits) +
            " bystander_lookups=" + std::to_string(bystander_us.size()) +
            " bystander_p50_us=" + quantile(0.5) + " bystander_p99_us=" + quantile(0.99));
}

void against_rocksdb(const std::string& dir, std::uint64_t bytes, double seconds) {
  // As the node's spill store opens it (storage/spill_store.cpp): a Bloom
  // filter, writes without the write-ahead log.
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (auto s = rocksdb::DestroyDB(dir, options); !s.ok()) fail("rocksdb: " + s.ToString());
  rocksdb::DB* opened = nullptr;
  if (auto s = rocksdb::DB::Open(options, dir, &opened); !s.ok()) fail("rocksdb: " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(opened);
  rocksdb::WriteOptions no_wal;
  no_wal.disableWAL = true;
  const auto objects = mixed_objects(bytes);
  std::vector<std::byte> data;
  auto key = [](const object& o) {
    return rocksdb::Slice(reinterpret_cast<const char*>(&o.id), sizeof o.id);
  };
  for (const object& o : objects) {
    fill(o, data);
    rocksdb::Slice value(reinterpret_cast<const char*>(data.data()), data.size());
    if (auto s = db->Put(no_wal, key(o), value); !s.ok()) fail("rocksdb: " + s.ToString());
  }
  rocksdb::PinnableSlice value;
  const auto t = read_at_random(objects, seconds, [&](const object& o, auto& into) {
    value.Reset();
    if (auto s = db->Get(rocksdb::ReadOptions(), db->DefaultColumnFamily(), key(o), &value);
        !s.ok())
      fail("rocksdb: " + s.ToString());
    const auto* at = reinterpret_cast<const std::byte*>(value.data());
    into.assign(at, at + value.size());
  });
  db.reset();
  (void)rocksdb::DestroyDB(dir, options);
  print(objects, bytes, t, "");
}

}  // namespace

int main(int argc, char** argv) {
  std::string node, token, rocksdb_dir;
  std::uint64_t bytes = 256ull << 20;
  double seconds = 3;
  remora::cli::command_line app{
      "Random reads of objects of 64 B to 1 MiB from a memory node that spilled most of them, "
      "or (the peer) from a RocksDB holding the same objects.",
      "remora-bench-spill"};
  auto with_node = app.add("--node", node, "the memory node (its capacity well below --bytes)")
                       .type_name("HOST:PORT");
  app.add("--rocksdb", rocksdb_dir, "the peer: a RocksDB in this directory (wiped)")
      .type_name("DIR")
      .excludes(with_node);
  app.bytes("--bytes", bytes, "the objects' bytes together").default_text("256MiB");
  app.add("--seconds", seconds, "how long reads run").positive();
  app.add("--auth-token", token, "the node's token");
  if (auto code = app.parse(argc, argv)) return *code;
  if (node.empty() == rocksdb_dir.empty()) return app.usage_error("give --node or --rocksdb");
  if (bytes == 0) return app.usage_error("--bytes must be above 0");
  return remora::cli::run("remora-bench-spill", [&] {
    if (!node.empty())
      against_node(node, token, bytes, seconds);
    else
      against_rocksdb(rocksdb_dir, bytes, seconds);
    return 0;
  });
}

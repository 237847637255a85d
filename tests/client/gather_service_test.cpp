// GatherServer and GatherClient: row gathers from a table ten times larger
// than the local cache return exactly the table's floats, in process and over
// TCP; a bad row and an absent server fail with typed errors, in bounded time.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "remora/remora.hpp"
#include "tests/client/memnodes.hpp"
#include "tests/support/forced_transports.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/tcp_proxy.hpp"

using remora::testing::unused_port;

namespace {

constexpr std::size_t rows = 200'000, width = 64;  // 51 MB of floats against a 4 MiB cache

// Exact in a float: every value is an integer below 2^24.
float value_for(std::uint64_t row, std::size_t column) {
  return static_cast<float>((row * 2654435761u + column * 40503u) & 0xffffff);
}

remora::Array<float> filled_table(remora::Runtime& rt) {
  auto table = rt.make_array<float>(rows * width);
  for (std::size_t i = 0; i < table.size();) {
    remora::DerefScope scope;
    for (float& v : table.span_mut(scope, i)) {
      v = value_for(i / width, i % width);
      ++i;
    }
  }
  return table;
}

// Random rows, the hot few often (a skewed draw), and every 1000th row in turn.
std::vector<std::uint64_t> some_rows(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::uint64_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = i % 4 == 0 ? rng() % 64 : rng() % rows;
  return out;
}

std::size_t mismatches(const std::vector<std::uint64_t>& asked, const std::vector<float>& got) {
  if (got.size() != asked.size() * width) return asked.size() * width;
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < asked.size(); ++i)
    for (std::size_t c = 0; c < width; ++c) wrong += got[i * width + c] != value_for(asked[i], c);
  return wrong;
}

}  // namespace

TEST_CASE("gathers of a table ten times the cache return its floats, in process and over TCP",
          "[gather]") {
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20));
  auto table = filled_table(rt);
  remora::GatherServer server(rt, table, width);
  REQUIRE(server.rows() == rows);
  std::mt19937_64 rng(11);
  const auto misses_before = rt.stats().misses;
  for (int batch = 0; batch < 200; ++batch) {
    const auto asked = some_rows(rng, 1 + batch % 256);
    REQUIRE(mismatches(asked, server.gather(asked)) == 0);
  }
  CHECK(rt.stats().misses > misses_before);  // the cold rows came from far memory

  const std::uint16_t port = server.publish("127.0.0.1", 0);
  REQUIRE(port != 0);
  remora::GatherClient client("127.0.0.1", port);
  for (int batch = 0; batch < 50; ++batch) {
    const auto asked = some_rows(rng, 256);
    REQUIRE(mismatches(asked, client.gather(asked)) == 0);
  }
  const std::vector<std::uint64_t> last{rows - 1, 0, rows - 1};
  CHECK(mismatches(last, client.gather(last)) == 0);
  CHECK(client.gather(std::vector<std::uint64_t>{}).empty());
}

TEST_CASE("rows that cross chunks, or are longer than a chunk, come back whole", "[gather]") {
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20));
  // Chunks of 1024 floats: rows of 100 cross chunk edges, rows of 3000
  // span three or four chunks.
  for (const std::size_t w : {std::size_t{100}, std::size_t{3000}}) {
    const std::size_t n = (64u << 20) / sizeof(float) / w;  // 64 MiB of rows
    auto table = rt.make_array<float>(n * w, 4096);
    for (std::size_t i = 0; i < table.size();) {
      remora::DerefScope scope;
      for (float& v : table.span_mut(scope, i)) {
        v = value_for(i / w, i % w);
        ++i;
      }
    }
    remora::GatherServer server(rt, table, w);
    std::mt19937_64 rng(w);
    std::size_t wrong = 0;
    for (int batch = 0; batch < 20; ++batch) {
      std::vector<std::uint64_t> asked(40);
      for (auto& r : asked) r = rng() % n;
      const auto got = server.gather(asked);
      REQUIRE(got.size() == asked.size() * w);
      for (std::size_t k = 0; k < asked.size(); ++k)
        for (std::size_t c = 0; c < w; ++c) wrong += got[k * w + c] != value_for(asked[k], c);
    }
    INFO("width " << w);
    CHECK(wrong == 0);
  }
}

TEST_CASE("a row past the table is InvalidObject naming it, the server keeps serving", "[gather]") {
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20));
  auto table = filled_table(rt);
  remora::GatherServer server(rt, table, width);
  const std::vector<std::uint64_t> bad{3, rows, 5};
  CHECK_THROWS_WITH(server.gather(bad), Catch::Contains("row 200000"));
  CHECK_THROWS_AS(server.gather(bad), remora::InvalidObject);
  remora::GatherClient client("127.0.0.1", server.publish("127.0.0.1", 0));
  CHECK_THROWS_AS(client.gather(bad), remora::InvalidObject);
  const std::vector<std::uint64_t> good{3, 5};
  CHECK(mismatches(good, client.gather(good)) == 0);
  CHECK_THROWS_AS(remora::GatherServer(rt, table, 7), remora::ConfigError);
}

TEST_CASE("a client of an absent or stopped server gets NodeUnavailable in bounded time",
          "[gather]") {
  using namespace std::chrono;
  const auto start = steady_clock::now();
  CHECK_THROWS_AS(remora::GatherClient("127.0.0.1", unused_port(), milliseconds(500)),
                  remora::NodeUnavailable);
  CHECK(steady_clock::now() - start < seconds(5));

  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20));
  auto table = rt.make_array<float>(width * 1024);
  auto server = std::make_unique<remora::GatherServer>(rt, table, width);
  remora::GatherClient client("127.0.0.1", server->publish("127.0.0.1", 0), milliseconds(500));
  const std::vector<std::uint64_t> asked{1, 2};
  CHECK(client.gather(asked).size() == 2 * width);
  server.reset();
  const auto stopped = steady_clock::now();
  CHECK_THROWS_AS(client.gather(asked), remora::NodeUnavailable);
  CHECK(steady_clock::now() - stopped < seconds(2));
}

TEST_CASE("a gather in flight when its connection is cut ends at once, not at its timeout",
          "[gather]") {
  using namespace std::chrono;
  // Over tcp, where a get waits for the node's own progress: the server's
  // misses wait on the stopped node. (Over shared memory the server would
  // read the stopped node's memory one-sided, and the gather complete.)
  remora::testing::forced_transports tcp("tcp");
  remora::Options options;
  options.dram_cache(4 << 20).timeout(seconds(30));
  auto nodes = remora::testing::start_nodes(1, options);
  remora::Runtime rt(options);
  auto table = filled_table(rt);  // most of it at the node
  remora::GatherServer server(rt, table, width);
  auto proxy = std::make_unique<remora::testing::tcp_proxy>(server.publish("127.0.0.1", 0));
  remora::GatherClient client("127.0.0.1", proxy->port(), seconds(60));
  const std::vector<std::uint64_t> few{1, 2};
  CHECK(mismatches(few, client.gather(few)) == 0);

  nodes[0]->signal(SIGSTOP);
  REQUIRE(nodes[0]->wait_stopped(seconds(10)));  // the server's misses wait for it now
  std::vector<std::uint64_t> spread(1000);
  for (std::size_t i = 0; i < spread.size(); ++i) spread[i] = i * (rows / spread.size());
  std::atomic<bool> done{false}, unavailable{false};
  std::thread asker([&] {
    try {
      (void)client.gather(spread);
    } catch (const remora::NodeUnavailable&) {
      unavailable = true;
    }
    done = true;
  });
  std::this_thread::sleep_for(milliseconds(300));
  CHECK_FALSE(done.load());  // the server waits on the hung node
  const auto cut = steady_clock::now();
  proxy.reset();  // the connection goes; its reply would never come
  asker.join();
  CHECK(unavailable.load());
  CHECK(steady_clock::now() - cut < seconds(20));  // not the 60 s timeout
  nodes[0]->signal(SIGCONT);
}

TEST_CASE("in-process and remote callers gather at once, each getting its own rows", "[gather]") {
  remora::Runtime rt(remora::Options{}.dram_cache(4 << 20));
  auto table = filled_table(rt);
  remora::GatherServer server(rt, table, width);
  remora::GatherClient client("127.0.0.1", server.publish("127.0.0.1", 0));
  std::atomic<std::size_t> wrong{0}, gathers{0};
  auto caller = [&](int seed, bool remote) {
    std::mt19937_64 rng(seed);
    for (int batch = 0; batch < 40; ++batch) {
      const auto asked = some_rows(rng, 64);
      wrong += mismatches(asked, remote ? client.gather(asked) : server.gather(asked));
      ++gathers;
    }
  };
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i) callers.emplace_back(caller, 100 + i, i % 2 == 1);
  for (auto& t : callers) t.join();
  CHECK(gathers == 160);
  CHECK(wrong == 0);
}

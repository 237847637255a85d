// Bad requests to a real memory node get typed errors; the node keeps
// serving and every other client's objects stay intact.
#include <signal.h>

#include <atomic>
#include <thread>

#include "actors/control_plane_impl.hpp"
#include "storage/slot.hpp"
#include "tests/actors/memnode_fixture.hpp"
#include "tests/support/forced_transports.hpp"
#include "transport/atomics.hpp"

using namespace remora;
using namespace std::chrono_literals;
using testing::connect_client;
using testing::memnode_process;
using testing::object_bytes;
using testing::require_error;
using transport::errc;

TEST_CASE("bad requests get typed errors and change nothing", "[memnode]") {
  memnode_process node({"--capacity=16MiB"});
  actors::control_plane cp;
  auto bystander = connect_client(cp, node);
  auto client = connect_client(cp, node);
  std::vector<std::uint64_t> mine{1, 2, 3};
  std::vector<std::uint32_t> sizes{100, 2000, 30000};
  auto kept = bystander->allocate(mine, sizes);
  REQUIRE(kept.ok());
  for (auto& w : *kept) REQUIRE(bystander->data().write(w, object_bytes(w.id, w.size)).ok());

  using ids = std::vector<std::uint64_t>;
  using lens = std::vector<std::uint32_t>;
  require_error(client->allocate(ids{10}, lens{0}).err(), errc::invalid_argument);
  require_error(client->allocate(ids{10}, lens{client->max_object_size() + 1}).err(),
                errc::invalid_argument);
  require_error(client->allocate(ids{0}, lens{64}).err(), errc::invalid_argument);
  require_error(client->allocate(ids{10, 10}, lens{64, 64}).err(), errc::invalid_argument);
  require_error(client->allocate(ids{10, 11}, lens{64}).err(), errc::invalid_argument);
  require_error(client->allocate(ids{10, 2}, lens{64, 64}).err(), errc::already_exists);
  require_error(client->free(ids{999}).err(), errc::unknown_object);
  require_error(client->lookup(ids{999}).err(), errc::unknown_object);
  // Another client's objects are out of reach, as if they were not there.
  require_error(client->lookup(ids{1}).err(), errc::unknown_object);
  require_error(client->free(ids{1}).err(), errc::unknown_object);
  // All or nothing: the good id in a batch with a bad one was not freed.
  require_error(bystander->free(ids{1, 999}).err(), errc::unknown_object);
  REQUIRE(bystander->lookup(ids{1}).ok());
  // Double free.
  auto extra = client->allocate(ids{20}, lens{64});
  REQUIRE(extra.ok());
  REQUIRE(client->free(ids{20}).ok());
  require_error(client->free(ids{20}).err(), errc::unknown_object);
  // A batch that failed allocated nothing: id 10 is still free to take.
  REQUIRE(client->allocate(ids{10}, lens{64}).ok());

  // Raw messages a typed client could never send.
  auto& internals = cp.internals();
  auto raw = caf::actor_cast<caf::actor>(
      *actors::remote_node(internals, "127.0.0.1", node.port, std::chrono::seconds(5)));
  caf::scoped_actor self{internals.system};
  auto expect_refusal = [&](auto... xs) {
    bool refused = false;
    self->request(raw, caf::duration{5s}, xs...)
        .receive([&](caf::message&) {}, [&](caf::error&) { refused = true; });
    CHECK(refused);
  };
  expect_refusal(actors::alloc_atom::value, std::string("not a session"));             // malformed
  expect_refusal(actors::alloc_atom::value, std::uint64_t{12345}, ids{30}, lens{64});  // no session
  expect_refusal(actors::lookup_atom::value);                                          // truncated
  expect_refusal(std::string("hello?"), 42);                                           // foreign
  expect_refusal(actors::hello_atom::value, std::string(), std::uint32_t{2});  // old protocol

  // The node still serves, and the bystander's bytes are intact.
  for (auto& w : *kept) {
    std::vector<std::byte> back(w.size);
    auto r = bystander->data().read(w, back);
    INFO((r ? "" : r.err().message));
    REQUIRE(r.ok());
    CHECK(back == object_bytes(w.id, w.size));
  }
  auto s = bystander->stats();
  REQUIRE(s.ok());
  CHECK(s->errors >= 11);  // malformed messages never reach a handler to be counted
}

TEST_CASE("a stale location of a freed, reused slot reads nothing wrong", "[memnode]") {
  memnode_process node({"--capacity=16MiB"});
  actors::control_plane cp;
  auto client = connect_client(cp, node);
  auto first = client->allocate(std::vector<std::uint64_t>{7}, std::vector<std::uint32_t>{4096});
  REQUIRE(first.ok());
  auto stale = first->at(0);
  REQUIRE(client->data().write(stale, object_bytes(7, 4096)).ok());
  REQUIRE(client->free(std::vector<std::uint64_t>{7}).ok());
  std::this_thread::sleep_for(50ms);  // past the quarantine: the slot may be reused
  std::vector<std::uint64_t> others;
  for (std::uint64_t i = 0; i < 64; ++i) others.push_back(100 + i);
  auto reused = client->allocate(others, std::vector<std::uint32_t>(64, 4096));
  REQUIRE(reused.ok());
  bool slot_reused = false;
  for (auto& w : *reused) {
    REQUIRE(client->data().write(w, object_bytes(w.id, w.size)).ok());
    slot_reused |= w.offset == stale.offset;
  }
  CHECK(slot_reused);
  std::vector<std::byte> back(4096);
  auto r = client->data().read(stale, back);
  REQUIRE_FALSE(r.ok());
  require_error(r.err(), errc::unknown_object);
}

TEST_CASE("a batch of writes lands beside objects pinned elsewhere or moved and refuses a misfit",
          "[memnode]") {
  memnode_process node({"--capacity=16MiB"});
  actors::control_plane cp;
  auto client = connect_client(cp, node);
  constexpr std::uint32_t size = 256;
  std::vector<std::uint64_t> ids;
  for (std::uint64_t i = 1; i <= 40; ++i) ids.push_back(i);
  auto made = client->allocate(ids, std::vector<std::uint32_t>(ids.size(), size));
  REQUIRE(made.ok());
  std::vector<storage::object_location> where = *made;
  // Object 5's location is stale (another version), object 7 is held by
  // another writer's pin, object 9 is given bytes of the wrong size.
  where[4].version += 1000;
  const auto& region = client->data().region();
  const std::uint64_t pin_at = where[6].offset + storage::pin_word_offset;
  const std::uint64_t unpinned = storage::pin_word(where[6].version, 0);
  auto held = transport::compare_swap(region, pin_at, unpinned, unpinned + 1, transport::after(5s));
  REQUIRE(held.ok());
  REQUIRE(*held == unpinned);
  std::vector<std::vector<std::byte>> bytes;
  for (const auto& w : where) bytes.push_back(object_bytes(w.id + 1000, w.id == 9 ? 100 : size));
  std::vector<std::span<const std::byte>> data(bytes.begin(), bytes.end());
  std::vector<transport::result<void>> outcome(where.size());
  client->data().write_many(where, data, outcome);
  REQUIRE(transport::atomic_add(region, pin_at, ~std::uint64_t{0}, transport::after(5s)).ok());
  // Every pin the batch took it let go, and no other: object 7's word is
  // unpinned at its version again (a compare-and-swap that changes nothing).
  auto word = transport::compare_swap(region, pin_at, unpinned, unpinned, transport::after(5s));
  REQUIRE(word.ok());
  CHECK(*word == unpinned);

  for (std::size_t i = 0; i < where.size(); ++i) {
    INFO("object " << where[i].id << ": " << (outcome[i] ? "" : outcome[i].err().message));
    if (where[i].id == 9) {
      REQUIRE_FALSE(outcome[i].ok());
      require_error(outcome[i].err(), errc::invalid_argument);
    } else {
      REQUIRE(outcome[i].ok());
    }
  }
  CHECK(where[4].version == made->at(4).version);  // found again where it is
  // Every object reads back what was written to it; object 9 its zeroes.
  std::size_t wrong = 0;
  for (storage::object_location w : *made) {
    std::vector<std::byte> back(size);
    auto r = client->data().read(w, back);
    REQUIRE(r.ok());
    wrong += back != (w.id == 9 ? std::vector<std::byte>(size) : object_bytes(w.id + 1000, size));
  }
  CHECK(wrong == 0);
}

TEST_CASE(
    "place: new objects arrive holding their bytes, a retry finds them where they are, and "
    "payloads that do not add up are refused",
    "[memnode][two-process]") {
  memnode_process node({"--capacity=16MiB"});
  actors::control_plane cp;
  auto client = connect_client(cp, node);
  std::vector<std::uint64_t> ids;
  std::vector<std::uint32_t> sizes;
  std::vector<std::byte> bytes;
  for (std::uint64_t id = 1; id <= 300; ++id) {
    ids.push_back(id);
    // A few size classes: each takes a 2 MiB page of the node's 16 MiB.
    constexpr std::uint32_t kinds[] = {1, 64, 200, 1000, 3000};
    sizes.push_back(kinds[id % 5]);
    const auto b = object_bytes(id, sizes.back());
    bytes.insert(bytes.end(), b.begin(), b.end());
  }
  // A byte short, or none at all: refused, and nothing made.
  require_error(client->place(ids, sizes, std::span(bytes).first(bytes.size() - 1)).err(),
                errc::invalid_argument);
  require_error(client->place(ids, sizes, {}).err(), errc::invalid_argument);
  require_error(client->lookup(std::vector<std::uint64_t>{1}).err(), errc::unknown_object);

  auto placed = client->place(ids, sizes, bytes);
  INFO((placed ? "" : placed.err().message));
  REQUIRE(placed.ok());
  REQUIRE(placed->size() == ids.size());
  CHECK(testing::wrong_reads(*client, *placed) == 0);
  // A retry (its reply lost): the same slots, holding the same bytes.
  auto again = client->place(ids, sizes, bytes);
  REQUIRE(again.ok());
  std::size_t moved = 0;
  for (std::size_t i = 0; i < ids.size(); ++i)
    moved +=
        (*again)[i].offset != (*placed)[i].offset || (*again)[i].version != (*placed)[i].version;
  CHECK(moved == 0);
  CHECK(testing::wrong_reads(*client, *again) == 0);
  // An id made already with another size is another object.
  auto bigger = sizes;
  bigger[0] += 1;
  std::vector<std::byte> more(bytes);
  more.push_back(std::byte{1});
  require_error(client->place(ids, bigger, more).err(), errc::already_exists);
  auto s = client->stats();
  REQUIRE(s.ok());
  CHECK(s->objects == ids.size());
}

TEST_CASE("a client killed mid-batch leaves the node serving", "[memnode]") {
  memnode_process node({"--capacity=16MiB"});
  actors::control_plane cp;
  auto client = connect_client(cp, node);
  auto kept = client->allocate(std::vector<std::uint64_t>{5}, std::vector<std::uint32_t>{1000});
  REQUIRE(kept.ok());
  REQUIRE(client->data().write(kept->at(0), object_bytes(5, 1000)).ok());
  {
    testing::child_process churn({REMORA_CHURN_CLIENT, "127.0.0.1:" + std::to_string(node.port)});
    REQUIRE(churn.wait_for_line("churning", 20s).has_value());
    std::this_thread::sleep_for(200ms);
    churn.signal(SIGKILL);
    REQUIRE(churn.wait_exit(5s).has_value());
  }
  // The node notices the lost connection and forgets the session.
  std::uint64_t sessions = 0;
  for (int i = 0; i < 100; ++i) {
    auto s = client->stats();
    REQUIRE(s.ok());
    sessions = s->sessions;
    if (sessions == 1) break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(sessions == 1);
  std::vector<std::byte> back(1000);
  REQUIRE(client->data().read(kept->at(0), back).ok());
  CHECK(back == object_bytes(5, 1000));
  REQUIRE(client->allocate(std::vector<std::uint64_t>{6}, std::vector<std::uint32_t>{64}).ok());
}

TEST_CASE(
    "a data endpoint a hung node aborted is made again once the node answers, never to a node "
    "that died",
    "[memnode][failure]") {
  // Over tcp a read waits for the node (over shared memory it copies from
  // the mapping, and a hung node never aborts it).
  testing::forced_transports tcp("tcp");
  memnode_process node({"--capacity=16MiB"});
  actors::control_plane cp;
  auto options = node.client_options();
  options.timeout = 1s;
  auto c = actors::node_client::connect(cp, options);
  REQUIRE(c.ok());
  auto& client = *c;
  auto w = client->allocate(std::vector<std::uint64_t>{1}, std::vector<std::uint32_t>{4096});
  REQUIRE(w.ok());
  auto& where = w->at(0);
  REQUIRE(client->data().write(where, object_bytes(1, 4096)).ok());
  std::vector<std::byte> back(4096);

  node.process.signal(SIGSTOP);
  REQUIRE(node.process.wait_stopped(10s));
  REQUIRE_FALSE(client->data().read(where, back).ok());  // timed out: the endpoint is aborted
  node.process.signal(SIGCONT);
  auto read = client->data().read(where, back);
  INFO((read ? std::string() : read.err().message));
  REQUIRE(read.ok());
  CHECK(back == object_bytes(1, 4096));
  CHECK(client->data().reconnects() == 1);

  node.process.signal(SIGSTOP);
  REQUIRE(node.process.wait_stopped(10s));
  REQUIRE_FALSE(client->data().read(where, back).ok());
  node.process.signal(SIGKILL);
  REQUIRE(node.process.wait_exit(10s).has_value());
  // The control connection finds no node: no endpoint is made to it (UCX
  // leaks one made to a dead peer over shared memory), and the read fails
  // as the node is unreachable.
  read = client->data().read(where, back);
  REQUIRE_FALSE(read.ok());
  require_error(read.err(), errc::peer_unreachable);
  CHECK(client->data().reconnects() == 1);
}

TEST_CASE("auth: a missing or wrong token is refused, the right one served", "[memnode][auth]") {
  memnode_process node({"--capacity=16MiB", "--auth-token=s3cret"});
  actors::control_plane cp;
  for (std::string token : {"", "wrong", "s3cre", "s3cret!"}) {
    auto c = actors::node_client::connect(cp, node.client_options(token));
    REQUIRE_FALSE(c.ok());
    require_error(c.err(), errc::auth);
  }
  auto client = connect_client(cp, node, "s3cret");
  auto w = client->allocate(std::vector<std::uint64_t>{1}, std::vector<std::uint32_t>{64});
  REQUIRE(w.ok());
  REQUIRE(client->data().write(w->at(0), object_bytes(1, 64)).ok());
}

TEST_CASE("nobody listening: connect fails fast with peer_unreachable", "[memnode]") {
  actors::control_plane cp;
  actors::node_client::options o;
  o.address = {"127.0.0.1", 1};
  o.timeout = 3s;
  auto start = std::chrono::steady_clock::now();
  auto c = actors::node_client::connect(cp, o);
  REQUIRE_FALSE(c.ok());
  require_error(c.err(), errc::peer_unreachable);
  CHECK(c.err().message.find("127.0.0.1:1") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("damage is a test hook: refused without --test-hooks, with it, reads see the fault",
          "[memnode]") {
  {
    memnode_process node({"--capacity=4MiB"});
    actors::control_plane cp;
    auto client = connect_client(cp, node);
    auto refused = client->damage();
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.err().code == transport::errc::unsupported);
  }
  memnode_process node({"--capacity=4MiB", "--test-hooks"});
  actors::control_plane cp;
  auto client = connect_client(cp, node);
  auto w = client->allocate(std::vector<std::uint64_t>{7}, std::vector<std::uint32_t>{300});
  REQUIRE(w.ok());
  REQUIRE(client->data().write(w->at(0), testing::object_bytes(7, 300)).ok());
  auto damaged = client->damage();
  REQUIRE(damaged.ok());
  CHECK(*damaged == 1);
  std::vector<std::byte> back(300);
  auto read = client->data().read(w->at(0), back);
  REQUIRE_FALSE(read.ok());
  CHECK(read.err().code == transport::errc::corrupt);
}

TEST_CASE("a node busy with a long request still answers heartbeats (its pulse)", "[memnode]") {
  {
    memnode_process node({"--capacity=4MiB"});
    actors::control_plane cp;
    auto client = connect_client(cp, node);
    auto refused = client->stall(1ms);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.err().code == transport::errc::unsupported);
  }
  memnode_process node({"--capacity=4MiB", "--test-hooks"});
  actors::control_plane cp;
  auto busy = connect_client(cp, node);
  auto watcher = connect_client(cp, node);
  std::atomic<bool> stalled_done{false};
  std::thread stall([&] {
    CHECK(busy->stall(6s).ok());
    stalled_done = true;
  });
  std::this_thread::sleep_for(500ms);
  // The node's actor sleeps for six seconds: a heartbeat bounded by two
  // is answered meanwhile (heartbeats used to wait behind the request, and
  // clients gave up on a node that was only busy).
  auto pong = watcher->ping(2s);
  CHECK(pong.ok());
  CHECK_FALSE(stalled_done.load());
  stall.join();
  CHECK(watcher->stats().ok());
}

TEST_CASE("an alloc waiting for room holds up neither the node nor other clients", "[memnode]") {
  // Every slot freed waits three seconds before reuse: an alloc right after
  // freeing the whole arena must wait for them. The node queues it and
  // serves the rest meanwhile (it used to sleep, and so did they).
  memnode_process node({"--capacity=8MiB", "--reuse-delay=3s"});
  actors::control_plane cp;
  auto waiting = connect_client(cp, node);
  auto other = connect_client(cp, node);
  constexpr std::uint32_t size = 400 << 10;
  const std::vector<std::uint64_t> mine{1000}, value{1001};
  auto kept =
      other->allocate(std::vector<std::uint64_t>{1000, 1001}, std::vector<std::uint32_t>{64, 64});
  REQUIRE(kept.ok());
  for (auto& w : *kept) REQUIRE(other->data().write(w, object_bytes(w.id, 64)).ok());
  REQUIRE(other->blob_put("kv", "key", value, 0, 0ms).ok());
  // 4.8 MiB in the three pages the small object leaves: below the
  // watermark, nothing spilled; freed, they fill the pages' quarantine.
  const std::vector<std::uint64_t> first{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const std::vector<std::uint32_t> sizes(first.size(), size);
  REQUIRE(waiting->allocate(first, sizes).ok());
  REQUIRE(waiting->free(first).ok());

  const std::vector<std::uint64_t> second{21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  std::atomic<bool> allocated{false};
  transport::result<std::vector<storage::object_location>> made =
      transport::error{errc::timeout, "not asked yet"};
  std::thread alloc([&] {
    made = waiting->allocate(second, sizes);
    allocated = true;
  });
  std::this_thread::sleep_for(300ms);
  // Asked while the alloc waits: stats, a lookup of an object in memory, a
  // blob get that locates a value in memory, a free, all answered before it.
  auto stats = other->stats();
  auto found = other->lookup(mine);
  const std::vector<std::string> keys{"key"};
  auto got = other->blob_get("kv", keys, true);
  auto freed = other->free(mine);
  CHECK_FALSE(allocated.load());
  alloc.join();
  REQUIRE(stats.ok());
  REQUIRE(found.ok());
  REQUIRE(got.ok());
  REQUIRE(got->at(0).pieces.size() == 1);
  std::vector<std::byte> piece(64);
  REQUIRE(other->data().read(got->at(0).pieces[0], piece).ok());
  CHECK(piece == object_bytes(1001, 64));
  CHECK(freed.ok());
  std::vector<std::byte> back(64);
  CHECK_FALSE(other->data().read(found->at(0), back).ok());  // freed meanwhile
  INFO((made ? "" : made.err().message));
  REQUIRE(made.ok());
  for (auto& w : *made) REQUIRE(waiting->data().write(w, object_bytes(w.id, size)).ok());
  std::vector<std::byte> whole(size);
  for (auto& w : *made) {
    REQUIRE(waiting->data().read(w, whole).ok());
    CHECK(whole == object_bytes(w.id, size));
  }
  auto after = waiting->stats();
  REQUIRE(after.ok());
  CHECK(after->room_waits > 0);
}

TEST_CASE(
    "a blob get whose value must come back from disk waits for room without holding up "
    "the node",
    "[memnode]") {
  memnode_process node({"--capacity=8MiB", "--reuse-delay=1s"});
  actors::control_plane cp;
  auto client = connect_client(cp, node);
  auto watcher = connect_client(cp, node);
  constexpr std::uint32_t size = 400 << 10;
  // A value of ten pieces (half the arena's slots of their size), then
  // the arena's worth after it: the value goes to disk.
  std::vector<std::uint64_t> value;
  for (std::uint64_t id = 1; id <= 10; ++id) value.push_back(id);
  auto made = client->allocate(value, std::vector<std::uint32_t>(value.size(), size));
  REQUIRE(made.ok());
  for (auto& w : *made) REQUIRE(client->data().write(w, object_bytes(w.id, size)).ok());
  REQUIRE(client->blob_put("kv", "key", value, 0, 0ms).ok());
  std::vector<std::uint64_t> others;
  for (std::uint64_t id = 11; id <= 30; ++id) {
    const std::vector<std::uint64_t> one{id};
    REQUIRE(client->allocate(one, std::vector<std::uint32_t>{size}).ok());
    others.push_back(id);
  }
  auto filled = client->stats();
  REQUIRE(filled.ok());
  // The others' slots go into a second of quarantine: the few slots free
  // now cannot take the value back.
  REQUIRE(client->free(others).ok());

  std::atomic<bool> answered{false};
  transport::result<std::vector<actors::node_client::blob>> got =
      transport::error{errc::timeout, "not asked yet"};
  const std::vector<std::string> keys{"key"};
  std::thread get([&] {
    got = client->blob_get("kv", keys, true);
    answered = true;
  });
  std::this_thread::sleep_for(300ms);
  auto stats = watcher->stats();  // answered while the get waits
  const bool waited = !answered.load();
  get.join();
  REQUIRE(stats.ok());
  INFO((got ? "" : got.err().message));
  REQUIRE(got.ok());
  REQUIRE(got->at(0).found);
  REQUIRE(got->at(0).pieces.size() == value.size());
  std::vector<std::byte> back(size);
  std::size_t wrong = 0;
  for (auto& piece : got->at(0).pieces) {
    REQUIRE(client->data().read(piece, back).ok());
    wrong += back != object_bytes(piece.id, size);
  }
  CHECK(wrong == 0);
  auto after = client->stats();
  REQUIRE(after.ok());
  INFO("brought back " << after->unspills - filled->unspills);
  REQUIRE(after->unspills - filled->unspills > 5);
  CHECK(waited);
  CHECK(after->room_waits > filled->room_waits);
}

TEST_CASE("allocations asked ahead are answered in turn, and a node gone before the answer says so",
          "[memnode]") {
  memnode_process node({"--capacity=16MiB"});
  actors::control_plane cp;
  auto client = connect_client(cp, node);
  using ids = std::vector<storage::object_id>;
  using lens = std::vector<std::uint32_t>;
  auto first = client->allocate_later(ids{1, 2}, lens{64, 128});
  auto second = client->allocate_later(ids{3}, lens{256});
  auto clash = client->allocate_later(ids{1}, lens{32});  // the first's id, another size
  // Taken in another order than asked: each its own answer.
  auto b = second();
  REQUIRE(b.ok());
  REQUIRE(b->size() == 1);
  CHECK((*b)[0].id == 3);
  CHECK((*b)[0].size == 256);
  auto a = first();
  REQUIRE(a.ok());
  REQUIRE(a->size() == 2);
  CHECK((*a)[0].id == 1);
  CHECK((*a)[1].id == 2);
  CHECK((*a)[1].size == 128);
  require_error(clash().err(), errc::already_exists);
  REQUIRE(client->lookup(ids{1, 2, 3}).ok());
  // Asked of a node that stops, then dies, before it answers: a typed
  // error, not a wait past the client's timeout.
  node.process.signal(SIGSTOP);
  auto late = client->allocate_later(ids{4}, lens{64});
  node.process.signal(SIGKILL);
  auto r = late();
  REQUIRE_FALSE(r.ok());
  INFO(r.err().message);
  CHECK(r.err().code == errc::peer_unreachable);
}

// A publisher that dies mid-publish: allocates N objects of 64 bytes at a
// memory node, sends the first part of a publication of them (stage_atom,
// as node_client::publish does for a table of many parts), prints
// "staged N", and waits to be killed.
//   remora-test-stage-client HOST:PORT N
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "actors/control_plane_impl.hpp"
#include "actors/messages.hpp"
#include "actors/node_client.hpp"
#include "tests/support/usage.hpp"

int main(int argc, char** argv) {
  auto address = remora::actors::node_address::parse(argc == 3 ? argv[1] : "");
  const std::size_t n = argc == 3 ? std::strtoull(argv[2], nullptr, 10) : 0;
  if (!address || n == 0)
    return remora::testing::usage(argc, argv, "usage: remora-test-stage-client HOST:PORT N");
  remora::actors::control_plane cp;
  remora::actors::node_client::options o;
  o.address = *address;
  auto client = remora::actors::node_client::connect(cp, o);
  if (!client) {
    std::fprintf(stderr, "stage client: %s\n", client.err().message.c_str());
    return 1;
  }
  std::vector<std::uint64_t> ids(n);
  std::iota(ids.begin(), ids.end(), 1);
  if (!(*client)->allocate(ids, std::vector<std::uint32_t>(n, 64))) return 1;
  // The first of two parts, over the client's own connection (its session
  // is bound to it).
  auto& internals = cp.internals();
  auto node = remora::actors::remote_node(internals, address->host, address->port,
                                          std::chrono::seconds(10));
  if (!node) return 1;
  caf::scoped_actor self{internals.system};
  bool staged = false;
  self->request(*node, caf::duration{std::chrono::seconds(10)}, remora::actors::stage_atom::value,
                (*client)->session(), std::uint64_t{4242}, std::uint64_t{2}, std::uint64_t{0},
                std::vector<char>{'d'}, ids)
      .receive([&](std::uint64_t took) { staged = took == n; },
               [&](caf::error& e) {
                 std::fprintf(stderr, "stage refused: %s\n", internals.system.render(e).c_str());
               });
  if (!staged) return 1;
  std::printf("staged %zu\n", n);
  std::fflush(stdout);
  for (;;) ::pause();
}

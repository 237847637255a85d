// remora-test-use-session HOST:PORT SESSION ID: asks the memory node at
// HOST:PORT where object ID (hex) is, naming SESSION (hex), over a
// connection of its own and without a hello: what a client that learned
// another's session id could try. Prints "lookup OK" and exits 0, or
// "lookup refused: WHY" and exits 1. Tests of session binding run it.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "actors/control_plane.hpp"
#include "actors/control_plane_impl.hpp"
#include "actors/node_client.hpp"
#include "tests/support/usage.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    return remora::testing::usage(argc, argv,
                                  "usage: remora-test-use-session HOST:PORT SESSION ID");
  }
  auto address = remora::actors::node_address::parse(argv[1]);
  if (!address) {
    std::fprintf(stderr, "%s\n", address.err().message.c_str());
    return 2;
  }
  const std::uint64_t session = std::strtoull(argv[2], nullptr, 16);
  const std::vector<std::uint64_t> ids{std::strtoull(argv[3], nullptr, 16)};
  remora::actors::control_plane cp;
  auto& internals = cp.internals();
  auto node = remora::actors::remote_node(internals, address->host, address->port,
                                          std::chrono::seconds(10));
  if (!node) {
    std::printf("connect failed: %s\n", internals.system.render(node.error()).c_str());
    return 1;
  }
  int code = 1;
  {
    caf::scoped_actor self{internals.system};
    self->request(*node, caf::duration{std::chrono::seconds(10)},
                  remora::actors::lookup_atom::value, session, ids)
        .receive(
            [&](const std::vector<remora::actors::slot_location>&) {
              std::printf("lookup OK\n");
              code = 0;
            },
            [&](caf::error& e) {
              std::printf("lookup refused: %s\n", internals.system.render(e).c_str());
            });
  }
  std::fflush(stdout);
  return code;
}

// A memory-node client that allocates, writes and reads objects in a loop
// until killed: tests kill it mid-batch and check the node shrugs it off.
//   remora-test-churn-client HOST:PORT
#include <cstdio>
#include <vector>

#include "actors/node_client.hpp"
#include "tests/support/usage.hpp"

int main(int argc, char** argv) {
  auto address = remora::actors::node_address::parse(argc == 2 ? argv[1] : "");
  if (!address) {
    return remora::testing::usage(argc, argv, "usage: remora-test-churn-client HOST:PORT");
  }
  remora::actors::control_plane cp;
  remora::actors::node_client::options o;
  o.address = *address;
  auto client = remora::actors::node_client::connect(cp, o);
  if (!client) {
    std::fprintf(stderr, "churn client: %s\n", client.err().message.c_str());
    return 1;
  }
  std::vector<std::byte> data(64 << 10, std::byte{0x5a});
  for (std::uint64_t round = 0;; ++round) {
    std::vector<std::uint64_t> ids;
    std::vector<std::uint32_t> sizes;
    for (std::uint64_t i = 0; i < 64; ++i) {
      ids.push_back((0xc0ffeeull << 32) | (round * 64 + i + 1));
      sizes.push_back(static_cast<std::uint32_t>(data.size()));
    }
    auto where = (*client)->allocate(ids, sizes);
    if (!where) return 1;
    for (auto& w : *where)
      if (!(*client)->data().write(w, data)) return 1;
    if (round == 0) {
      std::printf("churning\n");
      std::fflush(stdout);
    }
    if (!(*client)->free(ids)) return 1;
  }
}

// remora-test-raw-get HOST:PORT TOKEN [ADDRESS LENGTH]: a client of the
// memory node at HOST:PORT (admitted with TOKEN) that prints the region it
// was given ("region BASE SIZE", hex and bytes) and then, given an ADDRESS
// (hex) and a LENGTH, reads those bytes with a raw UCX get through the
// region's remote key, past every check of Remora's own: what a malicious
// client could do. Prints "read OK <first 16 bytes, hex>" and exits 0, or
// "read failed: WHY" and exits 1. Tests of tenant isolation run it.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <ucp/api/ucp.h>

#include "actors/node_client.hpp"
#include "tests/support/usage.hpp"

namespace {

void print_bytes(const std::vector<std::byte>& bytes) {
  for (std::size_t i = 0; i < bytes.size() && i < 16; ++i)
    std::printf("%02x", static_cast<unsigned>(bytes[i]));
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 5) {
    return remora::testing::usage(argc, argv,
                                  "usage: remora-test-raw-get HOST:PORT TOKEN [ADDRESS LENGTH]");
  }
  auto address = remora::actors::node_address::parse(argv[1]);
  if (!address) {
    std::fprintf(stderr, "%s\n", address.err().message.c_str());
    return 2;
  }
  remora::actors::control_plane cp;
  remora::actors::node_client::options o;
  o.address = *address;
  o.auth_token = argv[2];
  auto client = remora::actors::node_client::connect(cp, o);
  if (!client) {
    std::printf("connect failed: %s\n", client.err().message.c_str());
    std::fflush(stdout);
    return 1;
  }
  const auto& region = (*client)->data().region();
  std::printf("region %#llx %zu\n", static_cast<unsigned long long>(region.base()), region.size());
  std::fflush(stdout);
  if (argc == 3) return 0;

  const std::uint64_t target = std::strtoull(argv[3], nullptr, 16);
  std::vector<std::byte> into(std::strtoull(argv[4], nullptr, 10));
  ucp_request_param_t param{};
  ucs_status_ptr_t request =
      ucp_get_nbx(region.link().native(), into.data(), into.size(), target, region.rkey(), &param);
  ucs_status_t status = UCS_OK;
  if (UCS_PTR_IS_ERR(request)) {
    status = UCS_PTR_STATUS(request);
  } else if (request != nullptr) {
    auto& worker = region.link().owner();
    for (int spins = 0; ucp_request_check_status(request) == UCS_INPROGRESS; ++spins) {
      if (spins > 50'000'000) {
        std::printf("read failed: no completion\n");
        return 1;
      }
      worker.progress();
    }
    status = ucp_request_check_status(request);
    ucp_request_free(request);
  }
  if (status != UCS_OK) {
    std::printf("read failed: %s\n", ucs_status_string(status));
    return 1;
  }
  std::printf("read OK ");
  print_bytes(into);
  return 0;
}

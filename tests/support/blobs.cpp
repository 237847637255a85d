// remora-test-blobs HOST:PORT STORE put|check COUNT BYTES: a client runtime
// in a process of its own that puts COUNT keys ("key-0" ...) of BYTES bytes
// each into blob store STORE, or checks that each holds what put wrote
// (byte j of key i is (i * 131 + j * 7) mod 251), printing "put N" or
// "checked N wrong W missing M".
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "remora/remora.hpp"
#include "tests/support/usage.hpp"

namespace {

std::vector<std::byte> value_of(std::uint64_t key, std::size_t bytes) {
  std::vector<std::byte> v(bytes);
  for (std::size_t j = 0; j < bytes; ++j) v[j] = std::byte((key * 131 + j * 7) % 251);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 6 ? argv[3] : "";
  if (mode != "put" && mode != "check") {
    return remora::testing::usage(argc, argv,
                                  "usage: remora-test-blobs HOST:PORT STORE put|check COUNT BYTES");
  }
  try {
    remora::Runtime rt(remora::Options{}.memory_node(argv[1]).dram_cache(4 << 20));
    remora::BlobStore store = rt.blob_store(argv[2]);
    const std::uint64_t count = std::stoull(argv[4]);
    const std::size_t bytes = std::stoull(argv[5]);
    if (mode == "put") {
      for (std::uint64_t i = 0; i < count; ++i)
        store.put("key-" + std::to_string(i), value_of(i, bytes));
      std::printf("put %llu\n", static_cast<unsigned long long>(count));
      return 0;
    }
    std::uint64_t wrong = 0, missing = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      auto v = store.get("key-" + std::to_string(i));
      if (!v)
        ++missing;
      else
        wrong += *v != value_of(i, bytes);
    }
    std::printf("checked %llu wrong %llu missing %llu\n", static_cast<unsigned long long>(count),
                static_cast<unsigned long long>(wrong), static_cast<unsigned long long>(missing));
    return wrong == 0 && missing == 0 ? 0 : 1;
  } catch (const remora::Error& e) {
    std::printf("error %s\n", e.what());
    return 1;
  }
}

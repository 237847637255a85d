// remora-fuzz-seeds DIR: writes the seed corpus (DIR/wire, DIR/slot,
// DIR/text): real messages, a real slot, real option values, so that
// fuzzing starts from inputs that decode.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/preamble.hpp"
#include "objects/published_array.hpp"
#include "storage/packed_payload.hpp"
#include "storage/slot.hpp"

namespace {

void write(const std::filesystem::path& file, const void* data, std::size_t size) {
  std::ofstream(file, std::ios::binary).write(static_cast<const char*>(data), size);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: remora-fuzz-seeds DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  for (const char* sub : {"wire", "slot", "text"}) std::filesystem::create_directories(dir / sub);
  caf::actor_system_config config;
  remora::actors::register_message_types(config);
  config.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system system{config};
  using namespace remora::actors;
  int n = 0;
  auto save = [&](const auto& value) {
    std::vector<char> bytes;
    caf::binary_serializer sink{system, bytes};
    if (auto err = sink(const_cast<std::decay_t<decltype(value)>&>(value))) return;
    write(dir / "wire" / ("seed-" + std::to_string(n++)), bytes.data(), bytes.size());
  };
  save(caf::make_message(hello_atom::value, std::string("token"), protocol_version,
                         std::uint64_t{77}));
  save(caf::make_message(alloc_atom::value, std::uint64_t{5}, std::vector<std::uint64_t>{1, 2},
                         std::vector<std::uint32_t>{64, 4096}));
  save(caf::make_message(free_atom::value, std::uint64_t{5}, std::vector<std::uint64_t>{1}));
  save(caf::make_message(lookup_atom::value, std::uint64_t{5}, std::vector<std::uint64_t>{2}));
  save(caf::make_message(stats_atom::value));
  save(caf::make_message(drain_atom::value, std::string("token"), true));
  save(caf::make_message(gather_atom::value, std::vector<std::uint64_t>{3, 4}));
  save(caf::make_message(publish_atom::value, std::uint64_t{5}, std::uint64_t{100},
                         std::string("table"), std::vector<char>{'d'},
                         std::vector<std::uint64_t>{1, 2}));
  save(caf::make_message(stage_atom::value, std::uint64_t{5}, std::uint64_t{100}, std::uint64_t{2},
                         std::uint64_t{0}, std::vector<char>{'d'}, std::vector<std::uint64_t>{1}));
  save(caf::make_message(open_atom::value, std::uint64_t{5}, std::string("table")));
  save(caf::make_message(describe_atom::value, std::uint64_t{5}, std::uint64_t{100},
                         std::uint64_t{1}));
  save(caf::make_message(close_atom::value, std::uint64_t{5}, std::uint64_t{100}));
  save(caf::make_message(unpublish_atom::value, std::uint64_t{5}, std::string("table")));
  save(caf::make_message(retract_atom::value, std::uint64_t{5}, std::uint64_t{100}));
  save(publication_reply{100, 0, 2, 1, {'d'}});
  save(hello_reply{1, 2, {'a'}, {'b'}, 1 << 20, 4096});
  save(node_stats{});
  save(std::vector<slot_location>{{1, 4096, 3, 64, 104}});

  std::vector<std::byte> slot(remora::storage::slot_bytes(64));
  remora::storage::write_slot(slot.data(), 0x1234, 7, 64,
                              remora::storage::crc32c(std::span<const std::byte>(
                                  slot.data() + remora::storage::payload_offset, 64)));
  std::vector<std::byte> seed(12 + slot.size());
  const std::uint64_t id = 0x1234;
  const std::uint32_t version = 7;
  std::memcpy(seed.data(), &id, 8);
  std::memcpy(seed.data() + 8, &version, 4);
  std::memcpy(seed.data() + 12, slot.data(), slot.size());
  write(dir / "slot" / "seed-0", seed.data(), seed.size());
  // A packed payload of 8 KiB (packed_payload.hpp), as the copy.
  std::vector<std::byte> raw(remora::storage::packed_min_size), packed(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::byte>(i / 64);
  const std::size_t part = remora::storage::pack_payload(raw, packed);
  std::fill(packed.begin() + static_cast<std::ptrdiff_t>(part), packed.end(), std::byte{0});
  std::vector<std::byte> packed_seed(12 + packed.size());
  std::memcpy(packed_seed.data(), &id, 8);
  std::memcpy(packed_seed.data() + 8, &version, 4);
  std::memcpy(packed_seed.data() + 12, packed.data(), packed.size());
  write(dir / "slot" / "seed-2", packed_seed.data(), packed_seed.size());
  remora::objects::published_array table;  // a description, as a node returns it
  table.element_bytes = 8;
  table.size = 2050;
  table.per_chunk = 2048;
  table.node_ids = {11, 12};
  table.chunks = {{{.id = 1, .offset = 0, .version = 3, .size = 2048 * 8}, 0},
                  {{.id = 2, .offset = 16448, .version = 4, .size = 16}, 0}};
  table.extra = {{.chunk = 1, .home = 1, .offset = 64, .version = 2}};
  const auto description = table.encode();
  write(dir / "slot" / "seed-1", description.data(), description.size());

  int t = 0;
  for (const std::string text : {"127.0.0.1:4242", "[::1]:80", "node-7.example:65535", "8GiB",
                                 "1.5 MiB", "64KiB", "etcd://10.0.0.9:2379/remora", "etcd://h:1/"})
    write(dir / "text" / ("seed-" + std::to_string(t++)), text.data(), text.size());
  const std::string preamble = remora::actors::make_preamble("a token");
  write(dir / "text" / ("seed-" + std::to_string(t++)), preamble.data(), preamble.size());
  std::printf("seeds written to %s\n", dir.c_str());
  return 0;
}

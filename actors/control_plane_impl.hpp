// What control_plane hides: the CAF configuration and actor system. Include
// only from actors/.
#pragma once

#include <chrono>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/control_plane.hpp"
#include "actors/messages.hpp"
#include "actors/thread_logger.hpp"

namespace remora::actors {

class remora_config : public caf::actor_system_config {
 public:
  remora_config(const tls_options& tls, unsigned scheduler_threads);
};

struct control_plane::impl {
  impl(const tls_options& tls, unsigned scheduler_threads)
      : config(tls, scheduler_threads), system(config), tls(tls.enabled()) {
    drop_thread_logger();
  }
  remora_config config;
  caf::actor_system system;
  bool tls;
};

/// Publishes `whom` on host:port (0: a free port), over TLS when the control
/// plane has certificates. Returns the port. (Memory nodes publish through
/// their front door: front_door.hpp.)
caf::expected<std::uint16_t> publish(control_plane::impl& cp, const gather_actor& whom,
                                     const std::string& host, std::uint16_t port);

/// Connects to the memory node published on host:port, over TLS when
/// configured, within `timeout` (sec::request_timeout after it: a peer that
/// accepts TCP but never finishes CAF's handshake, a stopped process, does
/// not hold the caller).
caf::expected<memory_node_actor> remote_node(control_plane::impl& cp, const std::string& host,
                                             std::uint16_t port, std::chrono::milliseconds timeout);

/// Connects to the gather service published on host:port, as remote_node.
caf::expected<gather_actor> remote_gather(control_plane::impl& cp, const std::string& host,
                                          std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace remora::actors

// What control_plane hides: the CAF configuration and actor system. Include
// only from actors/.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/control_plane.hpp"
#include "actors/messages.hpp"
#include "actors/thread_logger.hpp"
#include "transport/mutex.hpp"

namespace remora::actors {

class remora_config : public caf::actor_system_config {
 public:
  remora_config(const tls_options& tls, unsigned scheduler_threads);
};

/// The tokens to open connections to memory nodes with, by address
/// (preamble.hpp). Thread-safe.
class node_tokens {
 public:
  void set(const std::string& host, std::uint16_t port, const std::string& token);
  std::string of(const std::string& host, std::uint16_t port) const;

 private:
  mutable transport::mutex mutex_;
  std::map<std::pair<std::string, std::uint16_t>, std::string> tokens_ REMORA_GUARDED_BY(mutex_);
};

struct control_plane::impl {
  impl(const tls_options& tls, unsigned scheduler_threads);
  ~impl();
  remora_config config;
  caf::actor_system system;
  bool tls;
  // Plain TCP: connections to memory nodes open with the preamble of the
  // token given for their address, through a middleman actor of our own.
  std::shared_ptr<node_tokens> tokens = std::make_shared<node_tokens>();
  caf::io::middleman_actor node_connector;
};

/// Publishes `whom` on host:port (0: a free port), over TLS when the control
/// plane has certificates. Returns the port. (Memory nodes publish through
/// their front door: front_door.hpp.)
caf::expected<std::uint16_t> publish(control_plane::impl& cp, const gather_actor& whom,
                                     const std::string& host, std::uint16_t port);

/// Connects to the memory node published on host:port, over TLS when
/// configured, within `timeout` (sec::request_timeout after it: a peer that
/// accepts TCP but never finishes CAF's handshake, a stopped process, does
/// not hold the caller). Over TCP the connection opens with `token`'s
/// preamble (preamble.hpp; a connection this process has to the node
/// already is used as it is).
caf::expected<memory_node_actor> remote_node(control_plane::impl& cp, const std::string& host,
                                             std::uint16_t port, std::chrono::milliseconds timeout,
                                             const std::string& token = {});

/// Connects to the gather service published on host:port, as remote_node.
caf::expected<gather_actor> remote_gather(control_plane::impl& cp, const std::string& host,
                                          std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace remora::actors

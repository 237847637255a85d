// front_door: what a peer can make a memory node do before the node admits
// it.
//
// CAF 0.17's BASP reads a message's 32-byte header and then reserves the
// length it claims, before anything is checked: four connections that each
// sent one header claiming 256 MiB grew a node by 750 MB; its decoder sizes
// a byte sequence by the length the bytes claim; and a connection that says
// nothing stays open for good. A node publishes through its front door
// instead, which accepts with CAF's own code (its doorman, and its streams
// over TCP or, with CAF's openssl module loaded, TLS) and
//   - over TCP, reads a preamble (preamble.hpp) before BASP reads a byte: a
//     connection that does not open with one of the node's tokens is closed
//     without BASP ever seeing it, and one that does is admitted;
//   - over TLS, where the handshake with client certificates comes first,
//     lets a connection not yet admitted (its client said hello with a good
//     token: admit()) ask BASP to read at most `preauth_bytes` in all: a
//     header claiming more closes it before anything is reserved;
//   - closes a connection not admitted when `handshake_timeout` passes;
//   - closes new connections as they are accepted while `max_connections`
//     are open.
// Admitted connections read as CAF's own do.
//
// Thread-safety: admit() and figures() from any thread. Destroy before the
// actor system ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

namespace remora::actors {

class front_door {
 public:
  struct options {
    std::size_t max_connections = 1024;
    std::chrono::milliseconds handshake_timeout{10'000};
    std::size_t preauth_bytes = 64 << 10;  // TLS: what BASP may read before a hello
    // Over TCP, a connection opens with a preamble (preamble.hpp) naming one
    // of these tokens; none: any token.
    std::vector<std::string> tokens;
  };

  struct counts {
    std::uint64_t open = 0;      // connections open now
    std::uint64_t refused = 0;   // closed as accepted: max_connections were open
    std::uint64_t expired = 0;   // closed: not admitted within handshake_timeout
    std::uint64_t oversize = 0;  // closed: asked to read past preauth_bytes unadmitted
    std::uint64_t unknown = 0;   // closed: did not open with a preamble and a known token
  };

  front_door(caf::actor_system& system, const options& o);
  ~front_door();
  front_door(const front_door&) = delete;
  front_door& operator=(const front_door&) = delete;

  /// Publishes `whom` (with its message signatures) on host:port (0: a free
  /// port) behind the door; the port.
  caf::expected<std::uint16_t> publish(const caf::strong_actor_ptr& whom,
                                       std::set<std::string> signatures, const std::string& host,
                                       std::uint16_t port);

  /// Whether a hello admits its connection (TLS); over TCP the preamble
  /// did already.
  bool admits_at_hello() const;

  /// Lifts the limits from the connection whose peer is host:port, as the
  /// node sees it (caf::io::middleman's get_atom for the peer's node).
  /// Nothing happens for a peer that did not come through the door.
  void admit(const std::string& host, std::uint16_t port);

  counts figures() const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace remora::actors

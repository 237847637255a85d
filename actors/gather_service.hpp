// gather_service: the actor that serves row gathers of a table held in an
// Array<float> (rows of `width` floats, row r at elements r*width ...), and
// a client of one published elsewhere. A gather fetches the chunks of all
// its rows in one batch, then copies row after row; a row id past the table
// is refused with InvalidObject naming it, and nothing is gathered.
//
// The actor serves remote callers, through its mailbox, one gather at a
// time; in-process callers gather on their own threads beside it
// (objects::gather_rows: an Array has any number of readers), and no lock
// is held across fetches. It runs detached: a deref that misses waits on a
// fetch, and that must not stall the scheduler's other actors.
//
// Thread-safety: gather_client::gather() may be called from any number of
// threads; construct and destroy from one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "actors/control_plane.hpp"
#include "remora/array.hpp"
#include "transport/result.hpp"

namespace remora::actors {

class gather_service {
 public:
  /// REQUIRES: `table` and `cp` outlive the service; nothing writes
  /// `table` until the service is destroyed; table.size() is a multiple of
  /// `width` > 0.
  gather_service(control_plane& cp, Array<float>& table, std::size_t width);
  ~gather_service();  // unpublishes, stops the actor and waits for it
  gather_service(const gather_service&) = delete;
  gather_service& operator=(const gather_service&) = delete;

  /// Listens on host:port (0: a free port) for gather_clients; returns the port.
  transport::result<std::uint16_t> publish(const std::string& host, std::uint16_t port);

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

class gather_client {
 public:
  /// Connects to the service on host:port with an actor system of its own
  /// (TLS with `tls`, as the service's runtime speaks it), within `timeout`,
  /// which bounds each gather after too. Errors: peer_unreachable (nobody
  /// there, or the handshake failed).
  static transport::result<std::unique_ptr<gather_client>> connect(
      const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
      const tls_options& tls = {});
  ~gather_client();

  /// As gather_service::gather, over the connection, with its errors as
  /// codes (make_remora_error); peer_unreachable when the service went away,
  /// timeout when it did not answer in time.
  transport::result<std::vector<float>> gather(std::vector<std::uint64_t> rows);

  struct impl;

 private:
  explicit gather_client(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace remora::actors

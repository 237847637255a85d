// GatherServer and GatherClient: a row-gather service over a table held in
// an Array<float> of rows * width floats (row r is elements r*width ...
// r*width+width-1): what an embedding lookup does. A gather names row ids and
// gets back their floats, row after row. The server fetches all the rows'
// chunks in one batch, then copies; hot rows stay in the fastest local tier
// by the cache's CLOCK, cold ones come from the memory nodes.
//
// In-process gathers run on the caller's thread; remote ones on the server's
// actor (a thread of its own, as misses block). They all read the table at
// once, as an Array's readers may, so nothing may write the table while the
// server lives.
// Thread-safety: gather() of both classes may be called from any number of
// threads at once; construct and destroy each from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "remora/array.hpp"
#include "remora/array_view.hpp"
#include "remora/options.hpp"
#include "remora/runtime.hpp"

namespace remora {

namespace actors {
class gather_service;
class gather_client;
}  // namespace actors

class GatherServer {
 public:
  /// Serves `table` in `rt`'s actor system. REQUIRES: rt and table outlive
  /// the server; nothing writes `table` until the server is destroyed.
  /// Throws ConfigError when width is 0 or does not divide table.size().
  GatherServer(Runtime& rt, Array<float>& table, std::size_t width);
  /// Serves a published table (Runtime::open_array): servers in several
  /// processes may serve one table. The server holds its own copy of the
  /// view. REQUIRES: rt outlives the server.
  GatherServer(Runtime& rt, const ArrayView<float>& table, std::size_t width);
  ~GatherServer();
  GatherServer(const GatherServer&) = delete;
  GatherServer& operator=(const GatherServer&) = delete;

  /// Listens for GatherClients on host:port (0: a free port); returns the
  /// port. Throws NodeUnavailable when it cannot listen there.
  std::uint16_t publish(const std::string& host, std::uint16_t port = 0);

  /// The rows' floats (rows.size() * width), gathered on this thread.
  /// Throws InvalidObject naming a row past the table's end (nothing is
  /// gathered then), and what a fetch throws (NodeUnavailable when a node
  /// does not answer within the Runtime's timeout, ObjectLost,
  /// OutOfMemory).
  std::vector<float> gather(std::span<const std::uint64_t> rows);

  std::size_t width() const { return width_; }
  std::uint64_t rows() const { return rows_; }

 private:
  std::shared_ptr<void> view_;     // a published table's view, held while serving
  Array<float>* table_ = nullptr;  // what gather() reads: the table, or the view's
  std::unique_ptr<actors::gather_service> service_;
  std::size_t width_;
  std::uint64_t rows_;
};

class GatherClient {
 public:
  /// Connects to a GatherServer published on host:port. `timeout` bounds
  /// every gather. Throws NodeUnavailable when nobody serves there.
  GatherClient(const std::string& host, std::uint16_t port,
               std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// The same, with `options`' timeout and TLS files (Options::tls): the
  /// way to reach a server whose Runtime speaks TLS. Throws ConfigError when
  /// a TLS file cannot be read.
  GatherClient(const std::string& host, std::uint16_t port, const Options& options);
  ~GatherClient();
  GatherClient(const GatherClient&) = delete;
  GatherClient& operator=(const GatherClient&) = delete;

  /// As GatherServer::gather, over TCP. Throws InvalidObject for a row past
  /// the table's end, NodeUnavailable when the server is gone or does not
  /// answer within the timeout.
  std::vector<float> gather(std::span<const std::uint64_t> rows);

 private:
  std::unique_ptr<actors::gather_client> client_;
};

}  // namespace remora

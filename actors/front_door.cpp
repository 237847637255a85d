#include "actors/front_door.hpp"

#include <sys/socket.h>

#include <atomic>
#include <deque>
#include <map>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/io/middleman_actor_impl.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/doorman_impl.hpp>
#include <caf/io/network/stream_impl.hpp>
#include <caf/openssl/session.hpp>
#include <caf/policy/tcp.hpp>

#include "actors/preamble.hpp"
#include "actors/thread_logger.hpp"
#include "transport/mutex.hpp"

namespace remora::actors {

namespace {

namespace net = caf::io::network;
using clock = std::chrono::steady_clock;
using peer = std::pair<std::string, std::uint16_t>;  // host, port, as the node sees them

class door_connection;
using connection_ptr = caf::intrusive_ptr<door_connection>;

// What the door's doorman, its connections and its timer share; it lives as
// long as the last of them.
struct door_state {
  door_state(net::default_multiplexer& m, const front_door::options& o, bool t)
      : mpx(m), opts(o), tls(t) {}

  // Constant after construction.
  net::default_multiplexer& mpx;
  const front_door::options opts;
  // Connections speak TLS (CAF's openssl module, configured); otherwise
  // plain TCP, which opens with a preamble (preamble.hpp).
  const bool tls;

  std::atomic<std::uint64_t> open{0}, refused{0}, expired{0}, oversize{0}, unknown{0};

  // State below is guarded by mutex.
  struct waiting_connection {
    std::uint64_t serial;
    door_connection* connection;  // attached to BASP: BASP holds a reference
  };
  transport::mutex mutex;
  transport::condition_variable wake;  // the timer: a deadline added, or stopping
  std::map<peer, waiting_connection> waiting REMORA_GUARDED_BY(mutex);  // open, not admitted yet
  struct deadline {
    clock::time_point when;
    peer who;
    std::uint64_t serial;
  };
  // In time order (one timeout for all).
  std::deque<deadline> deadlines REMORA_GUARDED_BY(mutex);
  std::uint64_t serials REMORA_GUARDED_BY(mutex) = 0;
  bool stopping REMORA_GUARDED_BY(mutex) = false;
};

// Where `fd`'s peer is, as CAF names it to BASP (remote_addr, remote_port).
peer peer_of(net::native_socket fd) {
  auto host = net::remote_addr_of_fd(fd);
  auto port = net::remote_port_of_fd(fd);
  return {host ? *host : std::string{}, port ? *port : std::uint16_t{0}};
}

// One accepted connection as BASP sees it (a scribe). Until it is admitted,
// over TCP it reads the preamble before BASP reads a byte (which admits it
// or closes it); over TLS the reads BASP asks for are counted against the
// door's budget until a hello admits it. Its reads and closes run on the
// multiplexer's thread; admit() on any.
class door_connection : public caf::io::scribe {
 public:
  door_connection(std::shared_ptr<door_state> door, net::native_socket fd)
      : scribe(net::conn_hdl_from_socket(fd)),
        door_(std::move(door)),
        budget_(door_->opts.preauth_bytes),
        awaiting_preamble_(!door_->tls),
        peer_{peer_of(fd)} {
    ++door_->open;
  }

  ~door_connection() override { closed(); }

  const peer& remote() const { return peer_; }
  bool admitted() const { return admitted_.load(std::memory_order_acquire); }
  void admit() { admitted_.store(true, std::memory_order_release); }

  // BASP asks for a header, then for the payload the header claims: a claim
  // past what is left of the budget is never reserved, and the connection
  // closes once BASP returns (consume). Over TCP, BASP's first read waits
  // for the preamble, which BASP never sees.
  void configure_read(caf::io::receive_policy::config config) final {
    if (awaiting_preamble_) {
      basp_read_ = config;
      if (!preamble_asked_) read(caf::io::receive_policy::exactly(preamble_head_bytes));
      preamble_asked_ = true;
      return;
    }
    if (!admitted()) {
      if (config.second > budget_) {
        over_budget_ = true;
        return;
      }
      budget_ -= config.second;
    }
    read(config);
  }

  bool consume(caf::execution_unit* ctx, const void* buf, std::size_t bytes) final {
    if (awaiting_preamble_) return take_preamble(ctx, static_cast<const char*>(buf), bytes);
    const bool more = scribe::consume(ctx, buf, bytes);
    if (!over_budget_) return more;
    ++door_->oversize;
    close(ctx);
    return false;  // the stream stops reading
  }

  // BASP's writes wait for the preamble's verdict, which goes first.
  void flush() final {
    if (!awaiting_preamble_) send_written();
  }

  // The handshake time is up. On the multiplexer's thread.
  void expire() {
    if (admitted() || detached()) return;
    ++door_->expired;
    close(&door_->mpx);
  }

 protected:
  virtual void read(caf::io::receive_policy::config config) = 0;
  virtual void send_written() = 0;  // what wr_buf() holds
  virtual net::native_socket fd() const = 0;

  // Closed, for whatever reason: BASP lets go of it (its reference goes).
  void detach_from(caf::io::abstract_broker* broker) final {
    closed();
    scribe::detach_from(broker);
  }

 private:
  // The preamble's head, then its token: one of the node's admits the
  // connection, and BASP's first read and writes go on after the verdict
  // (preamble.hpp); anything else is told why and closed.
  bool take_preamble(caf::execution_unit* ctx, const char* bytes, std::size_t size) {
    if (!token_length_) {
      token_length_ = preamble_token_length(bytes);
      if (!token_length_) return refuse(ctx, "not a Remora client of this version");
      if (*token_length_ > 0) {
        read(caf::io::receive_policy::exactly(*token_length_));
        return true;
      }
      size = 0;
    }
    if (!token_known(door_->opts.tokens, std::string(bytes, size)))
      return refuse(ctx, size == 0 ? "this node requires an auth token" : "wrong auth token");
    awaiting_preamble_ = false;
    admit();
    forget();
    auto& out = wr_buf();
    out.insert(out.begin(), preamble_accepted);
    send_written();
    read(basp_read_);
    return true;
  }

  bool refuse(caf::execution_unit* ctx, const std::string& why) {
    ++door_->unknown;
    // Straight to the socket: a line, far less than its buffer holds.
    const std::string verdict = preamble_refused + why + "\n";
    (void)::send(fd(), verdict.data(), verdict.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    close(ctx);
    return false;  // the stream stops reading
  }

  // As a failed read would: BASP sees the connection closed and forgets it;
  // the peer sees it end at once, not when the last reference goes (what
  // was sent goes first).
  void close(caf::execution_unit* ctx) {
    ::shutdown(fd(), SHUT_RDWR);
    io_failure(ctx, net::operation::read);
  }

  void closed() {
    if (closed_) return;
    closed_ = true;
    forget();
    --door_->open;
  }

  // Out of the timer's sight: admitted or closed.
  void forget() {
    transport::lock_guard held(door_->mutex);
    auto it = door_->waiting.find(peer_);
    if (it != door_->waiting.end() && it->second.connection == this) door_->waiting.erase(it);
  }

  const std::shared_ptr<door_state> door_;
  std::size_t budget_;  // bytes BASP may still ask for before admission
  bool over_budget_ = false;
  bool closed_ = false;
  bool awaiting_preamble_;
  bool preamble_asked_ = false;
  std::optional<std::size_t> token_length_;      // the preamble's, once its head came
  caf::io::receive_policy::config basp_read_{};  // BASP's first read, after the preamble
  std::atomic<bool> admitted_{false};
  const peer peer_;
};

// CAF's openssl session as a stream policy: TLS over the socket.
struct tls_policy {
  explicit tls_policy(caf::openssl::session_ptr s) : session(std::move(s)) {}
  net::rw_state read_some(std::size_t& got, net::native_socket fd, void* buf, std::size_t n) {
    return session->read_some(got, fd, buf, n);
  }
  net::rw_state write_some(std::size_t& put, net::native_socket fd, const void* buf,
                           std::size_t n) {
    return session->write_some(put, fd, buf, n);
  }
  bool must_read_more(net::native_socket fd, std::size_t threshold) {
    return session->must_read_more(fd, threshold);
  }
  caf::openssl::session_ptr session;
};

// A door connection over a stream of CAF's with `Policy`: caf::policy::tcp,
// or tls_policy. What CAF's own scribes do, by the door's rules.
template <class Policy>
class gated_connection final : public door_connection {
 public:
  template <class... Ts>
  gated_connection(std::shared_ptr<door_state> door, net::native_socket fd, Ts&&... policy)
      : door_connection(door, fd), stream_(door->mpx, fd, std::forward<Ts>(policy)...) {}

  void ack_writes(bool enable) override { stream_.ack_writes(enable); }
  std::vector<char>& wr_buf() override { return stream_.wr_buf(); }
  std::vector<char>& rd_buf() override { return stream_.rd_buf(); }
  void send_written() override { stream_.flush(this); }
  void add_to_loop() override { stream_.activate(this); }
  void remove_from_loop() override { stream_.passivate(); }

  void graceful_shutdown() override {
    stream_.graceful_shutdown();
    detach(&stream_.backend(), false);
  }

  std::string addr() const override { return remote().first; }
  std::uint16_t port() const override { return remote().second; }

 protected:
  void read(caf::io::receive_policy::config config) override {
    stream_.configure_read(config);
    if (launched_) return;
    launched_ = true;
    stream_.start(this);
    // TLS: a first write lets the handshake go on (as CAF's openssl module).
    if constexpr (std::is_same_v<Policy, tls_policy>) stream_.force_empty_write(this);
  }

  net::native_socket fd() const override { return stream_.fd(); }

 private:
  bool launched_ = false;
  net::stream_impl<Policy> stream_;
};

// The listening socket: CAF's doorman, which turns away connections past
// the cap and hands the others to BASP as gated connections.
class gated_doorman final : public net::doorman_impl {
 public:
  gated_doorman(std::shared_ptr<door_state> door, net::native_socket fd)
      : doorman_impl(door->mpx, fd), door_(std::move(door)) {}

  bool new_connection() override {
    if (detached()) return false;
    const net::native_socket fd = acceptor_.accepted_socket();
    if (door_->open.load() >= door_->opts.max_connections) {
      ++door_->refused;
      net::close_socket(fd);
      return true;
    }
    connection_ptr connection;
    if (door_->tls) {
      net::nonblocking(fd, true);
      auto session = caf::openssl::make_session(parent()->system(), fd, true);
      if (!session) {  // its handshake failed at once
        net::close_socket(fd);
        return true;
      }
      connection = caf::make_counted<gated_connection<tls_policy>>(door_, fd, std::move(session));
    } else {
      net::keepalive(fd, true);  // as CAF's own connections
      connection = caf::make_counted<gated_connection<caf::policy::tcp>>(door_, fd);
    }
    const auto handle = connection->hdl();
    {
      transport::lock_guard held(door_->mutex);
      const std::uint64_t serial = ++door_->serials;
      door_->waiting[connection->remote()] = {serial, connection.get()};
      door_->deadlines.push_back(
          {clock::now() + door_->opts.handshake_timeout, connection->remote(), serial});
      parent()->add_scribe(std::move(connection));  // before anyone may look it up
    }
    door_->wake.notify_one();
    return doorman::new_connection(&door_->mpx, handle);
  }

 private:
  const std::shared_ptr<door_state> door_;
};

// The middleman actor the door publishes through: CAF's, listening with a
// gated doorman.
class door_middleman final : public caf::io::middleman_actor_impl {
 public:
  door_middleman(caf::actor_config& cfg, caf::actor basp, std::shared_ptr<door_state> door)
      : middleman_actor_impl(cfg, std::move(basp)), door_(std::move(door)) {}

 protected:
  caf::expected<caf::io::doorman_ptr> open(std::uint16_t port, const char* addr,
                                           bool reuse) override {
    auto fd = net::new_tcp_acceptor_impl(port, addr, reuse);
    if (!fd) return std::move(fd.error());
    return caf::io::doorman_ptr{caf::make_counted<gated_doorman>(door_, *fd)};
  }

 private:
  const std::shared_ptr<door_state> door_;
};

}  // namespace

struct front_door::impl {
  impl(caf::actor_system& s, const options& o)
      : system(s),
        door(std::make_shared<door_state>(
            dynamic_cast<net::default_multiplexer&>(s.middleman().backend()), o,
            s.has_openssl_manager())) {
    acceptor = system.spawn<door_middleman, caf::hidden>(
        system.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP")), door);
    drop_thread_logger();
    timer = std::thread([this] { expire_late(); });
  }

  ~impl() {
    {
      transport::lock_guard held(door->mutex);
      door->stopping = true;
    }
    door->wake.notify_one();
    timer.join();
    caf::anon_send_exit(acceptor, caf::exit_reason::user_shutdown);
  }

  // The timer: closes each connection not admitted by its deadline.
  void expire_late() {
    transport::unique_lock held(door->mutex);
    while (!door->stopping) {
      if (door->deadlines.empty()) {
        door->wake.wait(held);
        continue;
      }
      const auto next = door->deadlines.front();
      if (clock::now() < next.when) {
        door->wake.wait_until(held, next.when);
        continue;
      }
      door->deadlines.pop_front();
      auto it = door->waiting.find(next.who);
      if (it == door->waiting.end() || it->second.serial != next.serial) continue;  // gone or in
      connection_ptr due{it->second.connection};  // safe: BASP holds one while it waits
      door->waiting.erase(it);
      held.unlock();
      door->mpx.post([due] { due->expire(); });
      due.reset();  // outside the lock: a last reference takes it
      held.lock();
    }
  }

  caf::actor_system& system;
  const std::shared_ptr<door_state> door;
  caf::io::middleman_actor acceptor;
  std::thread timer;
};

front_door::front_door(caf::actor_system& system, const options& o)
    : impl_(std::make_unique<impl>(system, o)) {}

front_door::~front_door() = default;

caf::expected<std::uint16_t> front_door::publish(const caf::strong_actor_ptr& whom,
                                                 std::set<std::string> signatures,
                                                 const std::string& host, std::uint16_t port) {
  caf::expected<std::uint16_t> result = caf::make_error(caf::sec::request_timeout);
  {
    caf::scoped_actor self{impl_->system};
    self->request(impl_->acceptor, caf::duration{std::chrono::seconds(30)},
                  caf::publish_atom::value, port, whom, std::move(signatures), host, true)
        .receive([&](std::uint16_t actual) { result = actual; },
                 [&](caf::error& e) { result = std::move(e); });
  }
  drop_thread_logger();
  return result;
}

bool front_door::admits_at_hello() const {
  return impl_->door->tls;
}

void front_door::admit(const std::string& host, std::uint16_t port) {
  transport::lock_guard held(impl_->door->mutex);
  auto it = impl_->door->waiting.find({host, port});
  if (it == impl_->door->waiting.end()) return;
  it->second.connection->admit();
  impl_->door->waiting.erase(it);
}

front_door::counts front_door::figures() const {
  const auto& d = *impl_->door;
  return {d.open.load(), d.refused.load(), d.expired.load(), d.oversize.load(), d.unknown.load()};
}

}  // namespace remora::actors

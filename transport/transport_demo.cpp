// remora-transport-demo: moves data between two processes over UCX on
// loopback and prints the bandwidth. With no arguments it starts a serving
// copy of itself, reads the server's whole region one-sided (verifying every
// byte), writes and checks a region back through an active-message checksum,
// and measures batched gets of 1 MiB and 64 B.
//
//   remora-transport-demo                      # serve + measure, one command
//   remora-transport-demo --serve --port=0     # only serve (tests, benchmarks)
//   remora-transport-demo --connect=H:P        # only measure, against a server
//   remora-transport-demo --measure=1MiB       # one machine-readable line
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "cli/cli.hpp"
#include "transport/batch.hpp"
#include "transport/bootstrap.hpp"
#include "transport/byte_size.hpp"
#include "transport/progress_thread.hpp"
#include "transport/region.hpp"
#include "transport/test_pattern.hpp"

namespace rt = remora::transport;
using namespace std::chrono_literals;

namespace {

struct flags {
  bool serve = false, stall = false;
  std::string bind = "127.0.0.1", connect;
  std::uint16_t port = 0;
  std::uint64_t size = 64ull << 20, seed = 1;
  double seconds = 1;
  std::optional<std::uint64_t> measure;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "remora-transport-demo: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T need(rt::result<T> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.err().message);
  return std::move(r).value();
}

void need(rt::result<void> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.err().message);
}

// The command line into `f`: nothing when the program goes on, else its
// exit code (--help, --version, a usage error).
std::optional<int> parse(int argc, char** argv, flags& f) {
  remora::cli::command_line app{
      "Moves data between two processes over UCX and prints the bandwidth. UCX picks "
      "the transports (UCX_TLS to choose); UCX_NET_DEVICES defaults to lo.",
      "remora-transport-demo"};
  app.flag("--serve", f.serve, "serve a region until SIGINT/SIGTERM");
  app.add("--bind", f.bind, "address to serve on");
  app.add("--port", f.port, "port to serve on; 0 picks a free one");
  app.bytes("--size", f.size, "size of the served region").default_text("64MiB");
  app.add("--seed", f.seed, "pattern seed of the served bytes");
  app.flag("--stall", f.stall, "serve without ever progressing (a peer that never answers)");
  app.add("--connect", f.connect, "measure against a running server instead of starting one")
      .type_name("HOST:PORT");
  app.add("--seconds", f.seconds, "time per measurement").positive();
  std::uint64_t measure = 0;
  auto measure_option = app.bytes("--measure", measure,
                                  "measure only gets of this size; print one line of key=value");
  if (auto code = app.parse(argc, argv)) return code;
  if (f.size == 0) return app.usage_error("--size must be above 0");
  if (measure_option.given()) {
    if (measure == 0) return app.usage_error("--measure must be above 0");
    f.measure = measure;
  }
  if (!f.connect.empty() && f.connect.rfind(':') == std::string::npos)
    return app.usage_error("--connect wants HOST:PORT");
  return std::nullopt;
}

volatile sig_atomic_t stop_requested = 0;

void serve(const flags& f, int notify_fd) {
  struct sigaction sa {};
  sa.sa_handler = [](int) { stop_requested = 1; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  auto ucx = need(rt::local_ucx::open(), "UCX");
  auto& w = ucx.worker;
  auto memory = need(rt::region::allocate(*ucx.ctx, f.size), "allocating the region");
  rt::fill_test_pattern(f.seed, 0, std::span(memory.data(), f.size));
  need(w->on_am(rt::demo_checksum_request,
                [&memory](std::span<const std::byte> payload, const rt::am_reply& reply) {
                  std::uint64_t range[2] = {0, 0};
                  rt::bytes answer;
                  if (payload.size() == sizeof range) {
                    std::memcpy(range, payload.data(), sizeof range);
                    if (range[0] <= memory.size() && range[1] <= memory.size() - range[0]) {
                      std::uint32_t sum = rt::fnv1a({memory.data() + range[0], range[1]});
                      answer.resize(4);
                      std::memcpy(answer.data(), &sum, 4);
                    }
                  }
                  (void)reply.send(rt::demo_checksum_reply, answer);
                }),
       "active-message handler");
  rt::hello h{need(w->address(), "worker address"), need(memory.pack_key(), "remote key")};
  auto listener = need(rt::tcp_listener::open(f.bind, f.port), "listening");
  std::printf("remora-transport-demo listening on %s:%u (region %s)\n", f.bind.c_str(),
              listener.port(), rt::format_byte_size(f.size).c_str());
  std::fflush(stdout);
  if (notify_fd >= 0) {
    std::string port = std::to_string(listener.port()) + "\n";
    (void)!::write(notify_fd, port.data(), port.size());
    ::close(notify_fd);
  }
  std::optional<rt::progress_thread> progress;
  if (!f.stall) progress.emplace(*w);
  std::vector<rt::tcp_stream> clients;
  while (!stop_requested) {
    auto client = listener.accept(rt::after(100ms));
    if (client && send_hello(*client, h, rt::after(2s))) clients.push_back(std::move(*client));
    // A client's goodbye is closing its stream; drop those that did.
    std::erase_if(clients, [](rt::tcp_stream& s) {
      auto frame = s.receive_frame(rt::after(0ms));
      return !frame && frame.err().code != rt::errc::timeout;
    });
  }
}

struct connection {
  rt::local_ucx ucx;
  rt::tcp_stream stream;
  std::optional<rt::endpoint> ep;
  std::optional<rt::remote_region> remote;
};

void connect(connection& c, const std::string& host, std::uint16_t port) {
  c.ucx = need(rt::local_ucx::open(), "UCX");
  auto h = need(rt::receive_hello(c.stream, rt::after(5s)), "hello from the server");
  c.ep.emplace(need(c.ucx.worker->connect(h.address), "connecting"));
  c.remote.emplace(need(rt::remote_region::unpack(*c.ep, h.key), "remote key"));
  (void)host, (void)port;
}

struct rate {
  double ops_per_s, bytes_per_s;
  std::uint64_t ops;
  double seconds;
};

rate measure(connection& c, std::uint64_t size, double seconds) {
  const std::size_t per_batch = size >= (64 << 10) ? 16 : 10000;
  if (size > c.remote->size()) die("--measure is larger than the served region");
  std::vector<std::byte> into(size);
  rt::batch b(*c.ucx.worker);
  auto run_batch = [&] {
    for (std::size_t i = 0; i < per_batch; ++i)
      need(b.get(*c.remote, 0, into.data(), size), "issuing a get");
    need(b.wait(rt::after(30s)), "batched gets");
  };
  run_batch();  // warm-up: wire-up, registration caches
  std::uint64_t ops = 0;
  auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    run_batch();
    ops += per_batch;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  return {ops / elapsed, ops * static_cast<double>(size) / elapsed, ops, elapsed};
}

void verify_region(connection& c, std::uint64_t seed) {
  const std::size_t chunk = 1 << 20;
  std::vector<std::byte> into(chunk);
  rt::batch b(*c.ucx.worker);
  for (std::uint64_t at = 0; at < c.remote->size(); at += chunk) {
    std::size_t n = std::min<std::uint64_t>(chunk, c.remote->size() - at);
    need(b.get(*c.remote, at, into.data(), n), "issuing a get");
    need(b.wait(rt::after(30s)), "reading the region");
    for (std::size_t i = 0; i < n; ++i)
      if (into[i] != rt::test_pattern(seed, at + i))
        die("byte " + std::to_string(at + i) + " of the region read back wrong");
  }
}

void verify_put(connection& c) {
  const std::size_t n = std::min<std::uint64_t>(1 << 20, c.remote->size());
  std::vector<std::byte> data(n);
  for (std::size_t i = 0; i < n; ++i) data[i] = rt::test_pattern(99, i);
  rt::batch b(*c.ucx.worker);
  need(b.put(*c.remote, 0, data.data(), n), "issuing a put");
  need(b.wait(rt::after(30s)), "batched put");
  std::optional<rt::bytes> answer;
  need(c.ucx.worker->on_am(rt::demo_checksum_reply,
                           [&](std::span<const std::byte> p, const rt::am_reply&) {
                             answer.emplace(p.begin(), p.end());
                           }),
       "reply handler");
  std::uint64_t range[2] = {0, n};
  need(c.ep->send_am(rt::demo_checksum_request, std::as_bytes(std::span(range)), rt::after(5s)),
       "checksum request");
  need(c.ucx.worker->progress_until([&] { return answer.has_value(); }, rt::after(10s),
                                    "checksum reply"),
       "checksum reply");
  std::uint32_t remote_sum = 0;
  if (answer->size() != 4) die("the server refused the checksum request");
  std::memcpy(&remote_sum, answer->data(), 4);
  if (remote_sum != rt::fnv1a(data)) die("bytes put did not arrive intact");
}

int run_client(const flags& f, const std::string& host, std::uint16_t port) {
  connection c{{},
               need(rt::tcp_stream::connect(host, port, rt::after(5s)), "connecting to the server"),
               {},
               {}};
  connect(c, host, port);
  const char* tls = std::getenv("UCX_TLS");
  if (f.measure) {
    rate r = measure(c, *f.measure, f.seconds);
    std::printf("size=%llu ops=%llu seconds=%.3f ops_per_s=%.0f bytes_per_s=%.0f tls=%s\n",
                static_cast<unsigned long long>(*f.measure), static_cast<unsigned long long>(r.ops),
                r.seconds, r.ops_per_s, r.bytes_per_s, tls ? tls : "default");
  } else {
    std::printf("connected to %s:%u over UCX (transports: %s)\n", host.c_str(), port,
                tls ? tls : "UCX's choice; shared memory on one host");
    verify_region(c, f.seed);
    std::printf("  read the whole %s region one-sided: every byte verified\n",
                rt::format_byte_size(c.remote->size()).c_str());
    verify_put(c);
    std::printf("  wrote 1 MiB one-sided: the server's checksum (active message) matches\n");
    for (std::uint64_t size : {std::uint64_t{1} << 20, std::uint64_t{64}}) {
      rate r = measure(c, size, f.seconds);
      std::printf("  batched %s gets: %.2f GB/s, %.2f M gets/s (%llu gets in %.2f s)\n",
                  rt::format_byte_size(size).c_str(), r.bytes_per_s / 1e9, r.ops_per_s / 1e6,
                  static_cast<unsigned long long>(r.ops), r.seconds);
    }
  }
  c.remote.reset();
  c.ep->close(rt::after(2s));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  flags f;
  if (auto code = parse(argc, argv, f)) return *code;
  if (f.serve) {
    serve(f, -1);
    return 0;
  }
  if (!f.connect.empty()) {
    const auto colon = f.connect.rfind(':');
    return run_client(f, f.connect.substr(0, colon),
                      static_cast<std::uint16_t>(std::stoul(f.connect.substr(colon + 1))));
  }
  // One command: fork a server before any UCX state exists, then measure it.
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) die("pipe failed");
  pid_t child = ::fork();
  if (child < 0) die("fork failed");
  if (child == 0) {
    ::close(pipe_fds[0]);
    if (!f.measure) f.size = std::max<std::uint64_t>(f.size, 1 << 20);
    serve(f, pipe_fds[1]);
    std::_Exit(0);
  }
  ::close(pipe_fds[1]);
  char line[32] = {};
  pollfd p{pipe_fds[0], POLLIN, 0};
  if (::poll(&p, 1, 30000) <= 0 || ::read(pipe_fds[0], line, sizeof line - 1) <= 0) {
    ::kill(child, SIGKILL);
    die("the server process did not start within 30 s");
  }
  int rc = run_client(f, "127.0.0.1", static_cast<std::uint16_t>(std::atoi(line)));
  ::kill(child, SIGTERM);
  for (int i = 0; i < 50 && ::waitpid(child, nullptr, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(100ms);
  if (::waitpid(child, nullptr, WNOHANG) == 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  }
  return rc;
}

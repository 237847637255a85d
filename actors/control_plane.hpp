// control_plane: the CAF actor system of a process that talks to memory
// nodes (clients, tools, the runtime) or hosts one. One per process: control
// planes made with the same options share one actor system, which owns the
// scheduler and the middleman (CAF's TCP networking), optionally with TLS,
// and ends with the last of them. (Two actor systems of one process that
// connect to the same memory nodes confuse CAF 0.17's routing: a second
// system's requests to one node were delivered to another, about one run in
// ten with two runtimes over two nodes.)
//
// CAF stays inside actors/: this header does not include it. Code in actors/
// reaches the actor system through control_plane_impl.hpp.
//
// Thread-safety: may be shared by any number of threads.
#pragma once

#include <memory>
#include <string>

namespace remora::actors {

struct tls_options {
  std::string certificate;  // PEM files; all empty: plain TCP
  std::string key;
  std::string ca_file;
  bool enabled() const { return !certificate.empty() || !key.empty() || !ca_file.empty(); }
};

class control_plane {
 public:
  explicit control_plane(const tls_options& tls = {}, unsigned scheduler_threads = 2);
  ~control_plane();
  control_plane(const control_plane&) = delete;
  control_plane& operator=(const control_plane&) = delete;

  bool uses_tls() const;

  struct impl;
  impl& internals() { return *impl_; }

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace remora::actors

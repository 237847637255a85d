// progress_thread: a thread that owns a worker's progress, for processes that
// expose memory (TCP emulates RMA with active messages, which need the
// target's progress). It polls while there is traffic and sleeps on the
// worker's event fd once it has been idle for `spin`, so that a node between
// requests leaves its core to others (on a machine shared with its clients,
// a node that polled for good took a core from them), and an idle node costs
// no CPU.
//
// Thread-safety: once started, only this thread may touch the worker, until
// the progress_thread is destroyed (which stops and joins it).
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "transport/worker.hpp"

namespace remora::transport {

class progress_thread {
 public:
  explicit progress_thread(worker& w, std::chrono::microseconds spin = worker::spin_before_sleep);
  ~progress_thread();
  progress_thread(const progress_thread&) = delete;
  progress_thread& operator=(const progress_thread&) = delete;

 private:
  void run(std::chrono::microseconds spin);

  worker& worker_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace remora::transport

// child_process: a real process started by a test (a memory node, a serving
// demo), read line by line from its stdout, and torn down by pid. Every wait
// is bounded; the destructor kills what is still running.
//
// Thread-safety: one owner thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace remora::testing {

class child_process {
 public:
  /// Starts `argv[0]` with the given arguments; `env` entries ("K=V") are
  /// added to (or override) the test's environment.
  child_process(std::vector<std::string> argv, std::vector<std::string> env = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }

  /// The first stdout line containing `text`, or nullopt if the process
  /// ended or `timeout` passed first. Lines before it are skipped.
  std::optional<std::string> wait_for_line(const std::string& text,
                                           std::chrono::milliseconds timeout);

  /// Sends `signal` (SIGTERM, SIGKILL, SIGSTOP, ...).
  void signal(int signal);

  /// After signal(SIGSTOP), which the process takes in its own time: waits
  /// up to `timeout` until it has stopped; whether it has.
  bool wait_stopped(std::chrono::milliseconds timeout);

  /// Waits up to `timeout` for the process to exit; its exit code, or -signal
  /// when a signal ended it, or nullopt when it still runs.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

 private:
  // waitpid(flags) until it reports a change or `timeout` passes: the
  // status, or nullopt. An exit is recorded in exit_code_.
  std::optional<int> next_change(int flags, std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
  std::optional<int> exit_code_;
};

/// Parses the port from a line ending in "HOST:PORT..." (e.g. "listening on 127.0.0.1:4242").
int port_from_line(const std::string& line);

}  // namespace remora::testing

#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace remora::testing {

child_process::child_process(std::vector<std::string> argv, std::vector<std::string> env) {
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& o : env) overridden |= o.substr(0, o.find('=')) == key;
    if (!overridden) environment.push_back(entry);
  }
  environment.insert(environment.end(), env.begin(), env.end());
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // The child dies with the test, however the test ends.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(fds[1], STDOUT_FILENO);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  stdout_fd_ = fds[0];
}

child_process::~child_process() {
  if (!exit_code_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

std::optional<std::string> child_process::wait_for_line(const std::string& text,
                                                        std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto nl = buffered_.find('\n'); nl != std::string::npos; nl = buffered_.find('\n')) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      if (line.find(text) != std::string::npos) return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{stdout_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[4096];
    ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) return std::nullopt;  // the process closed stdout: it ended
    buffered_.append(chunk, static_cast<std::size_t>(n));
  }
}

void child_process::signal(int signal) {
  if (!exit_code_) ::kill(pid_, signal);
}

std::optional<int> child_process::next_change(int flags, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!exit_code_) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG | flags) == pid_) {
      if (WIFEXITED(status) || WIFSIGNALED(status))
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      return status;
    }
    if (std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::nullopt;
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout) {
  (void)next_change(0, timeout);
  return exit_code_;
}

bool child_process::wait_stopped(std::chrono::milliseconds timeout) {
  const auto status = next_change(WUNTRACED, timeout);
  return status && WIFSTOPPED(*status);
}

int port_from_line(const std::string& line) {
  // The first ':' followed by digits. (Not std::regex: GCC 12 warns about
  // its own code at the sanitizer builds' -O1.)
  for (std::size_t at = line.find(':'); at != std::string::npos; at = line.find(':', at + 1))
    if (at + 1 < line.size() && line[at + 1] >= '0' && line[at + 1] <= '9')
      return std::stoi(line.substr(at + 1));  // stops at the first non-digit
  return -1;
}

}  // namespace remora::testing

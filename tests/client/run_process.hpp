#pragma once

// Runs a tool (heraldctl, the client example) as a child process with its
// output in files, waited for with a deadline and killed by its PID when it
// overruns. Test support for tests/client only.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/support/heraldd_process.hpp"

namespace herald::test {

/// A started child: its PID and where its output goes.
struct child_process {
  pid_t pid = -1;
  std::filesystem::path out, err;
  int status = -1; ///< exit code once reaped; 128 + signal; -1 running

  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream in{p};
    return {std::istreambuf_iterator<char>{in}, {}};
  }
  std::string stdout_text() const { return slurp(out); }
  std::string stderr_text() const { return slurp(err); }

  /// Waits up to `deadline` for the exit; kills (SIGKILL, by PID) and reaps
  /// on overrun. Returns the exit code (-1 when it had to be killed).
  int wait(std::chrono::milliseconds deadline) {
    if (pid < 0)
      return status;
    int ws = 0;
    bool done =
        wait_for([&] { return waitpid(pid, &ws, WNOHANG) == pid; }, deadline);
    if (!done) {
      ::kill(pid, SIGKILL);
      waitpid(pid, &ws, 0);
      pid = -1;
      return status = -1;
    }
    pid = -1;
    status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return status;
  }

  ~child_process() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

/// Starts `argv` with stdout/stderr to fresh files under `dir`.
inline void start_process(child_process& c,
                          const std::vector<std::string>& argv,
                          const std::filesystem::path& dir) {
  static int n = 0;
  ++n;
  c.out = dir / ("child" + std::to_string(n) + ".out");
  c.err = dir / ("child" + std::to_string(n) + ".err");
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int o = open(c.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(c.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  c.pid = pid;
}

/// Runs `argv` to its end (deadline 30 s).
inline child_process run_process(const std::vector<std::string>& argv,
                                 const std::filesystem::path& dir) {
  child_process c;
  start_process(c, argv, dir);
  c.wait(std::chrono::seconds(30));
  return c;
}

} // namespace herald::test

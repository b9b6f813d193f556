#pragma once

// A real etcd (Debian `etcd-server`) for cluster tests, on loopback unless
// told another local address (one a network namespace reaches): free
// client and peer ports, a temporary data dir, started by the test and
// stopped by its PID (SIGTERM, then SIGKILL after a deadline). The binary is
// $HERALD_TEST_ETCD, else `etcd` on PATH (scripts/install-deps.sh installs
// it).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace herald::test {

class etcd_process {
public:
  /// An etcd that will listen on `host` (an address of this machine).
  explicit etcd_process(std::string host = "127.0.0.1");
  /// Stops it (if running) and removes the data dir.
  ~etcd_process();
  etcd_process(const etcd_process&) = delete;
  etcd_process& operator=(const etcd_process&) = delete;

  /// Starts etcd and waits (at most `deadline`) until /health says true.
  /// False with the reason in error() when it cannot.
  bool start(std::chrono::milliseconds deadline = std::chrono::seconds{20});
  /// SIGTERM, then SIGKILL after `deadline`; reaps it.
  void stop(std::chrono::milliseconds deadline = std::chrono::seconds{10});

  /// "http://<host>:<client port>".
  std::string url() const;
  pid_t pid() const noexcept { return pid_; }
  const std::string& error() const noexcept { return error_; }
  /// etcd's output so far (for failure messages).
  std::string output() const;

private:
  std::string host_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  uint16_t client_port_ = 0;
  uint16_t peer_port_ = 0;
  std::string error_;
};

} // namespace herald::test

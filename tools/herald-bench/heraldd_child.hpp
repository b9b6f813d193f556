#pragma once

// A heraldd started by the benchmark: `--data-dir DIR --http 127.0.0.1:0
// --node-port 0 <extra>`, output to DIR/../heraldd-<pid>.log; ready once
// DIR/ports.json exists and /readyz answers 200. Stopped with SIGTERM (the
// destructor SIGKILLs one that did not stop).

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace herald::bench {

/// Where and how to reach a node: spawn `heraldd` (url empty) or use `url`.
struct node_target {
  std::string url;     ///< http://127.0.0.1:PORT of a running node, or ""
  std::string heraldd; ///< binary to spawn (see heraldd_binary)
  std::string work_dir = "/var/tmp"; ///< temp data dirs go here
  std::string durability = "sync";   ///< passed to a spawned node
  /// Bearer token for a running node (--token, else $HERALD_TOKEN); a
  /// spawned node's admin token is read from its data dir.
  std::string token;
};

/// The heraldd binary: `flag` when set, else $HERALD_BENCH_HERALDD, else
/// the one built with herald-bench, else "heraldd" on PATH.
std::string heraldd_binary(const std::string& flag);

class heraldd_child {
public:
  heraldd_child() = default;
  ~heraldd_child();
  heraldd_child(const heraldd_child&) = delete;
  heraldd_child& operator=(const heraldd_child&) = delete;

  /// Spawns the node and waits (at most `deadline_s`) until it is ready.
  /// Returns "" on success, else why it failed (the log's tail included).
  std::string start(const std::string& binary, const std::string& data_dir,
                    const std::vector<std::string>& extra_args,
                    int deadline_s = 600);

  /// SIGTERM and wait (SIGKILL after 30 s); the exit status.
  int stop();

  /// SIGKILL and wait (a crash: the next start recovers); the exit status.
  int kill();

  /// Milestones of the last start(), ms after the fork; -1 if not reached.
  struct start_times {
    double ports_ms = -1;   ///< ports.json read (HTTP listening)
    double healthz_ms = -1; ///< first /healthz 200 (only when watched)
    double readyz_ms = -1;  ///< first /readyz 200
  };
  const start_times& times() const noexcept { return times_; }

  /// Makes later start()s probe every `poll_ms` and wait for /healthz
  /// before /readyz, for start-up timing (default: every 20 ms, /readyz
  /// only).
  void watch_start(int poll_ms) noexcept {
    poll_ms_ = poll_ms;
    probe_healthz_ = true;
  }

  pid_t pid() const noexcept { return pid_; }
  uint16_t http_port() const noexcept { return http_port_; }
  /// The admin token the node wrote to its data dir.
  const std::string& token() const noexcept { return token_; }
  const std::string& log_path() const noexcept { return log_path_; }

private:
  pid_t pid_ = -1;
  uint16_t http_port_ = 0;
  std::string log_path_;
  std::string token_;
  start_times times_;
  int poll_ms_ = 20;
  bool probe_healthz_ = false;
};

/// The node a scenario talks to: a spawned heraldd on a fresh temp data
/// dir under target.work_dir (stopped and removed by the destructor), or
/// the running node at target.url (then pid() is -1).
class bench_node {
public:
  bench_node() = default;
  ~bench_node();
  bench_node(const bench_node&) = delete;
  bench_node& operator=(const bench_node&) = delete;

  /// Spawns or resolves the node; "" on success, else why not.
  std::string open(const node_target& target, const std::string& tag,
                   const std::vector<std::string>& extra_args = {});

  const std::string& host() const noexcept { return host_; }
  uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return child_.pid(); }
  /// The credential to send (the spawned node's admin token or --token).
  const std::string& token() const noexcept { return token_; }

private:
  heraldd_child child_;
  std::string host_ = "127.0.0.1";
  uint16_t port_ = 0;
  std::string dir_;
  std::string token_;
};

} // namespace herald::bench

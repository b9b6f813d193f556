#pragma once

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"

namespace herald::test {

/// Polls `pred` until it returns true or `deadline` passes; true when it did.
/// The pause between polls starts at 1 ms and doubles up to 50 ms: this is a
/// bounded poll on a condition, never a sleep used as synchronisation.
template <class Predicate>
bool wait_for(Predicate&& pred, std::chrono::milliseconds deadline) {
  using clock_type = std::chrono::steady_clock;
  auto until = clock_type::now() + deadline;
  std::chrono::milliseconds pause{1};
  for (;;) {
    if (pred())
      return true;
    auto now = clock_type::now();
    if (now >= until)
      return false;
    std::this_thread::sleep_for(
        std::min<clock_type::duration>(pause, until - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

/// A loopback TCP port that was free a moment ago (bind to port 0, read the
/// port, close). Only for flags that cannot take port 0; 0 when none could
/// be had.
uint16_t free_port();

/// How to start a `heraldd_process`.
struct heraldd_options {
  /// The binary; empty = $HERALD_TEST_HERALDD, else the default binary
  /// (`heraldd_process::set_default_binary`).
  std::string binary;
  /// Appended after the harness's own flags.
  std::vector<std::string> extra_args;
  /// The address the node binds and the harness reaches it at: `--http
  /// HOST:0`, and `--node-host HOST` when it is not 127.0.0.1 (heraldd's
  /// default). Another address is for nodes in network namespaces.
  std::string host = "127.0.0.1";
  /// A command the binary is run through, which must exec it in place so
  /// that the PID the harness tracks is heraldd's: `{"/usr/sbin/ip",
  /// "netns", "exec", NAME}` runs the node in a network namespace. Empty:
  /// the binary itself.
  std::vector<std::string> launcher;
  /// Pass `--http HOST:0` (turn off when a config file sets it).
  bool default_http = true;
  /// Pass `--node-port 0`.
  bool default_node_port = true;
  /// Bounds waiting for ports.json and then for `/readyz` == 200.
  std::chrono::milliseconds start_deadline{20000};
};

/// A real `heraldd` on ephemeral loopback ports with its own
/// temporary data directory, in the style of nats-server's test servers.
///
/// `start()` spawns `heraldd --data-dir <tmp>/data --http 127.0.0.1:0
/// --node-port 0 <extra args>` with stdout/stderr appended to files in the
/// temp dir, then waits (bounded) for `<data-dir>/ports.json` and for
/// `GET /readyz` == 200. The child gets SIGKILL if the test process dies
/// (PR_SET_PDEATHSIG). The destructor SIGKILLs a still-running child by its
/// PID, prints its logs when the current test failed, and removes the temp
/// dir (set HERALD_TEST_KEEP=1 to keep it for a post-mortem).
/// HERALD_TEST_HERALDD=PATH runs another binary. Not thread-safe.
class heraldd_process {
public:
  /// Exit status of a child killed by signal S is reported as 128 + S; a
  /// child that did not exit within a deadline as `still_running`.
  static constexpr int still_running = -1;

  /// The binary used when neither the options nor $HERALD_TEST_HERALDD name
  /// one. Test targets set it from their HERALDD_PATH definition (see
  /// tests/process/process_fixture.hpp).
  static void set_default_binary(std::string path);

  explicit heraldd_process(std::vector<std::string> extra_args = {});
  explicit heraldd_process(heraldd_options options);
  ~heraldd_process();
  heraldd_process(const heraldd_process&) = delete;
  heraldd_process& operator=(const heraldd_process&) = delete;

  /// Spawns the node and waits until it is ready. Fails (with the reason and
  /// the log tail) when it exits first or the deadline passes; the child is
  /// left as it is so `wait_exit()` can collect its status.
  ::testing::AssertionResult start();

  /// `start()` again on the same data dir; the previous run must be over.
  ::testing::AssertionResult restart();

  /// SIGTERM, then waits for the exit; SIGKILLs after `deadline`. Returns
  /// the exit code (128 + signal when killed), or `still_running` when the
  /// node did not exit in time (it is then SIGKILLed and reaped).
  int stop(std::chrono::milliseconds deadline = std::chrono::seconds(15));

  /// SIGKILL and reap.
  void kill9();

  /// Waits up to `deadline` for the child to exit on its own; its status as
  /// in `stop()`, or `still_running`.
  int wait_exit(std::chrono::milliseconds deadline);

  /// The options of the next `start()`/`restart()` (flags may be changed
  /// between runs, e.g. to pass a config file written with `write_file`).
  heraldd_options& options() noexcept { return options_; }

  /// The last run's exit status, once it is known.
  std::optional<int> exit_status() const { return exit_status_; }

  /// True while the child runs (reaps it when it has exited).
  bool running();

  pid_t pid() const noexcept { return pid_; }
  /// The address the node's HTTP and node ports are bound to.
  const std::string& host() const noexcept { return options_.host; }
  uint16_t http_port() const noexcept { return http_port_; }
  uint16_t node_port() const noexcept { return node_port_; }
  const std::filesystem::path& data_dir() const noexcept { return data_dir_; }
  const std::filesystem::path& work_dir() const noexcept { return work_dir_; }

  /// The parsed `<data-dir>/ports.json` of the current run.
  const nlohmann::json& ports() const noexcept { return ports_; }

  /// `<data-dir>/admin.token` when the node created one, else "".
  const std::string& admin_token() const noexcept { return token_; }

  /// A client for the HTTP port carrying the admin token (when there is one).
  http_client http() const;

  /// Everything the node wrote to stdout and stderr over all runs.
  std::string output() const;

  /// VmRSS of the running child in KiB, from /proc/PID/status.
  std::optional<long> rss_kib() const;

  /// Writes `text` to `<temp dir>/name` and returns its path (config files).
  std::filesystem::path write_file(const std::string& name,
                                   const std::string& text) const;

private:
  ::testing::AssertionResult spawn_and_wait();
  ::testing::AssertionResult fail(const std::string& why) const;
  int collect(int wait_status);

  heraldd_options options_;
  std::filesystem::path work_dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
  pid_t pid_ = -1;
  int runs_ = 0;
  std::optional<int> exit_status_;
  uint16_t http_port_ = 0;
  uint16_t node_port_ = 0;
  nlohmann::json ports_;
  std::string token_;
};

} // namespace herald::test

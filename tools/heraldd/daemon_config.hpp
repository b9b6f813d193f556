#pragma once

// heraldd's settings: DESIGN §6/§7 flags, also settable in a config file
// (`--config FILE`, TOML-style `key = value` lines with the flag names as
// keys; unknown keys are an error).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "actors/protocol/node_tls.hpp"
#include "storage/retention.hpp"
#include "tools/http/endpoint.hpp"

namespace herald::heraldd {

using http::endpoint;

/// Parses "HOST:PORT" (IPv4, a name, or "[v6]:PORT"). Returns nullopt when
/// malformed or the port is out of range.
std::optional<endpoint> parse_endpoint(const std::string& text);

/// Whether `host` (a bind address) is loopback only: "localhost", an
/// address in 127.0.0.0/8, "::1". "0.0.0.0", "::" and names are not.
bool is_loopback_host(const std::string& host);

struct daemon_config {
  std::filesystem::path data_dir = "herald-data";
  endpoint http{"127.0.0.1", 8470};
  std::string node_host = "127.0.0.1";
  uint16_t node_port = 8471;
  std::string
      node_id; ///< empty: the id persisted in the data dir, or a new one
  bool durability_sync = true;
  /// DESIGN §6: --cluster NAME --etcd URL,… (both or neither).
  std::string cluster;
  std::vector<std::string> etcd;
  std::string cluster_secret_file;
  /// How long each other node has for its part of a cluster query
  /// (--query-fanout-timeout).
  std::chrono::milliseconds query_fanout_timeout{2000};
  /// TLS on the node port (--node-tls-cert, --node-tls-key, --node-tls-ca,
  /// --node-tls-key-passphrase-file): all three files or none, checked
  /// (protocol::check) before the node starts; none = plain TCP.
  protocol::node_tls node_tls;

  // Limits (DESIGN §7 defaults).
  size_t max_body_bytes = 1024 * 1024;
  size_t max_batch = 10000;
  size_t max_event_bytes = 1024 * 1024;
  size_t stream_buffer_events = 10000;
  size_t stream_buffer_bytes = 8u << 20;
  unsigned http_idle_timeout_s = 60;
  /// A WebSocket stream whose client answers no ping for this long is
  /// dropped (--stream-idle-timeout).
  unsigned stream_idle_timeout_s = 300;
  /// Streams one caller (user or token) may have open
  /// (--max-streams-per-caller).
  size_t max_streams_per_caller = 64;
  /// Users file (--users): JSON {"users":[{name, password|password_hash,
  /// groups, roles}]}.
  std::optional<std::filesystem::path> users_file;
  /// One JSON file per workflow (DESIGN §5), read when run; empty: none.
  std::filesystem::path workflows_dir;
  /// The web console's files (--console-dir); empty: the installed ones
  /// (<prefix>/share/herald/console next to the binary's bin/), else the
  /// source tree's `console/` (a build-tree run); "none": no console.
  std::string console_dir;
  /// Ended task records kept (the oldest beyond are deleted).
  size_t tasks_kept = 10000;
  /// Outbound delivery (DESIGN §4): curl threads, events each subscription
  /// reads ahead (its memory bound), requests per in-order batch.
  size_t delivery_threads = 2;
  size_t delivery_read_ahead = 256;
  size_t delivery_batch = 64;
  /// Lifetime of a login token (--token-ttl, seconds).
  unsigned token_ttl_s = 3600;

  /// Retention (--retention-max-age, --retention-max-bytes,
  /// --retention-rule); the default keeps everything.
  storage::retention_policy retention;
  /// How often the retention sweeper runs (--retention-interval).
  std::chrono::milliseconds retention_interval{60'000};

  unsigned http_threads = 2;
  unsigned scheduler_threads = 2;
  std::string log_level = "info";
};

/// Parses argv into a config. On `--help` prints usage and returns nullopt
/// with exit_code 0; on a bad flag, value or config-file key prints a message
/// naming it to stderr and returns nullopt with exit_code 2.
std::optional<daemon_config> parse_command_line(int argc, char** argv,
                                                int& exit_code);

} // namespace herald::heraldd

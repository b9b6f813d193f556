#include "tools/heraldd/daemon_config.hpp"

#include <charconv>
#include <iostream>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <CLI/CLI.hpp>

#include "runtime/errc.hpp"

namespace herald::heraldd {

std::optional<endpoint> parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return std::nullopt;
  endpoint ep;
  ep.host = text.substr(0, colon);
  if (ep.host.size() > 2 && ep.host.front() == '[' && ep.host.back() == ']')
    ep.host = ep.host.substr(1, ep.host.size() - 2);
  auto port_text = std::string_view{text}.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(),
                                   port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || ptr != port_text.data() + port_text.size() ||
      port > 65535)
    return std::nullopt;
  ep.port = static_cast<uint16_t>(port);
  return ep;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost")
    return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 &&
         IN6_IS_ADDR_LOOPBACK(&v6);
}

namespace {

/// CLI11 validator for HOST:PORT values.
struct endpoint_validator : CLI::Validator {
  endpoint_validator() {
    name_ = "HOST:PORT";
    func_ = [](const std::string& s) -> std::string {
      return parse_endpoint(s)
                 ? std::string{}
                 : "expected HOST:PORT with a port 0-65535, got '" + s + "'";
    };
  }
};

/// CLI11 validator for DURATION values (45s, 90m, 12h, 30d).
struct duration_validator : CLI::Validator {
  duration_validator() {
    name_ = "DURATION";
    func_ = [](const std::string& s) -> std::string {
      return storage::parse_duration_ns(s)
                 ? std::string{}
                 : "expected a duration like 45s, 90m, 12h or 30d, got '" + s +
                       "'";
    };
  }
};

/// CLI11 validator for SIZE values (10GiB, 500MiB, plain bytes).
struct size_validator : CLI::Validator {
  size_validator() {
    name_ = "SIZE";
    func_ = [](const std::string& s) -> std::string {
      return storage::parse_byte_size(s)
                 ? std::string{}
                 : "expected a size like 10GiB, 500MiB or plain bytes, got '" +
                       s + "'";
    };
  }
};

/// CLI11 validator for PATTERN=DURATION retention rules.
struct rule_validator : CLI::Validator {
  rule_validator() {
    name_ = "PATTERN=DURATION";
    func_ = [](const std::string& s) -> std::string {
      auto rule = storage::parse_retention_rule(s);
      return rule ? std::string{} : runtime::describe(rule.error()).message;
    };
  }
};

} // namespace

std::optional<daemon_config> parse_command_line(int argc, char** argv,
                                                int& exit_code) {
  daemon_config cfg;
  CLI::App app{"heraldd — one Herald node: event bus, audit trail, streams"};
  app.set_config("--config", "",
                 "Read settings from FILE (key = value lines, "
                 "keys as the flag names)");
  app.allow_config_extras(CLI::config_extras_mode::error);

  std::string data_dir = cfg.data_dir.string();
  std::string http = "127.0.0.1:8470";
  std::string durability = "sync";
  app.add_option("--data-dir", data_dir, "Data directory (created if missing)")
      ->capture_default_str();
  app.add_option("--http", http, "HTTP+WebSocket listen address, port 0 = any")
      ->check(endpoint_validator{})
      ->capture_default_str();
  app.add_option("--node-port", cfg.node_port, "CAF node port, 0 = any")
      ->capture_default_str();
  app.add_option("--node-host", cfg.node_host, "CAF node bind address")
      ->capture_default_str();
  app.add_option(
      "--node-id", cfg.node_id,
      "Node id (default: persisted in the data dir, generated once)");
  app.add_option("--durability", durability,
                 "sync: acknowledge after fsync (group commit); async: "
                 "acknowledge after the OS has the write (faster, an OS crash "
                 "or power loss can lose acknowledged events)")
      ->check(CLI::IsMember({"sync", "async"}))
      ->capture_default_str();
  app.add_option("--max-body", cfg.max_body_bytes, "Max HTTP body in bytes")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-batch", cfg.max_batch, "Max events in one publish")
      ->check(CLI::Range(size_t{1}, size_t{1000000}))
      ->capture_default_str();
  app.add_option("--max-event-size", cfg.max_event_bytes,
                 "Max serialized size of one event in bytes")
      ->check(CLI::Range(size_t{256}, size_t{64} << 20))
      ->capture_default_str();
  app.add_option("--stream-buffer-events", cfg.stream_buffer_events,
                 "Per-stream buffer bound in events (overflow closes 1008)")
      ->check(CLI::Range(size_t{16}, size_t{10000000}))
      ->capture_default_str();
  app.add_option("--stream-buffer-bytes", cfg.stream_buffer_bytes,
                 "Per-stream buffer bound in bytes (overflow closes 1008)")
      ->check(CLI::Range(size_t{4096}, size_t{1} << 34))
      ->capture_default_str();
  app.add_option("--http-idle-timeout", cfg.http_idle_timeout_s,
                 "Seconds an idle HTTP connection is kept open")
      ->check(CLI::Range(1u, 86400u))
      ->capture_default_str();
  app.add_option("--stream-idle-timeout", cfg.stream_idle_timeout_s,
                 "Seconds a WebSocket stream may go without answering the "
                 "node's pings before it is dropped")
      ->check(CLI::Range(2u, 86400u))
      ->capture_default_str();
  app.add_option("--max-streams-per-caller", cfg.max_streams_per_caller,
                 "Open WebSocket streams one user or token may have")
      ->check(CLI::Range(size_t{1}, size_t{100000}))
      ->capture_default_str();
  std::string users_file;
  app.add_option("--users", users_file,
                 "Users file: JSON {\"users\":[{\"name\",\"password\" or "
                 "\"password_hash\",\"groups\",\"roles\"}]}")
      ->check(CLI::ExistingFile);
  app.add_option("--console-dir", cfg.console_dir,
                 "The web console's files (default: the installed ones, "
                 "else the source tree's console/; \"none\": no console)");
  std::string workflows_dir;
  app.add_option("--workflows-dir", workflows_dir,
                 "Directory of workflow files (<id>.json), validated when "
                 "run")
      ->check(CLI::ExistingDirectory);
  app.add_option("--tasks-kept", cfg.tasks_kept,
                 "Ended task records kept; the oldest beyond are deleted")
      ->check(CLI::Range(size_t{1}, size_t{10000000}))
      ->capture_default_str();
  app.add_option("--delivery-threads", cfg.delivery_threads,
                 "Threads sending subscriptions' HTTP requests (libcurl)")
      ->check(CLI::Range(size_t{1}, size_t{64}))
      ->capture_default_str();
  app.add_option("--delivery-read-ahead", cfg.delivery_read_ahead,
                 "Events a subscription reads ahead of its receiver (its "
                 "memory bound)")
      ->check(CLI::Range(size_t{1}, size_t{10000}))
      ->capture_default_str();
  app.add_option("--delivery-batch", cfg.delivery_batch,
                 "Requests a subscription hands the HTTP threads at once, "
                 "sent in order")
      ->check(CLI::Range(size_t{1}, size_t{1000}))
      ->capture_default_str();
  app.add_option("--token-ttl", cfg.token_ttl_s,
                 "Seconds a login token (JWT) stays valid")
      ->check(CLI::Range(1u, 31u * 86400u))
      ->capture_default_str();
  std::string retention_max_age;
  std::string retention_max_bytes;
  std::vector<std::string> retention_rules;
  std::string retention_interval = "60s";
  app.add_option("--retention-max-age", retention_max_age,
                 "Delete events older than DURATION (from accept time; "
                 "e.g. 30d). Default: keep forever")
      ->check(duration_validator{});
  app.add_option("--retention-max-bytes", retention_max_bytes,
                 "Delete the oldest events while the store's live size is "
                 "over SIZE (e.g. 10GiB). Default: unbounded")
      ->check(size_validator{});
  app.add_option("--retention-rule", retention_rules,
                 "PATTERN=DURATION (or PATTERN=forever): max age of events "
                 "whose name matches; repeatable, the first match decides")
      ->check(rule_validator{});
  app.add_option("--retention-interval", retention_interval,
                 "How often the retention sweeper runs")
      ->check(duration_validator{})
      ->capture_default_str();
  app.add_option("--http-threads", cfg.http_threads, "HTTP I/O threads")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  app.add_option("--scheduler-threads", cfg.scheduler_threads,
                 "CAF scheduler worker threads")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  std::string etcd;
  app.add_option("--cluster", cfg.cluster,
                 "Cluster name: nodes with the same name and etcd form one "
                 "cluster (needs --etcd)");
  app.add_option("--etcd", etcd,
                 "etcd client URLs, comma-separated (http://HOST:PORT,…); "
                 "without it the node is a cluster of one");
  app.add_option("--cluster-secret-file", cfg.cluster_secret_file,
                 "File holding the secret every node of the cluster presents "
                 "on the node port (default: one kept in etcd for the "
                 "cluster, created by its first node)");
  std::string query_fanout_timeout = "2s";
  app.add_option("--query-fanout-timeout", query_fanout_timeout,
                 "Cluster: how long each other node has to answer its part "
                 "of a query before the reply leaves it out (partial)")
      ->check(duration_validator{})
      ->capture_default_str();
  std::string passphrase_file;
  app.add_option("--node-tls-cert", cfg.node_tls.cert_file,
                 "TLS on the node port: this node's certificate (PEM, signed "
                 "by --node-tls-ca); needs --node-tls-key and --node-tls-ca");
  app.add_option("--node-tls-key", cfg.node_tls.key_file,
                 "TLS on the node port: the certificate's private key (PEM)");
  app.add_option("--node-tls-ca", cfg.node_tls.ca_file,
                 "TLS on the node port: the CA (PEM) every peer's and "
                 "client's certificate must be signed by (mutual TLS)");
  app.add_option("--node-tls-key-passphrase-file", passphrase_file,
                 "File whose first line decrypts --node-tls-key");
  app.add_option("--log-level", cfg.log_level, "trace|debug|info|warn|error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    exit_code = app.exit(e);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    std::cerr << "heraldd: " << e.what() << "\n";
    exit_code = 2;
    return std::nullopt;
  }
  cfg.data_dir = data_dir;
  for (size_t at = 0; at < etcd.size();) {
    auto comma = etcd.find(',', at);
    if (comma == std::string::npos)
      comma = etcd.size();
    auto url = etcd.substr(at, comma - at);
    if (!url.empty())
      cfg.etcd.push_back(std::move(url));
    at = comma + 1;
  }
  for (const auto& url : cfg.etcd)
    if (!url.starts_with("http://")) {
      std::cerr << "heraldd: --etcd: '" << url
                << "' is not an http:// URL (etcd's client URL)\n";
      exit_code = 2;
      return std::nullopt;
    }
  if (cfg.etcd.empty() != cfg.cluster.empty()) {
    std::cerr << "heraldd: --cluster and --etcd go together (a cluster name "
                 "and where its etcd is)\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (!passphrase_file.empty()) {
    auto pass = protocol::read_passphrase_file(passphrase_file);
    if (!pass) {
      std::cerr << "heraldd: --node-tls-key-passphrase-file: "
                << runtime::describe(pass.error()).message << "\n";
      exit_code = 2;
      return std::nullopt;
    }
    cfg.node_tls.key_passphrase = std::move(*pass);
  }
  if (auto err = protocol::check(cfg.node_tls)) {
    const auto what = runtime::describe(err);
    const auto flag = what.field == "passphrase"
                          ? std::string{"--node-tls-key-passphrase-file"}
                          : "--node-tls-" + what.field;
    std::cerr << "heraldd: " << flag << ": " << what.message << "\n";
    exit_code = 2;
    return std::nullopt;
  }
  if (!users_file.empty())
    cfg.users_file = users_file;
  if (!workflows_dir.empty())
    cfg.workflows_dir = std::filesystem::absolute(workflows_dir);
  cfg.http = *parse_endpoint(http);
  cfg.durability_sync = durability == "sync";
  // The validators above accepted every value: the parses succeed.
  if (!retention_max_age.empty())
    cfg.retention.max_age_ns = storage::parse_duration_ns(retention_max_age);
  if (!retention_max_bytes.empty())
    cfg.retention.max_bytes = storage::parse_byte_size(retention_max_bytes);
  for (const auto& text : retention_rules)
    cfg.retention.rules.push_back(*storage::parse_retention_rule(text));
  cfg.retention_interval = std::chrono::milliseconds{
      *storage::parse_duration_ns(retention_interval) / 1'000'000};
  if (cfg.retention_interval.count() == 0)
    cfg.retention_interval = std::chrono::milliseconds{1};
  cfg.query_fanout_timeout = std::max(
      std::chrono::milliseconds{1},
      std::chrono::milliseconds{
          *storage::parse_duration_ns(query_fanout_timeout) / 1'000'000});
  exit_code = 0;
  return cfg;
}

} // namespace herald::heraldd

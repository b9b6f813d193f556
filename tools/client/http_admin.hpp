#pragma once

// herald::client::http_admin — the node's HTTP API for the admin calls that
// have no CAF message yet (triggers, workflows, tasks, subscriptions, dead
// letters, config writes, users, tokens, nodes, status; docs/CLIENT.md).
// Every request carries `Authorization: Bearer <token>`. Synchronous
// (Boost.Beast on the caller's thread), bounded by a timeout.
//
// Thread-safety: const calls may run concurrently; each opens its own
// connection.

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/expected.hpp>

namespace herald::client {

/// One HTTP answer: the status and the body as sent.
struct http_reply {
  int status = 0;
  std::string body;
  bool ok() const noexcept { return status >= 200 && status < 300; }
};

class http_admin {
public:
  http_admin(std::string host, uint16_t port, std::string token,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// `method` target (e.g. "/api/v1/nodes") with a JSON body when not empty.
  /// Errors: runtime::errc::unavailable when the node does not answer (any
  /// HTTP status, 4xx/5xx included, is a reply).
  caf::expected<http_reply> request(const std::string& method,
                                    const std::string& target,
                                    const std::string& body = {}) const;

  caf::expected<http_reply> get(const std::string& target) const {
    return request("GET", target);
  }

  const std::string& host() const noexcept { return host_; }
  uint16_t port() const noexcept { return port_; }

private:
  std::string host_;
  uint16_t port_;
  std::string token_;
  std::chrono::milliseconds timeout_;
};

} // namespace herald::client

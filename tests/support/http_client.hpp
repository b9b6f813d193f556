#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace herald::test {

/// Header (or query parameter) name/value pairs, in the order given.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// One HTTP exchange as a test saw it. `status` is 0 when no response arrived
/// (connection refused, timeout, reset); `error` then says why.
struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers; ///< names lower-cased
  std::string body;
  std::string error;

  /// The header's value, "" when absent; `name` is case-insensitive.
  std::string header(std::string_view name) const;

  /// The body parsed as JSON; a discarded value (`is_discarded()`) when the
  /// body is not JSON.
  nlohmann::json json() const;

  /// True for 2xx.
  bool ok() const noexcept { return status >= 200 && status < 300; }

  /// "HTTP 400 {body}" (or the transport error) for assertion messages.
  std::string describe() const;
};

/// Synchronous HTTP/1.1 client over Boost.Beast for process tests.
///
/// One connection per request (`Connection: close`), so a test never trips
/// over a connection the server closed between requests. Every step
/// (connect, write, read) is bounded by `timeout()`; nothing blocks forever.
/// Not thread-safe: use one client per thread (copies are cheap).
class http_client {
public:
  /// A client for `host:port` (loopback by default).
  explicit http_client(uint16_t port, std::string host = "127.0.0.1");

  /// Sends `Authorization: Bearer <token>` on every request (empty = none).
  void set_bearer_token(std::string token) { token_ = std::move(token); }

  /// Bounds each of connect, write and read; default 10 s.
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

  std::chrono::milliseconds timeout() const noexcept { return timeout_; }
  uint16_t port() const noexcept { return port_; }
  const std::string& host() const noexcept { return host_; }
  const std::string& bearer_token() const noexcept { return token_; }

  /// Sends one request and reads the whole response. `headers` override the
  /// defaults (Host, User-Agent, Authorization). When the server answers and
  /// closes before the body is fully sent (413 on an oversized body), the
  /// answer is still read and returned.
  http_response request(std::string_view method, std::string_view target,
                        std::string body = {},
                        const header_list& headers = {}) const;

  /// GET `target`.
  http_response get(std::string_view target,
                    const header_list& headers = {}) const;

  /// POST `body` as `application/json` (unless `headers` set Content-Type).
  http_response post(std::string_view target, std::string body,
                     const header_list& headers = {}) const;

  /// POST the serialised `body` as `application/json`.
  http_response post_json(std::string_view target, const nlohmann::json& body,
                          const header_list& headers = {}) const;

  /// PUT the serialised `body` as `application/json`.
  http_response put_json(std::string_view target, const nlohmann::json& body,
                         const header_list& headers = {}) const;

private:
  uint16_t port_;
  std::string host_;
  std::string token_;
  std::chrono::milliseconds timeout_{10000};
};

/// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view text);

/// `path?k1=v1&k2=v2` with each value percent-encoded; `path` when empty.
std::string with_query(std::string_view path, const header_list& params);

} // namespace herald::test

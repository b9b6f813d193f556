#pragma once

// A lean synchronous HTTP/1.1 keep-alive client and WebSocket reader over
// Boost.Beast for the benchmarks. Unlike tests/support's clients (one
// connection per request, every step on a deadline) these keep one
// connection open and block: a benchmark measures the server, not
// reconnects. Each object belongs to one thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace herald::bench {

/// One HTTP exchange's outcome: status 0 and `error` set on transport
/// failure.
struct http_result {
  int status = 0;
  std::string body;
  std::string error;
  bool ok() const noexcept { return status >= 200 && status < 300; }
};

/// A keep-alive connection to host:port; reconnects once when the server
/// closed it between requests. A non-empty `token` goes out as
/// `Authorization: Bearer` on every request.
class http_conn {
public:
  http_conn(std::string host, uint16_t port, std::string token = {});
  ~http_conn();
  http_conn(const http_conn&) = delete;
  http_conn& operator=(const http_conn&) = delete;

  http_result get(std::string_view target);
  http_result post(std::string_view target, std::string body);
  http_result put(std::string_view target, std::string body);

private:
  enum class method { get, post, put };
  http_result exchange(method m, std::string_view target,
                       const std::string& body);
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// A WebSocket client that either reads frames (`read`) or, when never
/// read from, is a stalled consumer.
class ws_conn {
public:
  ws_conn();
  ~ws_conn();
  ws_conn(const ws_conn&) = delete;
  ws_conn& operator=(const ws_conn&) = delete;

  /// Connects and upgrades `target`; `rcvbuf` > 0 sets SO_RCVBUF first (a
  /// small one makes a stalled consumer fill the server's buffer fast).
  /// Returns "" on success, else the reason.
  std::string connect(const std::string& host, uint16_t port,
                      const std::string& target, int rcvbuf = 0,
                      const std::string& token = {});

  /// Blocks for the next data frame; false when the connection ended
  /// (closed by either side, or `abort()` from another thread).
  bool read(std::string& frame);

  /// The close reason / error that ended the connection.
  const std::string& ended_because() const noexcept;

  /// Shuts the socket down (safe from another thread): a blocked read()
  /// returns false.
  void abort();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace herald::bench

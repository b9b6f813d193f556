#pragma once

// The HTTP/1.1 + WebSocket front end on Boost.Beast. The server owns the
// acceptor and one session per connection; what a request means is the
// router's business (the API, through a route_table). Each session is the
// exception barrier of its connection: a handler that throws gets its
// request a 500 `internal` (the text logged behind a request id) and the
// connection serves on. Requests Beast cannot parse are answered with
// DESIGN §7's error naming the part at fault (413 for limits). Threads:
// everything here runs on the io_context's threads; a session's handlers
// run on its own strand.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <caf/expected.hpp>

#include "tools/http/endpoint.hpp"
#include "tools/http/http_util.hpp"

namespace herald::http {

/// What the server asks of the layer that knows the API.
class http_router {
public:
  using reply_fn = http::reply_fn;

  virtual ~http_router() = default;

  /// Handles one request. `reply` may be called from any thread, exactly
  /// once; the session writes the response on its strand.
  virtual void handle(http_request req, const std::string& remote_ip,
                      reply_fn reply) = 0;

  /// Takes over a connection whose request is a WebSocket upgrade. The
  /// router either accepts the upgrade on `stream` or writes an error
  /// response and closes it.
  virtual void upgrade(http_request req, boost::beast::tcp_stream stream,
                       const std::string& remote_ip) = 0;
};

/// What a request may be, and how long a connection may idle.
struct http_limits {
  size_t max_body_bytes = 1024 * 1024;
  size_t max_header_bytes = 16 * 1024;
  unsigned idle_timeout_s = 60;
};

/// The listener. Lifetime: shared_ptr only; `router` outlives it.
class http_server : public std::enable_shared_from_this<http_server> {
public:
  http_server(boost::asio::io_context& ioc, http_router& router,
              http_limits limits);

  /// Binds and starts accepting. Returns the bound port (useful with port 0).
  caf::expected<uint16_t> listen(const endpoint& ep);

  /// Stops accepting new connections; existing ones finish their request.
  void stop_accepting();

  /// Connections accepted so far and open now (for logs and metrics).
  size_t open_connections() const noexcept { return open_->load(); }
  /// Connections accepted since listen() (keep-alive checks in tests).
  size_t accepted_connections() const noexcept { return accepted_.load(); }

private:
  void do_accept();

  boost::asio::io_context& ioc_;
  http_router& router_;
  http_limits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  /// Shared with the sessions: a session destroyed after the server (with
  /// the io_context, when it still held one) counts down a live counter.
  std::shared_ptr<std::atomic<size_t>> open_ =
      std::make_shared<std::atomic<size_t>>(0);
  std::atomic<size_t> accepted_{0};
};

} // namespace herald::http

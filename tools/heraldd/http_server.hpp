#pragma once

// heraldd's HTTP/1.1 + WebSocket front end on Boost.Beast. The server owns
// the acceptor and one session per connection; what a request means is the
// router's business (node_api). Threads: everything here runs on the
// io_context's threads; a session's handlers run on its own strand.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <caf/expected.hpp>

#include "tools/heraldd/daemon_config.hpp"
#include "tools/heraldd/http_util.hpp"

namespace herald::heraldd {

/// What the server asks of the layer that knows the API.
class http_router {
public:
  using reply_fn = std::function<void(http_response)>;

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

struct http_limits {
  size_t max_body_bytes = 1024 * 1024;
  size_t max_header_bytes = 16 * 1024;
  unsigned idle_timeout_s = 60;
};

class http_server : public std::enable_shared_from_this<http_server> {
public:
  http_server(boost::asio::io_context& ioc, http_router& router,
              http_limits limits);

  /// Binds and starts accepting. Returns the bound port (useful with port 0).
  caf::expected<uint16_t> listen(const endpoint& ep);

  /// Stops accepting new connections; existing ones finish their request.
  void stop_accepting();

  /// Connections accepted so far and open now (for logs and metrics).
  size_t open_connections() const noexcept { return open_.load(); }

private:
  void do_accept();

  boost::asio::io_context& ioc_;
  http_router& router_;
  http_limits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<size_t> open_{0};
};

} // namespace herald::heraldd

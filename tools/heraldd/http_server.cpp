#include "tools/heraldd/http_server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

namespace herald::heraldd {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// One HTTP connection: read a request, hand it to the router, write the
/// reply, repeat while keep-alive. One request at a time (no pipelining of
/// replies), so responses keep request order.
class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(tcp::socket socket, http_router& router, http_limits limits,
               std::atomic<size_t>& open)
      : stream_(std::move(socket)), router_(router), limits_(limits),
        open_(open) {
    ++open_;
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec)
      remote_ip_ = ep.address().to_string();
  }

  ~http_session() { --open_; }

  void run() {
    net::dispatch(
        stream_.get_executor(),
        beast::bind_front_handler(&http_session::do_read, shared_from_this()));
  }

private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(limits_.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(limits_.max_header_bytes));
    stream_.expires_after(std::chrono::seconds(limits_.idle_timeout_s));
    http::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&http_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream)
      return do_close();
    if (ec == http::error::body_limit) {
      // The body was not read: answer and close the connection.
      auto res =
          error_response(runtime::errc::too_large,
                         "request body exceeds " +
                             std::to_string(limits_.max_body_bytes) + " bytes",
                         "", 11, false);
      return write(std::move(res));
    }
    if (ec == http::error::header_limit) {
      auto res = error_response(runtime::errc::too_large,
                                "request headers too large", "", 11, false);
      return write(std::move(res));
    }
    if (ec) {
      if (ec != beast::error::timeout && ec != net::error::operation_aborted &&
          ec != net::error::connection_reset)
        spdlog::debug("http: read from {} failed: {}", remote_ip_,
                      ec.message());
      if (ec.category() ==
          make_error_code(http::error::bad_target).category()) {
        auto res = error_response(runtime::errc::invalid_parameter,
                                  "malformed HTTP request: " + ec.message(), "",
                                  11, false);
        return write(std::move(res));
      }
      return;
    }
    auto req = parser_->release();
    if (beast::websocket::is_upgrade(req)) {
      stream_.expires_never();
      router_.upgrade(std::move(req), std::move(stream_), remote_ip_);
      return;
    }
    auto self = shared_from_this();
    router_.handle(std::move(req), remote_ip_, [self](http_response res) {
      net::post(
          self->stream_.get_executor(),
          [self, r = std::move(res)]() mutable { self->write(std::move(r)); });
    });
  }

  void write(http_response res) {
    res_ = std::make_shared<http_response>(std::move(res));
    stream_.expires_after(std::chrono::seconds(limits_.idle_timeout_s));
    http::async_write(stream_, *res_,
                      beast::bind_front_handler(&http_session::on_write,
                                                shared_from_this(),
                                                res_->need_eof()));
  }

  void on_write(bool close, beast::error_code ec, size_t) {
    res_.reset();
    if (ec)
      return;
    if (close)
      return do_close();
    do_read();
  }

  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http_response> res_;
  http_router& router_;
  http_limits limits_;
  std::atomic<size_t>& open_;
  std::string remote_ip_;
};

} // namespace

http_server::http_server(net::io_context& ioc, http_router& router,
                         http_limits limits)
    : ioc_(ioc), router_(router), limits_(limits),
      acceptor_(net::make_strand(ioc)) {}

caf::expected<uint16_t> http_server::listen(const endpoint& ep) {
  beast::error_code ec;
  auto addr = net::ip::make_address(ep.host, ec);
  if (ec) {
    // A host name: resolve it once.
    tcp::resolver resolver{ioc_};
    auto results = resolver.resolve(ep.host, std::to_string(ep.port), ec);
    if (ec || results.empty())
      return runtime::make_api_error(
          runtime::errc::invalid_parameter,
          "cannot resolve HTTP host '" + ep.host + "'", "http");
    addr = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint{addr, ep.port};
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor_.bind(endpoint, ec);
  if (!ec)
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return runtime::make_api_error(runtime::errc::unavailable,
                                   "cannot listen on " + ep.host + ":" +
                                       std::to_string(ep.port) + ": " +
                                       ec.message(),
                                   "http");
  auto port = acceptor_.local_endpoint().port();
  do_accept();
  return port;
}

void http_server::stop_accepting() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
  });
}

void http_server::do_accept() {
  acceptor_.async_accept(
      net::make_strand(ioc_),
      [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (ec) {
          if (ec == net::error::operation_aborted || !self->acceptor_.is_open())
            return;
          spdlog::warn("http: accept failed: {}", ec.message());
        } else {
          socket.set_option(tcp::no_delay(true), ec);
          std::make_shared<http_session>(std::move(socket), self->router_,
                                         self->limits_, self->open_)
              ->run();
        }
        self->do_accept();
      });
}

} // namespace herald::heraldd

#include "tools/http/http_server.hpp"

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

namespace herald::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

/// One HTTP connection: read a request, hand it to the router, write the
/// reply, repeat while keep-alive. One request at a time (no pipelining of
/// replies), so responses keep request order.
class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(tcp::socket socket, http_router& router, http_limits limits,
               std::shared_ptr<std::atomic<size_t>> open)
      : stream_(std::move(socket)), router_(router), limits_(limits),
        open_(std::move(open)) {
    ++*open_;
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec)
      remote_ip_ = ep.address().to_string();
  }

  ~http_session() { --*open_; }

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
    bhttp::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&http_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    // The exception barrier of the connection: nothing a client sends may
    // stop the node. A handler that throws anyway gets a 500 (its text is
    // logged, not sent) and the connection keeps serving.
    try {
      read_done(ec);
    } catch (const std::exception& e) {
      fail_request(e.what());
    } catch (...) {
      fail_request("unknown exception");
    }
  }

  void fail_request(std::string_view what) {
    if (upgraded_) {
      // The stream belongs to the router now: nothing to answer through.
      spdlog::error("http: WebSocket upgrade from {} threw: {}", remote_ip_,
                    what);
      return;
    }
    auto state = reply_.lock();
    if (state)
      spdlog::error("http: {} {} from {} threw", state->method, state->target,
                    remote_ip_);
    if (state && !state->claim())
      return; // the handler answered before it threw: only log
    if (!state && reply_started_)
      return; // its callbacks died with the throw and answered 500
    write(internal_error_response("request handler threw: " + std::string{what},
                                  11, false));
  }

  /// What a read error means to the client: the field of the request at
  /// fault and the status (413 for limits, 400 otherwise).
  static std::pair<runtime::errc, std::string>
  describe_read_error(const beast::error_code& ec) {
    using e = bhttp::error;
    if (ec == e::body_limit || ec == e::header_limit ||
        ec == e::buffer_overflow)
      return {runtime::errc::too_large,
              ec == e::body_limit ? "body" : "headers"};
    if (ec == e::bad_content_length)
      return {runtime::errc::invalid_parameter, "Content-Length"};
    if (ec == e::bad_transfer_encoding || ec == e::bad_chunk ||
        ec == e::bad_chunk_extension)
      return {runtime::errc::invalid_parameter, "Transfer-Encoding"};
    if (ec == e::bad_target)
      return {runtime::errc::invalid_parameter, "target"};
    if (ec == e::bad_method)
      return {runtime::errc::invalid_parameter, "method"};
    if (ec == e::bad_version)
      return {runtime::errc::invalid_parameter, "version"};
    if (ec == e::bad_field || ec == e::bad_value || ec == e::bad_line_ending)
      return {runtime::errc::invalid_parameter, "headers"};
    return {runtime::errc::invalid_parameter, "request"};
  }

  void read_done(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream)
      return do_close();
    if (ec == bhttp::error::body_limit) {
      // The body was not read: answer and close the connection.
      return write(error_response(runtime::errc::too_large,
                                  "request body exceeds " +
                                      std::to_string(limits_.max_body_bytes) +
                                      " bytes",
                                  "body", 11, false));
    }
    if (ec) {
      if (ec.category() !=
          make_error_code(bhttp::error::bad_target).category()) {
        // A transport error (timeout, reset): nothing to answer.
        if (ec != beast::error::timeout &&
            ec != net::error::operation_aborted &&
            ec != net::error::connection_reset)
          spdlog::debug("http: read from {} failed: {}", remote_ip_,
                        ec.message());
        return;
      }
      if (ec == bhttp::error::partial_message)
        return do_close(); // the client left mid-request
      // A request Beast cannot parse: answer with what is wrong and close.
      // Input that is not HTTP at all fails on its first line the same way.
      auto [code, field] = describe_read_error(ec);
      return write(
          error_response(code,
                         code == runtime::errc::too_large
                             ? "request " + field + " too large"
                             : "malformed HTTP request: " + ec.message(),
                         field, 11, false));
    }
    auto req = parser_->release();
    head_ = req.method() == bhttp::verb::head;
    if (beast::websocket::is_upgrade(req)) {
      if (auto err = check_websocket_handshake(req))
        return write(error_response(err, req.version(), false));
      stream_.expires_never();
      // The router owns the stream from here: it cannot answer through us.
      upgraded_ = true;
      router_.upgrade(std::move(req), std::move(stream_), remote_ip_);
      return;
    }
    auto state = std::make_shared<reply_state>(
        shared_from_this(), std::string{req.method_string()},
        std::string{req.target()}, req.version());
    reply_ = state;
    reply_started_ = true;
    router_.handle(std::move(req), remote_ip_,
                   [state = std::move(state)](http_response res) {
                     state->send(std::move(res));
                   });
  }

  /// Beast answers a bad handshake with a text body of its own; this node
  /// answers with DESIGN §7's error instead, before the router sees it.
  static caf::error check_websocket_handshake(const http_request& req) {
    if (req.find(bhttp::field::host) == req.end())
      return runtime::make_api_error(runtime::errc::invalid_parameter,
                                     "a WebSocket handshake needs a Host",
                                     "Host");
    auto key = req[bhttp::field::sec_websocket_key];
    // RFC 6455 4.1: the base64 of 16 bytes, 24 characters ending "==".
    bool key_ok = key.size() == 24 && key.ends_with("==");
    for (size_t i = 0; key_ok && i < 22; ++i) {
      auto c = static_cast<unsigned char>(key[i]);
      key_ok = std::isalnum(c) || c == '+' || c == '/';
    }
    if (!key_ok)
      return runtime::make_api_error(
          runtime::errc::invalid_parameter,
          "Sec-WebSocket-Key must be the base64 of 16 bytes",
          "Sec-WebSocket-Key");
    if (req[bhttp::field::sec_websocket_version] != "13")
      return runtime::make_api_error(runtime::errc::invalid_parameter,
                                     "Sec-WebSocket-Version must be 13",
                                     "Sec-WebSocket-Version");
    return {};
  }

  /// One request's reply, whichever thread it comes from: the first
  /// answer is written; a reply dropped unanswered (a handler that lost its
  /// callback, an actor that died in a callback) answers 500 when its last
  /// copy goes away, so the client is never left waiting.
  struct reply_state {
    reply_state(std::shared_ptr<http_session> s, std::string m, std::string t,
                unsigned v)
        : self(std::move(s)), method(std::move(m)), target(std::move(t)),
          version(v) {}

    ~reply_state() {
      if (claim())
        post(internal_error_response("request " + method + " " + target +
                                         " was never answered",
                                     version, false));
    }

    /// True for the first caller only.
    bool claim() { return !answered.exchange(true); }

    void send(http_response res) {
      if (claim())
        post(std::move(res));
    }

    void post(http_response res) {
      try {
        net::post(self->stream_.get_executor(),
                  [s = self, r = std::move(res)]() mutable {
                    s->write(std::move(r));
                  });
      } catch (const std::exception& e) {
        spdlog::error("http: cannot post a reply: {}", e.what());
      }
    }

    std::shared_ptr<http_session> self;
    std::string method;
    std::string target;
    unsigned version;
    std::atomic<bool> answered{false};
  };

  void write(http_response res) {
    if (head_) {
      // A reply to HEAD has the headers of the GET reply and no body.
      const auto length = res.body().size();
      res.body().clear();
      res.content_length(length);
      head_ = false;
    }
    set_default_headers(res);
    res_ = std::make_shared<http_response>(std::move(res));
    stream_.expires_after(std::chrono::seconds(limits_.idle_timeout_s));
    bhttp::async_write(stream_, *res_,
                       beast::bind_front_handler(&http_session::on_write,
                                                 shared_from_this(),
                                                 res_->need_eof()));
  }

  void on_write(bool close, beast::error_code ec, size_t) {
    res_.reset();
    reply_.reset();
    reply_started_ = false;
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
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<http_response> res_;
  std::weak_ptr<reply_state> reply_; ///< the request being answered
  bool reply_started_ = false;       ///< reply_ was set for this request
  bool upgraded_ = false;            ///< stream_ went to the router
  bool head_ = false;                ///< the request being answered is HEAD
  http_router& router_;
  http_limits limits_;
  std::shared_ptr<std::atomic<size_t>> open_;
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
          ++self->accepted_;
          std::make_shared<http_session>(std::move(socket), self->router_,
                                         self->limits_, self->open_)
              ->run();
        }
        self->do_accept();
      });
}

} // namespace herald::http

#include "tools/herald-bench/bench_client.hpp"

#include <cctype>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace herald::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// --- http_conn --------------------------------------------------------------

struct http_conn::impl {
  std::string host;
  uint16_t port;
  std::string token;
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool connected = false;

  beast::error_code connect() {
    beast::error_code ec;
    stream.close();
    buffer.clear();
    stream.socket().connect(tcp::endpoint{asio::ip::make_address(host), port},
                            ec);
    if (!ec) {
      stream.socket().set_option(tcp::no_delay{true}, ec);
      connected = true;
    }
    return ec;
  }
};

http_conn::http_conn(std::string host, uint16_t port, std::string token)
    : impl_(std::make_unique<impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->token = std::move(token);
}

http_conn::~http_conn() {
  beast::error_code ignored;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

http_result http_conn::get(std::string_view target) {
  return exchange(method::get, target, {});
}

http_result http_conn::post(std::string_view target, std::string body) {
  return exchange(method::post, target, body);
}

http_result http_conn::put(std::string_view target, std::string body) {
  return exchange(method::put, target, body);
}

http_result http_conn::exchange(method m, std::string_view target,
                                const std::string& body) {
  const auto verb = m == method::get    ? http::verb::get
                    : m == method::post ? http::verb::post
                                        : http::verb::put;
  http::request<http::string_body> req{verb, std::string{target}, 11};
  req.set(http::field::host, impl_->host);
  req.set(http::field::user_agent, "herald-bench");
  if (!impl_->token.empty())
    req.set(http::field::authorization, "Bearer " + impl_->token);
  req.keep_alive(true);
  if (m != method::get) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
  }
  http_result out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    if (!impl_->connected && (ec = impl_->connect())) {
      out.error = "connect: " + ec.message();
      return out;
    }
    http::write(impl_->stream, req, ec);
    http::response<http::string_body> res;
    if (!ec) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(64u << 20);
      http::read(impl_->stream, impl_->buffer, parser, ec);
      if (!ec)
        res = parser.release();
    }
    if (ec) {
      impl_->connected = false;
      out.error = ec.message();
      continue; // the server may have closed an idle connection: retry once
    }
    if (!res.keep_alive())
      impl_->connected = false;
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    out.error.clear();
    return out;
  }
  return out;
}

// --- ws_conn ----------------------------------------------------------------

struct ws_conn::impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::string ended;
};

ws_conn::ws_conn() : impl_(std::make_unique<impl>()) {}

ws_conn::~ws_conn() {
  abort();
}

std::string ws_conn::connect(const std::string& host, uint16_t port,
                             const std::string& target, int rcvbuf,
                             const std::string& token) {
  auto& sock = beast::get_lowest_layer(impl_->ws).socket();
  beast::error_code ec;
  sock.open(tcp::v4(), ec);
  if (!ec && rcvbuf > 0)
    sock.set_option(asio::socket_base::receive_buffer_size{rcvbuf}, ec);
  if (!ec)
    sock.connect(tcp::endpoint{asio::ip::make_address(host), port}, ec);
  if (ec)
    return "connect: " + ec.message();
  sock.set_option(tcp::no_delay{true}, ec);
  if (!token.empty())
    impl_->ws.set_option(websocket::stream_base::decorator(
        [token](websocket::request_type& req) {
          req.set(http::field::authorization, "Bearer " + token);
        }));
  websocket::response_type res;
  impl_->ws.handshake(res, host + ":" + std::to_string(port), target, ec);
  if (ec)
    return "handshake: " + ec.message() + " (HTTP " +
           std::to_string(res.result_int()) + " " + res.body() + ")";
  return {};
}

bool ws_conn::read(std::string& frame) {
  impl_->buffer.clear();
  beast::error_code ec;
  impl_->ws.read(impl_->buffer, ec);
  if (ec) {
    if (ec == websocket::error::closed)
      impl_->ended = "close " + std::to_string(impl_->ws.reason().code) + " " +
                     std::string{impl_->ws.reason().reason.c_str()};
    else
      impl_->ended = ec.message();
    return false;
  }
  // flat_buffer holds the frame contiguously: copy it into the caller's
  // string, reusing its capacity (no allocation per frame).
  auto data = impl_->buffer.data();
  frame.assign(static_cast<const char*>(data.data()), data.size());
  return true;
}

const std::string& ws_conn::ended_because() const noexcept {
  return impl_->ended;
}

void ws_conn::abort() {
  beast::error_code ignored;
  auto& sock = beast::get_lowest_layer(impl_->ws).socket();
  if (sock.is_open())
    sock.shutdown(tcp::socket::shutdown_both, ignored);
}

} // namespace herald::bench

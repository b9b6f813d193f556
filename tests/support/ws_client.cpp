#include "tests/support/ws_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

namespace herald::test {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

} // namespace

struct ws_client::impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  bool upgraded = false;
  bool ended = false;
  bool read_pending = false;
  bool read_done = false;
  bool binary = false;
  beast::error_code read_ec;
  beast::flat_buffer buffer;
  std::optional<ws_close_frame> close;
  std::string error;

  /// Runs handlers until `done` or `until`; true when `done`.
  bool run_until(const bool& done, clock_type::time_point until) {
    while (!done) {
      auto now = clock_type::now();
      if (now >= until)
        return false;
      if (ioc.stopped())
        ioc.restart();
      ioc.run_one_for(until - now);
    }
    return true;
  }

  /// Drops the connection without a close handshake.
  void drop() {
    beast::error_code ignored;
    auto& sock = beast::get_lowest_layer(ws).socket();
    if (sock.is_open()) {
      sock.shutdown(tcp::socket::shutdown_both, ignored);
      sock.close(ignored);
    }
  }
};

std::string ws_upgrade::describe() const {
  if (upgraded)
    return "upgraded";
  if (status == 0)
    return "no HTTP answer: " + error;
  return "HTTP " + std::to_string(status) + " " + body;
}

ws_client::ws_client() : impl_(std::make_unique<impl>()) {}

ws_client::~ws_client() {
  impl_->drop();
  // Let pending handlers see the cancellation before the stream goes away.
  impl_->ioc.restart();
  impl_->ioc.run_for(std::chrono::milliseconds(200));
}

ws_upgrade ws_client::connect(uint16_t port, std::string_view target,
                              const ws_connect_options& options) {
  ws_upgrade out;
  auto& d = *impl_;
  auto until = clock_type::now() + options.timeout;
  auto& lowest = beast::get_lowest_layer(d.ws);
  beast::error_code ec;

  auto& sock = lowest.socket();
  sock.open(tcp::v4(), ec);
  if (!ec && options.receive_buffer > 0)
    sock.set_option(
        asio::socket_base::receive_buffer_size(options.receive_buffer), ec);
  if (ec) {
    out.error = "socket setup: " + ec.message();
    return out;
  }
  bool done = false;
  lowest.expires_after(options.timeout);
  lowest.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                       [&](beast::error_code e) {
                         ec = e;
                         done = true;
                       });
  if (!d.run_until(done, until + std::chrono::seconds(1)) || ec) {
    out.error = "connect: " + (ec ? ec.message() : std::string("timeout"));
    d.drop();
    d.run_until(done, clock_type::now() + std::chrono::seconds(1));
    return out;
  }

  lowest.expires_never();
  websocket::stream_base::timeout limits{};
  limits.handshake_timeout = options.timeout;
  limits.idle_timeout = websocket::stream_base::none();
  limits.keep_alive_pings = false;
  d.ws.set_option(limits);
  d.ws.read_message_max(64ull << 20);
  d.ws.set_option(websocket::stream_base::decorator(
      [headers = options.headers,
       bearer = options.bearer](websocket::request_type& req) {
        req.set(beast::http::field::user_agent, "herald-process-tests");
        if (!bearer.empty())
          req.set(beast::http::field::authorization, "Bearer " + bearer);
        for (const auto& [name, value] : headers)
          req.set(name, value);
      }));

  websocket::response_type res;
  done = false;
  d.ws.async_handshake(res, "127.0.0.1:" + std::to_string(port),
                       beast::string_view(target.data(), target.size()),
                       [&](beast::error_code e) {
                         ec = e;
                         done = true;
                       });
  if (!d.run_until(done, until + std::chrono::seconds(1))) {
    d.drop();
    d.run_until(done, clock_type::now() + std::chrono::seconds(1));
    out.error = "handshake timeout";
    return out;
  }
  out.status = static_cast<int>(res.result_int());
  if (ec) {
    out.body = res.body();
    out.error = "handshake: " + ec.message();
    d.drop();
    return out;
  }
  out.upgraded = true;
  d.upgraded = true;
  return out;
}

std::optional<std::string>
ws_client::read_text(std::chrono::milliseconds deadline) {
  auto& d = *impl_;
  if (!d.upgraded || d.ended)
    return std::nullopt;
  // A read that completed while send_text ran handlers is still unread.
  if (!d.read_pending && !d.read_done) {
    d.read_pending = true;
    d.read_done = false;
    d.buffer.clear();
    d.ws.async_read(d.buffer, [&d](beast::error_code e, size_t) {
      d.read_ec = e;
      d.read_done = true;
      d.read_pending = false;
    });
  }
  if (!d.run_until(d.read_done, clock_type::now() + deadline))
    return std::nullopt;
  d.read_done = false;
  if (d.read_ec) {
    d.ended = true;
    d.error = d.read_ec.message();
    // The server's close frame may have arrived although the read failed
    // on something else: answering it failed because the server had torn
    // the connection down already (a failed connection, a node exiting).
    if (d.read_ec == websocket::error::closed ||
        d.ws.reason().code != websocket::close_code::none) {
      const auto& reason = d.ws.reason();
      d.close = ws_close_frame{static_cast<int>(reason.code),
                               std::string(reason.reason.c_str())};
    }
    return std::nullopt;
  }
  d.binary = d.ws.got_binary();
  return beast::buffers_to_string(d.buffer.data());
}

std::optional<nlohmann::json>
ws_client::read_json(std::chrono::milliseconds deadline) {
  auto text = read_text(deadline);
  if (!text)
    return std::nullopt;
  return nlohmann::json::parse(*text, nullptr, false);
}

bool ws_client::ended() const noexcept {
  return impl_->ended;
}

std::optional<ws_close_frame> ws_client::close_frame() const {
  return impl_->close;
}

std::string ws_client::error() const {
  return impl_->error;
}

bool ws_client::last_was_binary() const noexcept {
  return impl_->binary;
}

bool ws_client::send_text(std::string_view text, bool binary,
                          std::chrono::milliseconds deadline) {
  auto& d = *impl_;
  if (!d.upgraded || d.ended)
    return false;
  bool done = false;
  beast::error_code ec;
  d.ws.binary(binary);
  d.ws.async_write(asio::buffer(text.data(), text.size()),
                   [&](beast::error_code e, size_t) {
                     ec = e;
                     done = true;
                   });
  // A read left pending by read_text may complete meanwhile: it stays
  // done for the next read_text.
  if (!d.run_until(done, clock_type::now() + deadline)) {
    d.drop();
    d.run_until(done, clock_type::now() + std::chrono::seconds(1));
    return false;
  }
  d.ws.binary(false);
  return !ec;
}

void ws_client::close(std::chrono::milliseconds deadline) {
  auto& d = *impl_;
  if (!d.upgraded || d.ended)
    return;
  bool done = false;
  d.ws.async_close(websocket::close_code::normal,
                   [&done](beast::error_code) { done = true; });
  auto until = clock_type::now() + deadline;
  if (!d.run_until(done, until))
    d.drop();
  d.run_until(done, clock_type::now() + std::chrono::milliseconds(500));
  d.ended = true;
}

} // namespace herald::test

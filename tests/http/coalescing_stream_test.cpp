// The write-behind layer under a server WebSocket: every message arrives
// whole, in order and byte-identical, Beast's control frames (pongs, close)
// stay intact between them, frames written during a socket write go out
// together, and a client that does not read holds the writer back with
// bounded memory.

#include "tools/http/coalescing_stream.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

namespace herald::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

std::string message(size_t i, size_t size) {
  std::string s = std::to_string(i) + ":";
  s.resize(std::max(size, s.size()), static_cast<char>('a' + i % 26));
  return s;
}

/// A server WebSocket over a coalescing_stream on its own io thread: it
/// accepts one client, reads (so pings get pongs), writes `count` messages
/// back to back, then closes with 1000 "done".
class server {
public:
  server(size_t count, size_t size, size_t high_water, bool cork = false)
      : count_(count), size_(size), high_water_(high_water), cork_(cork),
        acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (ec)
        return;
      s.set_option(net::socket_base::send_buffer_size(4096));
      ws_ = std::make_unique<websocket::stream<coalescing_stream>>(
          beast::tcp_stream{std::move(s)}, high_water_);
      ws_->async_accept([this](beast::error_code ec) {
        if (ec)
          return;
        ws_->text(true);
        read();
        write(0);
      });
    });
    thread_ = std::thread{[this] { ioc_.run(); }};
  }
  ~server() {
    ioc_.stop();
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  std::atomic<size_t> written{0};
  std::atomic<size_t> max_buffered{0};
  std::atomic<size_t> held_writes{0};
  std::atomic<size_t> socket_writes{0};
  std::atomic<bool> closed{false};

private:
  void read() {
    ws_->async_read(in_, [this](beast::error_code ec, size_t) {
      if (ec)
        return;
      in_.consume(in_.size());
      read();
    });
  }
  void write(size_t i) {
    if (i == count_) {
      ws_->async_close(
          websocket::close_reason{websocket::close_code::normal, "done"},
          [this](beast::error_code) { closed = true; });
      return;
    }
    out_ = message(i, size_);
    // Corked in batches of 50, as websocket_session does per batch popped.
    ws_->next_layer().set_corked(cork_ && (i + 1) % 50 != 0 && i + 1 < count_);
    ws_->async_write(net::buffer(out_),
                     [this, i](beast::error_code ec, size_t) {
                       if (ec)
                         return;
                       written = i + 1;
                       write(i + 1);
                     });
    auto held = ws_->next_layer().buffered_bytes();
    if (held > max_buffered)
      max_buffered = held;
    if (ws_->next_layer().write_waiting())
      ++held_writes;
    socket_writes = ws_->next_layer().socket_writes();
  }

  size_t count_;
  size_t size_;
  size_t high_water_;
  bool cork_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::unique_ptr<websocket::stream<coalescing_stream>> ws_;
  beast::flat_buffer in_;
  std::string out_;
  std::thread thread_;
};

/// A blocking client with a small receive buffer.
struct client {
  explicit client(uint16_t port) {
    beast::error_code ec;
    auto& sock = ws.next_layer();
    sock.open(tcp::v4());
    sock.set_option(net::socket_base::receive_buffer_size(4096));
    sock.connect({net::ip::make_address("127.0.0.1"), port});
    ws.handshake("127.0.0.1", "/");
  }
  std::string read() {
    buf.clear();
    ws.read(buf);
    return beast::buffers_to_string(buf.data());
  }
  net::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  beast::flat_buffer buf;
};

bool wait_for(const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(coalescing_stream, messages_arrive_whole_in_order_and_coalesced) {
  constexpr size_t n = 5000;
  server srv{n, 100, coalescing_stream::default_high_water, true};
  client c{srv.port()};
  for (size_t i = 0; i < n; ++i)
    ASSERT_EQ(c.read(), message(i, 100)) << "message " << i;
  beast::error_code ec;
  c.buf.clear();
  c.ws.read(c.buf, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(c.ws.reason().code, 1000);
  EXPECT_EQ(std::string{c.ws.reason().reason.c_str()}, "done");
  EXPECT_TRUE(wait_for([&] { return srv.closed.load(); }));
  // Corked batches of 50 went out in far fewer socket writes than frames
  // (a batch may be split by a write still in flight when it ends).
  EXPECT_LT(srv.socket_writes.load(), n / 10);
}

TEST(coalescing_stream, pongs_go_out_intact_between_data_frames) {
  constexpr size_t n = 3000;
  server srv{n, 300, coalescing_stream::default_high_water, true};
  client c{srv.port()};
  size_t pongs = 0;
  c.ws.control_callback(
      [&](websocket::frame_type kind, beast::string_view payload) {
        if (kind == websocket::frame_type::pong) {
          EXPECT_EQ(std::string(payload), "p" + std::to_string(pongs));
          ++pongs;
        }
      });
  size_t pings = 0;
  for (size_t i = 0; i < n; ++i) {
    // Pings in the first half only: the small socket buffers keep the
    // server far from its close (after which Beast answers no ping).
    if (i % 100 == 0 && i < n / 2)
      c.ws.ping(websocket::ping_data{("p" + std::to_string(pings++)).c_str()});
    ASSERT_EQ(c.read(), message(i, 300)) << "message " << i;
  }
  beast::error_code ec;
  c.buf.clear();
  c.ws.read(c.buf, ec); // the close; the last pongs come before it
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(pongs, pings);
}

TEST(coalescing_stream, a_client_that_does_not_read_holds_writes_back) {
  constexpr size_t n = 4000;
  constexpr size_t size = 1000;
  constexpr size_t high_water = 8 * 1024;
  server srv{n, size, high_water, true};
  client c{srv.port()};
  // Nothing is read until a write had to wait for room: the socket's
  // buffers and the layer's high water are full.
  ASSERT_TRUE(wait_for([&] { return srv.held_writes.load() > 0; }));
  EXPECT_LT(srv.written.load(), n);
  for (size_t i = 0; i < n; ++i)
    ASSERT_EQ(c.read(), message(i, size)) << "message " << i;
  EXPECT_TRUE(wait_for([&] { return srv.written.load() == n; }));
  // Never more than the high water plus one message pending, and as much
  // in the socket write.
  EXPECT_LE(srv.max_buffered.load(), 2 * (high_water + size + 16));
}

} // namespace
} // namespace herald::http

#pragma once

// A write-behind layer between a Beast websocket::stream and its TCP stream:
// the frames the WebSocket writes while a socket write is in flight are
// gathered and go out together in the next one. A stream of small event
// frames then costs one send syscall per batch instead of one per frame,
// with no added latency (the first frame of an idle connection goes out at
// once) and with every byte in the order Beast wrote it — Beast's own
// control frames (pings, pongs, close) included, since they are written
// through this layer too.
//
//   async_write_some(b) ──copy──▶ pending ──(no write in flight)──▶ socket
//        │                           ▲                                │
//        └ completes at once while   └──── gathered meanwhile ◀───────┘
//          pending < high water, else when a socket write drains it
//
// A writer that knows more frames follow at once (a batch it is writing
// message by message) corks the layer: the socket write waits for the
// batch's last frame (set_corked(false)) or for the high water, so a batch
// goes out in one send even when each frame's socket write would have
// finished before the next frame came.
//
// Bounded: a write that leaves more than `high_water` bytes pending
// completes only when a socket write has taken them, so a client that does
// not read stops its WebSocket's writes as before (the producer's bounds
// and the slow-consumer cut still apply). At most `high_water` + one
// message waits here and as much again is in the socket write.
//
// A write error (the client left, the socket was closed) is reported by
// the next write and by any write waiting for room.
//
// Thread-safety: none; use it from the strand of its TCP stream (where a
// websocket::stream calls it). Lifetime: the buffers, the TCP stream and
// the completions waiting for room live in a shared state that the socket
// write holds, so destroying the layer with a write in flight is safe.

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace herald::http {

class coalescing_stream {
public:
  using next_layer_type = boost::beast::tcp_stream;
  using executor_type = next_layer_type::executor_type;

  /// Bytes that may wait for the socket before writes wait for room.
  static constexpr size_t default_high_water = 64 * 1024;

  explicit coalescing_stream(next_layer_type stream,
                             size_t high_water = default_high_water);

  coalescing_stream(coalescing_stream&&) = default;
  coalescing_stream& operator=(coalescing_stream&&) = default;

  executor_type get_executor() noexcept {
    return state_->stream.get_executor();
  }
  next_layer_type& next_layer() noexcept { return state_->stream; }
  const next_layer_type& next_layer() const noexcept { return state_->stream; }

  /// While corked, gathered bytes wait for set_corked(false) (or the high
  /// water) instead of going out with the next socket write. Uncorking
  /// starts a socket write of what is pending. A writer must uncork before
  /// it stops writing (Beast's own frames, a close, wait here meanwhile).
  void set_corked(bool corked) {
    state_->corked = corked;
    if (!corked)
      start_write(state_);
  }

  /// Bytes written to this layer and not yet taken by a socket write.
  size_t pending_bytes() const noexcept { return state_->pending.size(); }
  /// Bytes held here: pending plus the socket write's (at most twice the
  /// high water plus one message each).
  size_t buffered_bytes() const noexcept {
    return state_->pending.size() +
           (state_->in_flight ? state_->writing.size() : 0);
  }
  /// A write is waiting for room (the client is not reading fast enough).
  bool write_waiting() const noexcept { return state_->waiting != nullptr; }
  /// Socket writes started so far (one per batch of gathered writes).
  size_t socket_writes() const noexcept { return state_->socket_writes; }

  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers,
                       ReadHandler&& handler) {
    return state_->stream.async_read_some(buffers,
                                          std::forward<ReadHandler>(handler));
  }

  /// Copies all of `buffers` and completes with their size (never
  /// inline), at once while the pending bytes stay under the high water,
  /// else when a socket write has taken them; with the socket's error once
  /// a socket write failed.
  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers,
                        WriteHandler&& handler) {
    return boost::asio::async_initiate<WriteHandler,
                                       void(boost::beast::error_code, size_t)>(
        [this](auto h, const ConstBufferSequence& b) {
          auto st = state_;
          size_t n = 0;
          if (!st->error) {
            for (auto it = boost::asio::buffer_sequence_begin(b);
                 it != boost::asio::buffer_sequence_end(b); ++it) {
              boost::asio::const_buffer piece{*it};
              st->pending.append(static_cast<const char*>(piece.data()),
                                 piece.size());
              n += piece.size();
            }
          }
          auto done = std::make_unique<completion_of<decltype(h)>>(
              std::move(h), n, get_executor());
          if (st->error || st->pending.size() < st->high_water)
            done->post(st->error);
          else
            st->waiting = std::move(done);
          start_write(st);
        },
        handler, buffers);
  }

  /// Completes once everything written so far was taken by the socket
  /// (or with the socket's error).
  template <class Handler>
  auto async_flush(Handler&& handler) {
    return boost::asio::async_initiate<Handler, void(boost::beast::error_code)>(
        [this](auto h) {
          auto st = state_;
          auto done = std::make_unique<flush_of<decltype(h)>>(std::move(h),
                                                              get_executor());
          if (st->error || (st->pending.empty() && !st->in_flight))
            done->post(st->error);
          else
            st->flushes.push_back(std::move(done));
        },
        handler);
  }

private:
  /// A completion handler waiting here, type-erased.
  struct completion {
    virtual ~completion() = default;
    virtual void post(boost::beast::error_code ec) = 0;
  };

  template <class Handler>
  struct completion_of final : completion {
    completion_of(Handler h, size_t n, executor_type ex)
        : handler(std::move(h)), bytes(n), ex(std::move(ex)) {}
    void post(boost::beast::error_code ec) override {
      boost::asio::post(ex, boost::beast::bind_front_handler(
                                std::move(handler), ec, ec ? 0 : bytes));
    }
    Handler handler;
    size_t bytes;
    executor_type ex;
  };

  template <class Handler>
  struct flush_of final : completion {
    flush_of(Handler h, executor_type ex)
        : handler(std::move(h)), ex(std::move(ex)) {}
    void post(boost::beast::error_code ec) override {
      boost::asio::post(
          ex, boost::beast::bind_front_handler(std::move(handler), ec));
    }
    Handler handler;
    executor_type ex;
  };

  struct state {
    explicit state(next_layer_type s, size_t hw)
        : stream(std::move(s)), high_water(hw) {}
    next_layer_type stream;
    const size_t high_water;
    std::string pending; ///< gathered, not yet in a socket write
    std::string writing; ///< the socket write's bytes
    bool in_flight = false;
    bool corked = false;
    boost::beast::error_code error;      ///< the first socket write error
    std::unique_ptr<completion> waiting; ///< a write waiting for room
    std::vector<std::unique_ptr<completion>> flushes;
    size_t socket_writes = 0;
  };

  /// Starts a socket write of everything pending unless one is in flight.
  static void start_write(const std::shared_ptr<state>& st);
  static void on_written(const std::shared_ptr<state>& st,
                         boost::beast::error_code ec, size_t n);

  std::shared_ptr<state> state_;
};

/// Teardown (websocket close): what was written goes out first, then the
/// TCP stream's teardown.
void teardown(boost::beast::role_type role, coalescing_stream& stream,
              boost::beast::error_code& ec);

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, coalescing_stream& stream,
                    TeardownHandler&& handler) {
  stream.async_flush(
      [role, &stream, h = std::forward<TeardownHandler>(handler)](
          boost::beast::error_code) mutable {
        using boost::beast::websocket::async_teardown;
        async_teardown(role, stream.next_layer(), std::move(h));
      });
}

} // namespace herald::http

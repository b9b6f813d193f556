#include "tools/http/websocket_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

namespace herald::http {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

namespace {

/// How long an ended session may take to get its close frame out before the
/// socket is torn down (a client that reads nothing cannot hold it open).
constexpr std::chrono::seconds close_bound{1};
/// Frames taken from the source at a time.
constexpr size_t pop_batch = 512;

} // namespace

websocket_session::websocket_session(beast::tcp_stream stream,
                                     std::shared_ptr<frame_source> source,
                                     std::chrono::seconds idle_timeout)
    : ws_(std::move(stream)), source_(std::move(source)),
      idle_timeout_(idle_timeout), timer_(ws_.get_executor()) {}

websocket_session::~websocket_session() {
  source_->consumer_gone();
}

void websocket_session::start(http_request req) {
  // Beast pings an idle client at half the idle timeout and drops it when
  // the pong does not come back in time.
  auto timeouts =
      websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = idle_timeout_;
  ws_.set_option(timeouts);
  if (text_max_ > 0)
    ws_.read_message_max(text_max_);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set("server", "herald"); }));
  req_ = std::move(req);
}

void websocket_session::accept() {
  post([this] {
    if (accepted_ || finished_)
      return;
    accepted_ = true;
    ws_.async_accept(req_,
                     beast::bind_front_handler(&websocket_session::on_accept,
                                               shared_from_this()));
  });
}

void websocket_session::end_at(std::chrono::system_clock::time_point deadline,
                               uint16_t code, std::string reason) {
  deadline_ = deadline;
  deadline_close_ = {code, std::move(reason)};
}

void websocket_session::on_accept(beast::error_code ec) {
  req_ = {};
  if (ec) {
    spdlog::debug("websocket: upgrade failed: {}", ec.message());
    finish();
    return;
  }
  ws_.text(true);
  std::weak_ptr<websocket_session> weak = shared_from_this();
  source_->set_notify([weak] {
    if (auto self = weak.lock())
      self->schedule_pump();
  });
  arm_deadline();
  do_read();
  schedule_pump();
}

void websocket_session::arm_deadline() {
  if (!deadline_ || ending_)
    return;
  // The deadline is on the system clock; the wait runs on the steady clock
  // (a clock step moves the close by as much, which is acceptable).
  auto left = *deadline_ - std::chrono::system_clock::now();
  timer_.expires_after(std::max<std::chrono::steady_clock::duration>(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(left),
      std::chrono::steady_clock::duration::zero()));
  std::weak_ptr<websocket_session> weak = shared_from_this();
  timer_.async_wait([weak](beast::error_code ec) {
    if (ec)
      return;
    if (auto self = weak.lock())
      self->end(self->deadline_close_.first, self->deadline_close_.second);
  });
}

void websocket_session::do_read() {
  // Reading keeps pings/pongs and the close handshake going and tells us
  // when the client leaves; data messages are discarded unless
  // receive_text() asked for them.
  ws_.async_read(in_, beast::bind_front_handler(&websocket_session::on_read,
                                                shared_from_this()));
}

void websocket_session::on_read(beast::error_code ec, size_t) {
  if (ec) {
    read_ec_ = ec;
    finish();
    return;
  }
  if (text_max_ > 0 && active()) {
    if (ws_.got_binary())
      end(close_unsupported_data, "binary messages are not accepted");
    else
      on_text(beast::buffers_to_string(in_.data()));
  }
  in_.consume(in_.size());
  do_read();
}

void websocket_session::schedule_pump() {
  if (pump_posted_.exchange(true))
    return;
  net::post(ws_.get_executor(), [self = shared_from_this()] { self->pump(); });
}

void websocket_session::pump() {
  pump_posted_ = false;
  if (!accepted_ || writing_ || closing_ || finished_)
    return;
  std::optional<std::pair<uint16_t, std::string>> closed = ending_;
  if (!closed) {
    if (next_ >= pending_.size()) {
      pending_.clear();
      next_ = 0;
      source_->pop(pending_, pop_batch);
    }
    if (next_ < pending_.size()) {
      writing_ = true;
      // The frames popped together go out in one send: the socket write
      // waits for the last of them (or the layer's high water).
      ws_.next_layer().set_corked(next_ + 1 < pending_.size());
      ws_.async_write(net::buffer(*pending_[next_]),
                      beast::bind_front_handler(&websocket_session::on_write,
                                                shared_from_this()));
      return;
    }
    closed = source_->closed();
  }
  ws_.next_layer().set_corked(false);
  if (closed) {
    closing_ = true;
    sent_close_ = closed;
    websocket::close_reason reason;
    reason.code = closed->first;
    reason.reason = closed->second;
    ws_.async_close(reason, [self = shared_from_this()](beast::error_code) {
      self->finish();
    });
  }
}

void websocket_session::on_write(beast::error_code ec, size_t) {
  writing_ = false;
  if (ec) {
    finish();
    return;
  }
  pending_[next_].reset();
  ++next_;
  source_->mark_written();
  pump();
}

void websocket_session::close_after_frames(uint16_t code, std::string reason) {
  post([this, code, reason = std::move(reason)]() mutable {
    if (closing_ || finished_)
      return;
    source_->close(code, std::move(reason));
    pump();
  });
}

void websocket_session::end(uint16_t code, std::string reason) {
  post([this, code, reason = std::move(reason)]() mutable {
    if (ending_ || closing_ || finished_)
      return;
    ending_.emplace(code, std::move(reason));
    // Nothing more for this session: drop what is not on the wire yet (a
    // frame being written finishes first) and stop the producer.
    if (writing_)
      pending_.resize(next_ + 1);
    else
      pending_.clear(), next_ = 0;
    ws_.next_layer().set_corked(false);
    on_stop();
    timer_.cancel();
    timer_.expires_after(close_bound);
    std::weak_ptr<websocket_session> weak = shared_from_this();
    timer_.async_wait([weak](beast::error_code ec) {
      if (ec)
        return;
      if (auto s = weak.lock())
        s->finish();
    });
    // Before the 101 the close follows it (accept() comes when the
    // producer says so, if not before).
    pump();
  });
}

void websocket_session::post(std::function<void()> fn) {
  // The session stays alive until `fn` has run.
  net::post(ws_.get_executor(),
            [self = shared_from_this(), fn = std::move(fn)] { fn(); });
}

void websocket_session::finish() {
  if (finished_)
    return;
  finished_ = true;
  timer_.cancel();
  on_stop();
  source_->consumer_gone();
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
}

void refuse_upgrade(beast::tcp_stream stream, http_response res) {
  struct refusal {
    beast::tcp_stream stream;
    http_response res;
  };
  res.keep_alive(false);
  set_default_headers(res);
  auto r =
      std::make_shared<refusal>(refusal{std::move(stream), std::move(res)});
  r->stream.expires_after(std::chrono::seconds(5));
  beast::http::async_write(r->stream, r->res, [r](beast::error_code, size_t) {
    beast::error_code ec;
    r->stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  });
}

} // namespace herald::http

#include "tools/heraldd/stream_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

namespace herald::heraldd {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

stream_session::stream_session(beast::tcp_stream stream, caf::actor_system& sys,
                               actors::node_handles handles,
                               actors::stream_spec spec, size_t max_events,
                               size_t max_bytes,
                               std::chrono::seconds idle_timeout)
    : ws_(std::move(stream)), sys_(sys), handles_(std::move(handles)),
      spec_(std::move(spec)),
      sink_(std::make_shared<actors::stream_sink>(max_events, max_bytes)),
      idle_timeout_(idle_timeout) {}

stream_session::~stream_session() {
  if (actor_)
    caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
  sink_->consumer_gone();
}

void stream_session::run(http_request req) {
  // Beast pings an idle client at half the idle timeout and drops it when
  // the pong does not come back in time.
  auto timeouts =
      websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = idle_timeout_;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set("server", "herald"); }));
  ws_.async_accept(req, beast::bind_front_handler(&stream_session::on_accept,
                                                  shared_from_this()));
}

void stream_session::on_accept(beast::error_code ec) {
  if (ec) {
    spdlog::debug("stream: upgrade failed: {}", ec.message());
    return;
  }
  ws_.text(true);
  std::weak_ptr<stream_session> weak = shared_from_this();
  sink_->set_notify([weak] {
    if (auto self = weak.lock())
      self->schedule_pump();
  });
  actor_ = actors::spawn_stream(sys_, handles_, spec_, sink_);
  do_read();
  schedule_pump();
}

void stream_session::do_read() {
  // Clients send nothing but control frames; reading keeps pings/pongs and
  // the close handshake going and tells us when the client leaves.
  ws_.async_read(in_, beast::bind_front_handler(&stream_session::on_read,
                                                shared_from_this()));
}

void stream_session::on_read(beast::error_code ec, size_t) {
  if (ec) {
    finish();
    return;
  }
  in_.consume(in_.size());
  do_read();
}

void stream_session::schedule_pump() {
  if (pump_posted_.exchange(true))
    return;
  net::post(ws_.get_executor(), [self = shared_from_this()] { self->pump(); });
}

void stream_session::pump() {
  pump_posted_ = false;
  if (writing_ || closing_ || finished_)
    return;
  if (next_ >= pending_.size()) {
    pending_.clear();
    next_ = 0;
    sink_->pop(pending_, 512);
  }
  if (next_ < pending_.size()) {
    writing_ = true;
    ws_.async_write(net::buffer(pending_[next_].text),
                    beast::bind_front_handler(&stream_session::on_write,
                                              shared_from_this()));
    return;
  }
  if (auto closed = sink_->closed()) {
    closing_ = true;
    websocket::close_reason reason;
    reason.code = closed->first;
    reason.reason = closed->second;
    ws_.async_close(reason, [self = shared_from_this()](beast::error_code) {
      self->finish();
    });
  }
}

void stream_session::on_write(beast::error_code ec, size_t) {
  writing_ = false;
  if (ec) {
    finish();
    return;
  }
  pending_[next_].text.clear();
  pending_[next_].text.shrink_to_fit();
  ++next_;
  sink_->mark_written();
  pump();
}

void stream_session::shutdown() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->closing_ || self->finished_)
      return;
    self->sink_->close(static_cast<uint16_t>(websocket::close_code::going_away),
                       "node shutting down");
    self->pump();
  });
}

void stream_session::finish() {
  if (finished_)
    return;
  finished_ = true;
  if (actor_) {
    caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
    actor_ = nullptr;
  }
  sink_->consumer_gone();
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
}

std::shared_ptr<stream_session> stream_registry::add(
    const std::string& caller, size_t max_per_caller,
    const std::function<std::shared_ptr<stream_session>()>& make) {
  std::lock_guard guard{mtx_};
  std::erase_if(sessions_, [](const entry& e) { return e.session.expired(); });
  size_t open = 0;
  for (const auto& e : sessions_)
    open += e.caller == caller ? 1 : 0;
  if (open >= max_per_caller)
    return nullptr;
  auto s = make();
  sessions_.push_back(entry{caller, s});
  return s;
}

void stream_registry::shutdown_all() {
  std::vector<std::shared_ptr<stream_session>> open;
  {
    std::lock_guard guard{mtx_};
    for (auto& e : sessions_)
      if (auto s = e.session.lock())
        open.push_back(std::move(s));
    sessions_.clear();
  }
  for (auto& s : open)
    s->shutdown();
}

} // namespace herald::heraldd

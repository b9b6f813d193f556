#include "tools/heraldd/stream_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/type_ids.hpp"
#include "runtime/errc.hpp"
#include "tools/heraldd/actor_bridge.hpp"

namespace herald::heraldd {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;

namespace {

constexpr uint16_t close_policy_violation = 1008;
/// How long an ended stream may take to get its close frame out before the
/// socket is torn down (a client that reads nothing cannot hold it open).
constexpr std::chrono::seconds close_bound{1};
/// How long an identity update may take before the stream is ended instead.
constexpr std::chrono::milliseconds update_timeout{5000};

} // namespace

stream_session::stream_session(beast::tcp_stream stream, caf::actor_system& sys,
                               actors::node_handles handles,
                               actors::stream_spec spec, size_t max_events,
                               size_t max_bytes,
                               std::chrono::seconds idle_timeout,
                               int64_t expires_s)
    : ws_(std::move(stream)), sys_(sys), handles_(std::move(handles)),
      spec_(std::move(spec)),
      sink_(std::make_shared<actors::stream_sink>(max_events, max_bytes)),
      idle_timeout_(idle_timeout), expires_s_(expires_s),
      timer_(ws_.get_executor()) {}

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
  req_ = std::move(req);
  // The 101 waits for the subscription (DESIGN §7: what is published after
  // the handshake reaches the stream). Until then the callback keeps the
  // session alive; the actor calls it exactly once, on its subscription's
  // ack or when it ends, from a CAF thread: post to the strand.
  actors::stream_options opts;
  opts.on_subscribed = [self = shared_from_this()] {
    net::post(self->ws_.get_executor(), [self] { self->accept(); });
  };
  actor_ = actors::spawn_stream(sys_, handles_, spec_, sink_, opts);
}

void stream_session::accept() {
  if (accepted_ || finished_)
    return;
  accepted_ = true;
  ws_.async_accept(req_, beast::bind_front_handler(&stream_session::on_accept,
                                                   shared_from_this()));
}

void stream_session::on_accept(beast::error_code ec) {
  req_ = {};
  if (ec) {
    spdlog::debug("stream: upgrade failed: {}", ec.message());
    finish();
    return;
  }
  ws_.text(true);
  std::weak_ptr<stream_session> weak = shared_from_this();
  sink_->set_notify([weak] {
    if (auto self = weak.lock())
      self->schedule_pump();
  });
  arm_expiry();
  do_read();
  schedule_pump();
}

void stream_session::arm_expiry() {
  if (expires_s_ <= 0 || ending_)
    return;
  // exp is a Unix second on the system clock; the wait runs on the steady
  // clock (a clock step moves the close by as much, which is acceptable).
  const auto exp =
      std::chrono::system_clock::time_point{std::chrono::seconds{expires_s_}};
  auto left = exp - std::chrono::system_clock::now();
  timer_.expires_after(std::max<std::chrono::steady_clock::duration>(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(left),
      std::chrono::steady_clock::duration::zero()));
  std::weak_ptr<stream_session> weak = shared_from_this();
  timer_.async_wait([weak](beast::error_code ec) {
    if (ec)
      return;
    if (auto self = weak.lock())
      self->end(close_policy_violation, close_credential_expired);
  });
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
  if (!accepted_ || writing_ || closing_ || finished_)
    return;
  std::optional<std::pair<uint16_t, std::string>> closed = ending_;
  if (!closed) {
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
    closed = sink_->closed();
  }
  if (closed) {
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

void stream_session::end(uint16_t code, std::string reason) {
  net::post(ws_.get_executor(), [self = shared_from_this(), code,
                                 reason = std::move(reason)]() mutable {
    if (self->ending_ || self->closing_ || self->finished_)
      return;
    self->ending_.emplace(code, std::move(reason));
    // Nothing more for this credential: drop what is not on the wire yet
    // (a frame being written finishes first) and stop the producer.
    if (self->writing_)
      self->pending_.resize(self->next_ + 1);
    else
      self->pending_.clear(), self->next_ = 0;
    if (self->actor_)
      caf::anon_send_exit(self->actor_, caf::exit_reason::user_shutdown);
    self->timer_.cancel();
    self->timer_.expires_after(close_bound);
    std::weak_ptr<stream_session> weak = self;
    self->timer_.async_wait([weak](beast::error_code ec) {
      if (ec)
        return;
      if (auto s = weak.lock())
        s->finish();
    });
    // Before the 101 the close follows it (accept() comes when the actor
    // ends, if not before).
    self->pump();
  });
}

void stream_session::update_identity(runtime::identity who,
                                     std::function<void()> done) {
  net::post(ws_.get_executor(), [self = shared_from_this(),
                                 who = std::move(who),
                                 done = std::move(done)]() mutable {
    if (self->ending_ || self->closing_ || self->finished_ || !self->actor_)
      return done();
    std::weak_ptr<stream_session> weak = self;
    ask(
        self->sys_, self->actor_, update_timeout, [done](bool) { done(); },
        [weak, done](caf::error& err) {
          // Never leave the stream judging by the old identity.
          spdlog::warn("stream: identity update failed ({}): closing it",
                       caf::to_string(err));
          if (auto s = weak.lock())
            s->end(close_policy_violation, close_credential_revoked);
          done();
        },
        actors::identity_atom_v, std::move(who));
  });
}

void stream_session::finish() {
  if (finished_)
    return;
  finished_ = true;
  timer_.cancel();
  if (actor_) {
    caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
    actor_ = nullptr;
  }
  sink_->consumer_gone();
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
}

caf::expected<std::shared_ptr<stream_session>> stream_registry::add(
    const std::string& principal, size_t max_per_caller,
    const std::function<caf::expected<std::shared_ptr<stream_session>>()>&
        make) {
  std::lock_guard guard{mtx_};
  std::erase_if(sessions_, [](const entry& e) { return e.session.expired(); });
  size_t open = 0;
  for (const auto& e : sessions_)
    open += e.principal == principal ? 1 : 0;
  if (open >= max_per_caller)
    return runtime::make_api_error(
        runtime::errc::too_many_requests,
        principal + " has " + std::to_string(max_per_caller) +
            " open streams already (--max-streams-per-caller)");
  auto s = make();
  if (s)
    sessions_.push_back(entry{principal, *s});
  return s;
}

std::vector<std::shared_ptr<stream_session>>
stream_registry::open_of(const std::string& principal) {
  std::vector<std::shared_ptr<stream_session>> out;
  std::lock_guard guard{mtx_};
  for (auto& e : sessions_)
    if (e.principal == principal)
      if (auto s = e.session.lock())
        out.push_back(std::move(s));
  return out;
}

void stream_registry::revoke(const std::string& principal,
                             const std::string& reason) {
  for (auto& s : open_of(principal))
    s->end(close_policy_violation, reason);
}

void stream_registry::update_identity(const std::string& principal,
                                      runtime::identity who,
                                      std::function<void()> done) {
  auto open = open_of(principal);
  if (open.empty())
    return done();
  auto left = std::make_shared<std::atomic<size_t>>(open.size());
  auto one_done = [left, done = std::move(done)] {
    if (left->fetch_sub(1) == 1)
      done();
  };
  for (auto& s : open)
    s->update_identity(who, one_done);
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

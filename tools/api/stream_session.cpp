#include "tools/api/stream_session.hpp"

#include <boost/beast/websocket/rfc6455.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/type_ids.hpp"
#include "runtime/errc.hpp"
#include "tools/api/actor_bridge.hpp"
#include "tools/api/sink_frames.hpp"

namespace herald::api {

namespace {

/// How long an identity update may take before the stream is ended instead.
constexpr std::chrono::milliseconds update_timeout{5000};

} // namespace

stream_session::stream_session(
    boost::beast::tcp_stream stream, caf::actor_system& sys,
    actors::node_handles handles, actors::stream_spec spec, size_t max_events,
    size_t max_bytes, std::chrono::seconds idle_timeout, int64_t expires_s)
    : stream_session(
          std::move(stream), sys, std::move(handles), std::move(spec),
          std::make_shared<actors::stream_sink>(max_events, max_bytes),
          idle_timeout, expires_s) {}

stream_session::stream_session(boost::beast::tcp_stream stream,
                               caf::actor_system& sys,
                               actors::node_handles handles,
                               actors::stream_spec spec,
                               std::shared_ptr<actors::stream_sink> sink,
                               std::chrono::seconds idle_timeout,
                               int64_t expires_s)
    : websocket_session(std::move(stream), std::make_shared<sink_frames>(sink),
                        idle_timeout),
      sys_(sys), handles_(std::move(handles)), spec_(std::move(spec)),
      sink_(std::move(sink)) {
  if (expires_s > 0)
    end_at(
        std::chrono::system_clock::time_point{std::chrono::seconds{expires_s}},
        http::close_policy_violation, close_credential_expired);
}

stream_session::~stream_session() {
  if (actor_)
    caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
}

void stream_session::run(http::http_request req) {
  start(std::move(req));
  // The 101 waits for the subscription (DESIGN §7: what is published after
  // the handshake reaches the stream). Until then the callback keeps the
  // session alive; the actor calls it exactly once, on its subscription's
  // ack or when it ends, from a CAF thread (accept() posts to the strand).
  actors::stream_options opts;
  opts.on_subscribed = [self = shared_from_this()] { self->accept(); };
  actor_ = actors::spawn_stream(sys_, handles_, spec_, sink_, opts);
}

void stream_session::on_stop() {
  if (actor_) {
    caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
    actor_ = nullptr;
  }
}

void stream_session::shutdown() {
  close_after_frames(
      static_cast<uint16_t>(boost::beast::websocket::close_code::going_away),
      "node shutting down");
}

void stream_session::update_identity(runtime::identity who,
                                     std::function<void()> done) {
  auto self = std::static_pointer_cast<stream_session>(shared_from_this());
  post([self, who = std::move(who), done = std::move(done)]() mutable {
    if (!self->active() || !self->actor_)
      return done();
    std::weak_ptr<stream_session> weak = self;
    ask(
        self->sys_, self->actor_, update_timeout, [done](bool) { done(); },
        [weak, done](caf::error& err) {
          // Never leave the stream judging by the old identity.
          spdlog::warn("stream: identity update failed ({}): closing it",
                       caf::to_string(err));
          if (auto s = weak.lock())
            s->end(http::close_policy_violation, close_credential_revoked);
          done();
        },
        actors::identity_atom_v, std::move(who));
  });
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
    s->end(http::close_policy_violation, reason);
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

} // namespace herald::api

#include "tools/api/listeners_api.hpp"

#include <condition_variable>

#include <boost/asio/post.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/automation/listener_codec.hpp"
#include "actors/automation/listener_sink_actor.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/time_format.hpp"
#include "tools/api/actor_bridge.hpp"

namespace herald::api {

namespace {

using http::error_response;
using http::json_response;
using runtime::errc;
using verb = boost::beast::http::verb;
using json = nlohmann::json;

constexpr std::string_view listeners_path = "/api/v1/listeners";
constexpr const char* answering_denied =
    "listening for actions needs the publisher role";
constexpr const char* reading_denied =
    "listing listeners needs the reader role";

/// A listener's buffer: frames the hub sent that the socket has not taken.
/// Actions are few per task; a listener that lets this fill is not reading.
constexpr size_t listener_buffer_frames = 1000;
constexpr size_t listener_buffer_bytes = 8u << 20;
/// How long the hub may take to accept a connection or list listeners.
constexpr std::chrono::milliseconds hub_timeout{5000};

/// A listener connection's parameters.
struct listener_params {
  std::string id;
  std::vector<std::string> handles;
};

caf::expected<listener_params> parse_params(const http::request_context& ctx) {
  if (auto err = http::check_known_params(ctx.query, {"handles"}))
    return err;
  listener_params out;
  auto id = ctx.params.get("listener_id");
  if (!id || !runtime::is_valid_id(*id))
    return runtime::make_api_error(
        errc::invalid_id, "listener_id must be 1-256 printable characters",
        "listener_id");
  out.id = std::move(*id);
  if (const auto* handles = ctx.query.find("handles")) {
    auto parsed = automation::parse_handles(*handles);
    if (!parsed)
      return std::move(parsed.error());
    out.handles = std::move(*parsed);
  }
  return out;
}

/// The hub's refusal as an API error: its own codes as they are, anything
/// else (a timeout, a hub that is gone) as 503.
caf::error as_api_error(const caf::error& err) {
  if (err.category() == caf::atom("herald"))
    return err;
  return runtime::make_api_error(errc::unavailable,
                                 "the listener hub did not answer: " +
                                     caf::to_string(err));
}

} // namespace

listeners_api::listeners_api(caf::actor_system& sys, automation_handles handles,
                             const api_options& opts, const node_state& state,
                             http::refuse_fn refuse)
    : sys_(sys), handles_(std::move(handles)), opts_(opts), state_(state),
      refuse_(std::move(refuse)) {}

void listeners_api::add_routes(routes& table) {
  table.add({{verb::get},
             std::string{listeners_path},
             std::string{role_reader},
             [this](http::request_context& ctx, const caller*,
                    http::reply_fn reply) { list(ctx, std::move(reply)); },
             reading_denied});
  const auto one = std::string{listeners_path} + "/{listener_id}";
  table.add(
      {{verb::get},
       one,
       std::string{role_publisher},
       [this](http::request_context& ctx, const caller*, http::reply_fn reply) {
         without_upgrade(ctx, std::move(reply));
       },
       answering_denied});
  table.add_upgrade({one, std::string{role_publisher},
                     [this](http::request_context& ctx, const caller*,
                            boost::beast::tcp_stream stream) {
                       open(ctx, std::move(stream));
                     },
                     answering_denied});
}

void listeners_api::list(http::request_context& ctx, http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (auto err = http::check_known_params(ctx.query, {}))
    return reply(error_response(err, version, keep_alive));
  ask(
      sys_, handles_.listeners, hub_timeout,
      [reply, version,
       keep_alive](std::vector<automation::listener_info>& listeners) {
        json out = json::array();
        for (const auto& l : listeners)
          out.push_back({{"id", l.id},
                         {"handles", l.handles},
                         {"ip", l.ip},
                         {"connected", runtime::format_rfc3339(l.connected_ns)},
                         {"pending", l.pending}});
        reply(json_response(200, json{{"listeners", std::move(out)}}.dump(),
                            version, keep_alive));
      },
      [reply, version, keep_alive](caf::error& err) {
        reply(error_response(as_api_error(err), version, keep_alive));
      },
      automation::listeners_atom_v);
}

void listeners_api::without_upgrade(http::request_context& ctx,
                                    http::reply_fn reply) {
  // Validate first so bad parameters are a 400 whatever the client sent.
  if (auto params = parse_params(ctx); !params)
    return reply(ctx.error(params.error()));
  reply(error_response(errc::invalid_parameter,
                       "this endpoint needs a WebSocket upgrade", "",
                       ctx.version(), ctx.keep_alive()));
}

void listeners_api::open(http::request_context& ctx,
                         boost::beast::tcp_stream stream) {
  const auto version = ctx.version();
  if (state_.draining)
    return refuse_(std::move(stream),
                   error_response(errc::unavailable, "node is shutting down",
                                  "", version, false));
  auto params = parse_params(ctx);
  if (!params)
    return refuse_(std::move(stream),
                   error_response(params.error(), version, false));
  // The hub decides before the 101 (a conflict is a 409, not a close): the
  // connection waits here, on its strand, for the hub's answer.
  struct pending {
    boost::beast::tcp_stream stream;
    http::http_request req;
  };
  auto exec = stream.get_executor();
  auto p =
      std::make_shared<pending>(pending{std::move(stream), std::move(ctx.req)});
  auto sink = std::make_shared<actors::stream_sink>(listener_buffer_frames,
                                                    listener_buffer_bytes);
  auto sink_actor = automation::spawn_listener_sink(sys_, sink);
  auto on_ok = [this, exec, p, sink, sink_actor, id = params->id](bool) {
    boost::asio::post(exec, [this, p, sink, sink_actor, id] {
      auto s = std::make_shared<listener_session>(
          std::move(p->stream), handles_.listeners, id, sink, sink_actor,
          opts_.stream_idle_timeout);
      s->run(std::move(p->req));
      keep(s);
    });
  };
  auto on_err = [this, exec, p, sink_actor, version](caf::error& err) {
    caf::anon_send_exit(sink_actor, caf::exit_reason::user_shutdown);
    boost::asio::post(exec, [this, p, version, err = as_api_error(err)] {
      refuse_(std::move(p->stream), error_response(err, version, false));
    });
  };
  ask(sys_, handles_.listeners, hub_timeout, std::move(on_ok),
      std::move(on_err), automation::connect_atom_v, params->id,
      params->handles, ctx.remote_ip, sink_actor);
}

void listeners_api::keep(const std::shared_ptr<listener_session>& s) {
  bool closed = false;
  {
    std::lock_guard guard{mtx_};
    std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
    closed = closed_;
    if (!closed)
      sessions_.push_back(s);
  }
  if (closed)
    s->shutdown();
}

void listeners_api::close_all() {
  std::vector<std::shared_ptr<listener_session>> open;
  {
    std::lock_guard guard{mtx_};
    closed_ = true;
    for (auto& w : sessions_)
      if (auto s = w.lock())
        open.push_back(std::move(s));
    sessions_.clear();
  }
  // The daemon stops the io threads soon after: wait until each session
  // has its close frame on the way (or is gone), bounded.
  struct countdown {
    std::mutex mtx;
    std::condition_variable cv;
    size_t left = 0;
  };
  auto c = std::make_shared<countdown>();
  c->left = open.size();
  for (auto& s : open)
    s->shutdown([c] {
      std::lock_guard guard{c->mtx};
      if (--c->left == 0)
        c->cv.notify_all();
    });
  open.clear();
  std::unique_lock guard{c->mtx};
  c->cv.wait_for(guard, std::chrono::seconds(1), [&] { return c->left == 0; });
}

} // namespace herald::api

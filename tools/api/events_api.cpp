#include "tools/api/events_api.hpp"

#include <nlohmann/json.hpp>

#include "actors/type_ids.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/text_util.hpp"
#include "runtime/time_format.hpp"
#include "tools/api/actor_bridge.hpp"
#include "tools/api/publish_path.hpp"
#include "tools/api/query_params.hpp"

namespace herald::api {

namespace {

using http::error_response;
using http::json_response;
using runtime::errc;
using verb = boost::beast::http::verb;

/// A query reply's body: {"events":[…],"next"?,"partial"?,"missing"?}.
template <class Encode>
std::string page_body(const std::vector<v1::Event>& events,
                      const std::string& next,
                      const std::vector<std::string>& missing, Encode encode) {
  std::string body = R"({"events":[)";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0)
      body += ',';
    body += encode(events[i]);
  }
  body += ']';
  if (!next.empty())
    body += R"(,"next":)" + nlohmann::json(next).dump();
  if (!missing.empty())
    body += R"(,"partial":true,"missing":)" + nlohmann::json(missing).dump();
  body += '}';
  return body;
}
using field = boost::beast::http::field;

constexpr std::string_view stream_path = "/api/v1/events/stream";
constexpr const char* reading_denied = "reading events needs the reader role";

std::vector<std::pair<std::string, std::string>>
lower_case_headers(const http::http_request& req) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : req) {
    std::string name{f.name_string()};
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.emplace_back(std::move(name), std::string{f.value()});
  }
  return out;
}

/// The parameters each node of a cluster query gets: the caller's, but
/// those the fan-out sets per node (after, limit, order) and format (nodes
/// answer in the native form; this node encodes the reply).
std::vector<std::pair<std::string, std::string>>
peer_params(const http::query_string& q) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : q.params)
    if (k != "after" && k != "limit" && k != "order" && k != "format")
      out.emplace_back(k, v);
  return out;
}

} // namespace

events_api::events_api(caf::actor_system& sys, actors::node_handles handles,
                       const api_options& opts, const node_state& state,
                       std::shared_ptr<auth_service> auth,
                       stream_registry& streams,
                       std::shared_ptr<api_metrics> metrics,
                       http::refuse_fn refuse)
    : sys_(sys), handles_(std::move(handles)), limits_(opts.publish_limits()),
      opts_(opts), state_(state), auth_(std::move(auth)), streams_(streams),
      metrics_(std::move(metrics)), refuse_(std::move(refuse)) {}

void events_api::add_routes(routes& table) {
  // Each handler gets the caller's identity; the table checked the role.
  using member = void (events_api::*)(http::request_context&,
                                      const runtime::identity&, http::reply_fn);
  auto as_caller = [this](member fn) {
    return [this, fn](http::request_context& ctx, const caller* from,
                      http::reply_fn reply) {
      (this->*fn)(ctx, from->who, std::move(reply));
    };
  };
  table.add({{verb::post},
             std::string{events_path},
             std::string{role_publisher},
             as_caller(&events_api::publish),
             "publishing needs the publisher role"});
  table.add({{verb::get},
             std::string{events_path},
             std::string{role_reader},
             as_caller(&events_api::query),
             reading_denied});
  table.add({{verb::get},
             std::string{events_path} + "/{id}",
             std::string{role_reader},
             as_caller(&events_api::fetch),
             reading_denied});
  table.add(
      {{verb::get},
       std::string{stream_path},
       std::string{role_reader},
       [this](http::request_context& ctx, const caller*, http::reply_fn reply) {
         stream_without_upgrade(ctx, std::move(reply));
       },
       reading_denied});
  table.add_upgrade({std::string{stream_path}, std::string{role_reader},
                     [this](http::request_context& ctx, const caller* from,
                            boost::beast::tcp_stream stream) {
                       open_stream(ctx, *from, std::move(stream));
                     },
                     reading_denied});
}

void events_api::publish(http::request_context& ctx,
                         const runtime::identity& who, http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  const auto& req = ctx.req;
  if (!ctx.query.params.empty())
    return reply(error_response(
        errc::invalid_parameter, "publish takes no query parameters",
        ctx.query.params.begin()->first, version, keep_alive));
  if (state_.draining)
    return reply(error_response(errc::unavailable, "node is shutting down", "",
                                version, keep_alive));
  const auto now = runtime::now_unix_ns();
  caf::expected<runtime::publish_batch> batch{caf::error{}};
  if (req.find("ce-specversion") != req.end()) {
    std::string content_type{req[field::content_type]};
    batch = runtime::decode_cloudevent_binary(
        lower_case_headers(req), content_type, req.body(), limits_, now);
  } else {
    batch = runtime::decode_publish(req.body(), limits_, now);
  }
  if (!batch)
    return reply(error_response(batch.error(), version, keep_alive));
  write_and_reply(sys_, handles_.writer, std::move(*batch), who, version,
                  keep_alive, std::move(reply));
}

void events_api::query(http::request_context& ctx, const runtime::identity& who,
                       http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  auto parsed = parse_event_query(ctx.query);
  if (!parsed)
    return reply(error_response(parsed.error(), version, keep_alive));
  // The reply handlers below call `reply`: time them from here.
  reply = [metrics = metrics_, reply,
           started =
               std::chrono::steady_clock::now()](http::http_response res) {
    metrics->query_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                      started)
            .count());
    reply(std::move(res));
  };
  // A node of a cluster merges every node's part, unless the request is a
  // node's for its own part or resumes one node's cursor.
  const auto& after = parsed->query.after;
  if (cluster_ && !is_local_only(ctx.req) &&
      (!after || runtime::is_cluster_cursor(*after)))
    return cluster_query(ctx, who, std::move(*parsed), std::move(reply));
  auto encode = parsed->cloudevents ? runtime::to_cloudevent_json_text
                                    : runtime::to_native_json_text;
  ask(
      sys_, handles_.readers, request_timeout,
      [reply, version, keep_alive, encode](protocol::query_page& page) {
        auto body = page_body(page.events, page.next, {}, encode);
        reply(json_response(200, std::move(body), version, keep_alive));
      },
      [reply, version, keep_alive](caf::error& err) {
        reply(error_response(err, version, keep_alive));
      },
      actors::query_atom_v, std::move(parsed->query), who);
}

void events_api::cluster_query(http::request_context& ctx,
                               const runtime::identity& who,
                               event_query_request parsed,
                               http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  auto& q = parsed.query;
  runtime::cluster_cursor from;
  from.descending = q.descending;
  if (q.after) {
    auto c = runtime::decode_cluster_cursor(*q.after, q.descending);
    if (!c)
      return reply(error_response(c.error(), version, keep_alive));
    from = std::move(*c);
  }
  auto encode = parsed.cloudevents ? runtime::to_cloudevent_json_text
                                   : runtime::to_native_json_text;
  cluster_->query(
      std::move(q), std::move(from), peer_params(ctx.query), who,
      ctx.credential, [reply, version, keep_alive, encode](cluster_page page) {
        if (page.error)
          return reply(error_response(page.error, version, keep_alive));
        if (page.refusal)
          return reply(relay_refusal(*page.refusal, version, keep_alive));
        auto body = page_body(page.events, page.next, page.missing, encode);
        reply(json_response(200, std::move(body), version, keep_alive));
      });
}

void events_api::fetch(http::request_context& ctx, const runtime::identity& who,
                       http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  const auto& q = ctx.query;
  if (auto err = http::check_known_params(q, {"format"}))
    return reply(error_response(err, version, keep_alive));
  const auto* format = q.find("format");
  if (format && *format != "native" && *format != "cloudevents")
    return reply(error_response(errc::invalid_parameter,
                                "format must be native or cloudevents",
                                "format", version, keep_alive));
  // Any id is 1-256 printable characters: a segment that decodes to
  // something else names no event.
  auto id = runtime::percent_decode(ctx.params.raw("id"), false);
  if (!id || !runtime::is_valid_id(*id))
    return reply(error_response(errc::not_found, "no such event", "id", version,
                                keep_alive));
  auto encode = format && *format == "cloudevents"
                    ? runtime::to_cloudevent_json_text
                    : runtime::to_native_json_text;
  // In a cluster, an event not found here is asked of the other nodes
  // (the same target, the caller's credential, local-only): the first
  // that has it answers. Not found anywhere while some node could not say
  // is a 503: the event may be on that node.
  std::function<void()> elsewhere;
  if (cluster_ && !is_local_only(ctx.req)) {
    std::string target = std::string{events_path} + "/" + percent_encode(*id) +
                         (format ? "?format=" + *format : "");
    elsewhere = [cluster = cluster_, target = std::move(target),
                 credential = ctx.credential, reply, version, keep_alive] {
      cluster->fetch_elsewhere(
          target, credential, [reply, version, keep_alive](cluster_fetch f) {
            if (f.error)
              return reply(error_response(f.error, version, keep_alive));
            if (f.found)
              return reply(json_response(200, std::move(f.found->body), version,
                                         keep_alive));
            if (f.missing.empty())
              return reply(error_response(errc::not_found, "no such event",
                                          "id", version, keep_alive));
            auto res = error_response(
                errc::unavailable,
                "no node that answered has the event; these could not say: " +
                    join_ids(f.missing),
                "", version, keep_alive);
            res.set(std::string{partial_header}, join_ids(f.missing));
            reply(std::move(res));
          });
    };
  }
  ask(
      sys_, handles_.readers, request_timeout,
      [reply, version, keep_alive, encode](v1::Event& ev) {
        reply(json_response(200, encode(ev), version, keep_alive));
      },
      [reply, version, keep_alive, elsewhere](caf::error& err) {
        if (elsewhere && runtime::describe(err).code == errc::not_found)
          return elsewhere();
        reply(error_response(err, version, keep_alive));
      },
      actors::fetch_atom_v, std::move(*id), who);
}

void events_api::stream_without_upgrade(http::request_context& ctx,
                                        http::reply_fn reply) {
  // Validate first so bad parameters are a 400 whatever the client sent.
  if (auto spec = parse_stream_spec(ctx.query); !spec)
    return reply(ctx.error(spec.error()));
  reply(error_response(errc::invalid_parameter,
                       "this endpoint needs a WebSocket upgrade", "",
                       ctx.version(), ctx.keep_alive()));
}

void events_api::open_stream(http::request_context& ctx, const caller& from,
                             boost::beast::tcp_stream stream) {
  const auto version = ctx.version();
  auto refuse = [&](http::http_response res) {
    refuse_(std::move(stream), std::move(res));
  };
  auto unauthorized = [&](const caf::error& err) {
    auto res = error_response(err, version, false);
    res.set(field::www_authenticate, "Bearer");
    refuse(std::move(res));
  };
  if (state_.draining)
    return refuse(error_response(errc::unavailable, "node is shutting down", "",
                                 version, false));
  auto spec = parse_stream_spec(ctx.query);
  if (!spec)
    return refuse(error_response(spec.error(), version, false));
  // Streams are kept by principal (the credential's subject) so a change of
  // the credential reaches them (stream_registry::revoke / update_identity).
  const auto principal = from.who.name;
  spec->id = "stream-" + std::to_string(++stream_counter_);
  auto session = streams_.add(
      principal, opts_.max_streams_per_caller,
      [&]() -> caf::expected<std::shared_ptr<stream_session>> {
        // Checked again under the registry's lock: a revocation or a change
        // of groups since the table's check is seen here, or sees this
        // session.
        auto now = auth_->resolve(ctx.credential,
                                  runtime::now_unix_ns() / 1'000'000'000);
        if (!now)
          return std::move(now.error());
        if (!now->who.may(role_reader))
          return runtime::make_api_error(errc::forbidden, reading_denied);
        spec->who = std::move(now->who);
        return std::make_shared<stream_session>(
            std::move(stream), sys_, handles_, std::move(*spec),
            opts_.stream_buffer_events, opts_.stream_buffer_bytes,
            opts_.stream_idle_timeout, now->expires_s);
      });
  if (!session) {
    if (runtime::describe(session.error()).code == errc::unauthorized)
      return unauthorized(session.error());
    return refuse(error_response(session.error(), version, false));
  }
  auto s = std::move(*session);
  s->run(std::move(ctx.req));
}

} // namespace herald::api

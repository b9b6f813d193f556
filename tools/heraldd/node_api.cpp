#include "tools/heraldd/node_api.hpp"

#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/type_ids.hpp"
#include "runtime/text_util.hpp"
#include "runtime/time_format.hpp"
#include "tools/heraldd/actor_bridge.hpp"
#include "tools/heraldd/publish_path.hpp"
#include "tools/heraldd/query_params.hpp"

namespace herald::heraldd {

namespace beast = boost::beast;
namespace http = beast::http;
using runtime::errc;

namespace {

constexpr std::string_view events_path = "/api/v1/events";
constexpr std::string_view stream_path = "/api/v1/events/stream";

std::vector<std::pair<std::string, std::string>>
lower_case_headers(const http_request& req) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& field : req) {
    std::string name{field.name_string()};
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.emplace_back(std::move(name), std::string{field.value()});
  }
  return out;
}

} // namespace

node_api::node_api(caf::actor_system& sys, actors::node_handles handles,
                   const daemon_config& cfg,
                   std::shared_ptr<storage::event_store> store,
                   std::shared_ptr<auth_service> auth)
    : sys_(sys), handles_(std::move(handles)), auth_(auth),
      compat_(sys, handles_, cfg),
      admin_(sys, handles_, std::move(store), auth, streams_),
      max_streams_per_caller_(cfg.max_streams_per_caller),
      stream_idle_timeout_(cfg.stream_idle_timeout_s),
      stream_buffer_events_(cfg.stream_buffer_events),
      stream_buffer_bytes_(cfg.stream_buffer_bytes) {
  limits_.max_batch = cfg.max_batch;
  limits_.max_event_bytes = cfg.max_event_bytes;
}

bool node_api::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock guard{idle_mtx_};
  return idle_cv_.wait_until(guard, deadline,
                             [this] { return in_flight_ == 0; });
}

void node_api::count_refusal(const http_response& res) {
  if (res.result_int() == 401)
    api_metrics_->count_auth_refusal(errc::unauthorized);
  else if (res.result_int() == 403)
    api_metrics_->count_auth_refusal(errc::forbidden);
}

caf::expected<std::string> node_api::credential_of(const http_request& req,
                                                   const std::string* param) {
  if (auto bearer = bearer_token(req)) {
    if (bearer->empty())
      return runtime::make_api_error(errc::unauthorized,
                                     "Authorization must be 'Bearer <token>'");
    return std::move(*bearer);
  }
  return param != nullptr ? *param : std::string{};
}

caf::expected<auth_service::credential>
node_api::authenticate(const http_request& req, const std::string* param) {
  auto credential = credential_of(req, param);
  if (!credential)
    return std::move(credential.error());
  return auth_->resolve(*credential, runtime::now_unix_ns() / 1'000'000'000);
}

void node_api::handle(http_request req, const std::string& remote_ip,
                      reply_fn done) {
  {
    std::lock_guard guard{idle_mtx_};
    ++in_flight_;
  }
  // Every path calls reply exactly once; the count lets shutdown wait for
  // in-flight requests.
  reply_fn reply = [this, done = std::move(done)](http_response res) {
    count_refusal(res);
    done(std::move(res));
    std::lock_guard guard{idle_mtx_};
    if (--in_flight_ == 0)
      idle_cv_.notify_all();
  };
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  std::string path;
  query_string q;
  if (auto err = parse_target(
          std::string_view{req.target().data(), req.target().size()}, path, q))
    return reply(error_response(err, version, keep_alive));
  if (path.size() > 1 && path.back() == '/')
    path.pop_back();
  const auto method = req.method();
  auto not_allowed = [&] {
    reply(error_response(errc::method_not_allowed,
                         std::string{req.method_string()} +
                             " is not allowed on " + path,
                         "", version, keep_alive));
  };

  if (path == "/healthz") {
    if (method != http::verb::get && method != http::verb::head)
      return not_allowed();
    return reply(json_response(200, R"({"status":"ok"})", version, keep_alive));
  }
  if (path == "/readyz") {
    if (method != http::verb::get && method != http::verb::head)
      return not_allowed();
    if (ready_)
      return reply(
          json_response(200, R"({"status":"ready"})", version, keep_alive));
    return reply(error_response(errc::unavailable, "node is not ready", "",
                                version, keep_alive));
  }
  if (admin_api::is_login_path(path))
    return admin_.login_or_renew(req, path, remote_ip, std::move(reply));
  // Everything else needs a credential, checked before anything about the
  // request is looked at (an unknown path is a 401 too: no probing).
  auto cred = authenticate(req, nullptr);
  if (!cred) {
    auto res = error_response(cred.error(), version, keep_alive);
    res.set(http::field::www_authenticate, "Bearer");
    return reply(std::move(res));
  }
  const runtime::identity* who = &cred->who;
  auto forbid = [&](std::string message) {
    reply(error_response(errc::forbidden, std::move(message), "", version,
                         keep_alive));
  };
  if (admin_api::owns(path))
    return admin_.handle(req, path, *who, std::move(reply));
  // Every refused publish counts, whichever check refused it.
  auto count_publishes = [&] {
    reply = [metrics = api_metrics_, reply](http_response res) {
      metrics->count_publish_reply(res);
      reply(std::move(res));
    };
  };
  if (compat_api::owns(path)) {
    if (method == http::verb::post)
      count_publishes(); // POST /internal/create-event
    return compat_.handle(req, path, q, draining_, *who, reply);
  }
  if (path == "/metrics") {
    if (method != http::verb::get && method != http::verb::head)
      return not_allowed();
    if (!who->may(role_reader))
      return forbid("/metrics needs the reader role");
    return reply(metrics_response(metrics_sources_, version, keep_alive));
  }
  if (path == events_path) {
    if (method == http::verb::post) {
      count_publishes();
      if (!who->may(role_publisher))
        return forbid("publishing needs the publisher role");
      if (!q.params.empty())
        return reply(error_response(
            errc::invalid_parameter, "publish takes no query parameters",
            q.params.begin()->first, version, keep_alive));
      return publish(req, *who, reply);
    }
    if (method == http::verb::get) {
      if (!who->may(role_reader))
        return forbid("reading events needs the reader role");
      return query(q, version, keep_alive, *who, reply);
    }
    return not_allowed();
  }
  if (path == stream_path) {
    if (method != http::verb::get)
      return not_allowed();
    if (!who->may(role_reader))
      return forbid("reading events needs the reader role");
    // Validate first so bad parameters are a 400 whatever the client sent.
    if (auto spec = parse_stream_spec(q); !spec)
      return reply(error_response(spec.error(), version, keep_alive));
    return reply(error_response(errc::invalid_parameter,
                                "this endpoint needs a WebSocket upgrade", "",
                                version, keep_alive));
  }
  if (path.starts_with(events_path) && path.size() > events_path.size() + 1 &&
      path[events_path.size()] == '/') {
    auto raw = std::string_view{path}.substr(events_path.size() + 1);
    if (raw.find('/') == std::string_view::npos) {
      if (method != http::verb::get)
        return not_allowed();
      if (!who->may(role_reader))
        return forbid("reading events needs the reader role");
      if (auto err = check_known_params(q, {"format"}))
        return reply(error_response(err, version, keep_alive));
      const auto* format = q.find("format");
      if (format && *format != "native" && *format != "cloudevents")
        return reply(error_response(errc::invalid_parameter,
                                    "format must be native or cloudevents",
                                    "format", version, keep_alive));
      auto id = runtime::percent_decode(raw, false);
      if (!id || !runtime::is_valid_id(*id))
        return reply(error_response(errc::not_found, "no such event", "id",
                                    version, keep_alive));
      return fetch(std::move(*id), format && *format == "cloudevents", version,
                   keep_alive, *who, reply);
    }
  }
  reply(error_response(errc::not_found, "no such endpoint: " + path, "",
                       version, keep_alive));
}

void node_api::publish(http_request& req, const runtime::identity& who,
                       reply_fn& reply) {
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  if (draining_)
    return reply(error_response(errc::unavailable, "node is shutting down", "",
                                version, keep_alive));
  const auto now = runtime::now_unix_ns();
  caf::expected<runtime::publish_batch> batch{caf::error{}};
  if (req.find("ce-specversion") != req.end()) {
    std::string content_type{req[http::field::content_type]};
    batch = runtime::decode_cloudevent_binary(
        lower_case_headers(req), content_type, req.body(), limits_, now);
  } else {
    batch = runtime::decode_publish(req.body(), limits_, now);
  }
  if (!batch)
    return reply(error_response(batch.error(), version, keep_alive));
  write_and_reply(sys_, handles_.writer, std::move(*batch), who, version,
                  keep_alive, reply);
}

void node_api::query(const query_string& q, unsigned version, bool keep_alive,
                     const runtime::identity& who, reply_fn& reply) {
  auto parsed = parse_event_query(q);
  if (!parsed)
    return reply(error_response(parsed.error(), version, keep_alive));
  auto encode = parsed->cloudevents ? runtime::to_cloudevent_json_text
                                    : runtime::to_native_json_text;
  // The reply handlers below call `reply`: time them from here.
  reply = [metrics = api_metrics_, reply,
           started = std::chrono::steady_clock::now()](http_response res) {
    metrics->query_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                      started)
            .count());
    reply(std::move(res));
  };
  ask(
      sys_, handles_.readers, request_timeout,
      [reply, version, keep_alive, encode](storage::query_page& page) {
        std::string body = R"({"events":[)";
        for (size_t i = 0; i < page.events.size(); ++i) {
          if (i > 0)
            body += ',';
          body += encode(page.events[i]);
        }
        body += ']';
        if (!page.next.empty())
          body += R"(,"next":)" + nlohmann::json(page.next).dump();
        body += '}';
        reply(json_response(200, std::move(body), version, keep_alive));
      },
      [reply, version, keep_alive](caf::error& err) {
        reply(error_response(err, version, keep_alive));
      },
      actors::query_atom_v, std::move(parsed->query), who);
}

void node_api::fetch(std::string id, bool cloudevents, unsigned version,
                     bool keep_alive, const runtime::identity& who,
                     reply_fn& reply) {
  auto encode = cloudevents ? runtime::to_cloudevent_json_text
                            : runtime::to_native_json_text;
  ask(
      sys_, handles_.readers, request_timeout,
      [reply, version, keep_alive, encode](v1::Event& ev) {
        reply(json_response(200, encode(ev), version, keep_alive));
      },
      [reply, version, keep_alive](caf::error& err) {
        reply(error_response(err, version, keep_alive));
      },
      actors::fetch_atom_v, std::move(id), who);
}

void node_api::upgrade(http_request req, beast::tcp_stream stream,
                       const std::string&) {
  // Refusals are written asynchronously (a client that does not read must
  // not hold an io thread) and the connection is closed after them.
  auto refuse = [this, &stream](http_response res) {
    count_refusal(res);
    refuse_upgrade(std::move(stream), std::move(res));
  };
  const auto version = req.version();
  std::string path;
  query_string q;
  if (auto err = parse_target(
          std::string_view{req.target().data(), req.target().size()}, path, q))
    return refuse(error_response(err, version, false));
  if (path.size() > 1 && path.back() == '/')
    path.pop_back();
  // Browsers cannot set headers on a WebSocket: the credential may come as
  // access_token= here (and only here). Checked before the path, as for
  // plain requests: nothing about the API answers without a credential.
  std::optional<std::string> token_param;
  if (auto i = q.params.find("access_token"); i != q.params.end()) {
    token_param = std::move(i->second);
    q.params.erase(i);
  }
  auto credential = credential_of(req, token_param ? &*token_param : nullptr);
  auto resolve = [&]() -> caf::expected<auth_service::credential> {
    if (!credential)
      return credential.error();
    return auth_->resolve(*credential, runtime::now_unix_ns() / 1'000'000'000);
  };
  auto cred = resolve();
  auto unauthorized = [&](const caf::error& err) {
    auto res = error_response(err, version, false);
    res.set(http::field::www_authenticate, "Bearer");
    return refuse(std::move(res));
  };
  if (!cred)
    return unauthorized(cred.error());
  auto* who = &cred->who;
  if (path != stream_path)
    return refuse(error_response(errc::not_found,
                                 "no WebSocket endpoint at " + path, "",
                                 version, false));
  if (!who->may(role_reader)) {
    return refuse(error_response(errc::forbidden,
                                 "reading events needs the reader role", "",
                                 version, false));
  }
  if (draining_)
    return refuse(error_response(errc::unavailable, "node is shutting down", "",
                                 version, false));
  auto spec = parse_stream_spec(q);
  if (!spec)
    return refuse(error_response(spec.error(), version, false));
  // Streams are kept by principal (the credential's subject) so a change of
  // the credential reaches them (stream_registry::revoke / update_identity).
  const auto principal = who->name;
  spec->id = "stream-" + std::to_string(++stream_counter_);
  auto session = streams_.add(
      principal, max_streams_per_caller_,
      [&]() -> caf::expected<std::shared_ptr<stream_session>> {
        // Checked again under the registry's lock: a revocation or a change
        // of groups since the check above is seen here, or sees this
        // session.
        auto now = resolve();
        if (!now)
          return std::move(now.error());
        if (!now->who.may(role_reader))
          return runtime::make_api_error(
              errc::forbidden, "reading events needs the reader role");
        spec->who = std::move(now->who);
        return std::make_shared<stream_session>(
            std::move(stream), sys_, handles_, std::move(*spec),
            stream_buffer_events_, stream_buffer_bytes_, stream_idle_timeout_,
            now->expires_s);
      });
  if (!session) {
    if (runtime::describe(session.error()).code == errc::unauthorized)
      return unauthorized(session.error());
    return refuse(error_response(session.error(), version, false));
  }
  auto s = std::move(*session);
  s->run(std::move(req));
}

} // namespace herald::heraldd

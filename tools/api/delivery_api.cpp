#include "tools/api/delivery_api.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/flow/subscription.hpp"
#include "runtime/flow/subscription_progress.hpp"
#include "runtime/time_format.hpp"
#include "runtime/uuid.hpp"
#include "runtime/webhook_signature.hpp"
#include "tools/api/actor_bridge.hpp"
#include "tools/api/definition_helpers.hpp"
#include "tools/api/query_params.hpp"

namespace herald::api {

namespace {

using http::error_response;
using http::json_response;
using json = nlohmann::json;
using runtime::errc;
using verb = boost::beast::http::verb;

/// How long a rotated-out secret still signs (receivers switch over).
constexpr int64_t rotation_overlap_ns = 24LL * 3600 * 1'000'000'000;

bool may_manage(const runtime::identity& who,
                const flow::subscription_def& def) {
  return who.is_admin() || def.server().created_by == who.name;
}

/// The API's form of a subscription definition: the document as given
/// plus id, version and creator (never the secret).
json subscription_json(const flow::subscription_def& def, uint64_t version) {
  json out = def.source();
  out["id"] = def.id();
  out["version"] = version;
  out["created_by"] = def.server().created_by;
  return out;
}

/// The fields of a subscription's reply that are one node's part of its
/// deliveries.
json part_fields(const json& full) {
  json part = json::object();
  if (!full.is_object())
    return part;
  for (auto key : {"state", "reason", "cursor_seq", "lag_events", "lag_seconds",
                   "attempts", "failures", "dead_letters", "last_error"})
    if (auto i = full.find(key); i != full.end())
      part[key] = *i;
  return part;
}

/// `out` (this node's view) gets "nodes": each node's part, this one's
/// included, and "partial"/"missing" for the nodes that did not answer.
void add_parts(json& out, const std::string& self, const json& own,
               const cluster_gather& g) {
  json nodes = json::object();
  nodes[self] = part_fields(own);
  std::vector<std::string> missing = g.missing;
  for (const auto& [node, r] : g.replies) {
    auto body = json::parse(r.body, nullptr, false);
    if (r.status == 200 && body.is_object())
      nodes[node] = part_fields(body);
    else if (r.status != 404) // 404: its definition has not arrived yet
      missing.push_back(node);
  }
  out["nodes"] = std::move(nodes);
  if (!g.error && missing.empty())
    return;
  std::sort(missing.begin(), missing.end());
  out["partial"] = true;
  out["missing"] = missing;
}

} // namespace

delivery_api::delivery_api(admin_context& admin,
                           const delivery_handles& handles)
    : admin_(admin), handles_(handles) {}

void delivery_api::add_routes(routes& table) {
  auto add = [&](std::string pattern, auto fn) {
    add_caller_route(table, this, std::move(pattern), fn);
  };
  add("/api/v1/topics", &delivery_api::topics);
  add("/api/v1/topics/{id}", &delivery_api::topic);
  add("/api/v1/subscriptions", &delivery_api::subscriptions);
  add("/api/v1/subscriptions/{id}", &delivery_api::subscription);
  add("/api/v1/subscriptions/{id}/dead-letters", &delivery_api::dead_letters);
  add("/api/v1/subscriptions/{id}/dead-letters/redrive",
      &delivery_api::redrive);
  add("/api/v1/subscriptions/{id}/dead-letters/{event_id}",
      &delivery_api::dead_letter);
  add("/api/v1/events/subscriptions/project/{project}", &delivery_api::project);
  for (std::string_view what : {"pause", "resume", "rotate-secret"})
    table.add({{},
               "/api/v1/subscriptions/{id}/" + std::string{what},
               std::string{http::any_caller},
               [this, what](http::request_context& ctx, const caller* from,
                            http::reply_fn reply) {
                 action(ctx, from->who, what, std::move(reply));
               }});
}

void delivery_api::commit(std::string key, std::optional<std::string> value,
                          std::optional<uint64_t> expect,
                          std::vector<v1::Event> evs, unsigned version,
                          bool keep_alive, http::reply_fn reply,
                          std::function<void(uint64_t)> on_ok) {
  admin_.define(protocol::definition_change{key, value, expect}, std::move(evs),
                version, keep_alive, reply,
                [this, key, value, version, keep_alive, reply,
                 on_ok = std::move(on_ok)](uint64_t v) {
                  if (!handles_.delivery)
                    return on_ok(v);
                  ask_delivery(
                      version, keep_alive, reply,
                      [on_ok, v](bool) { on_ok(v); }, delivery::apply_atom_v,
                      key, value.has_value(), value.value_or(std::string{}));
                });
}

void delivery_api::with_subscription(
    const std::string& id, const who_t& who, unsigned version, bool keep_alive,
    const http::reply_fn& reply,
    std::function<void(flow::subscription_def, uint64_t)> then) {
  admin_.read(
      "subscription/" + id,
      [id, who, version, keep_alive, reply,
       then = std::move(then)](std::optional<protocol::definition> d) {
        auto missing = [&] {
          reply(error_response(errc::not_found, "no such subscription: " + id,
                               "id", version, keep_alive));
        };
        if (!d)
          return missing();
        auto def = flow::subscription_def::parse_stored(
            id, json::parse(d->value, nullptr, false));
        if (!def)
          return reply(error_response(def.error(), version, keep_alive));
        if (!may_manage(who, *def))
          return missing();
        then(std::move(*def), d->version);
      },
      version, keep_alive, reply);
}

// -- topics -------------------------------------------------------------------

void delivery_api::topics(http::request_context& ctx, const who_t& who,
                          http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::get)
    return reply(wrong_method(ctx.req, "/api/v1/topics takes GET"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  admin_.list(
      "topic/",
      [reply, version, keep_alive](std::vector<protocol::definition> defs) {
        json list = json::array();
        for (const auto& d : defs) {
          auto doc = json::parse(d.value, nullptr, false);
          if (!doc.is_object())
            continue;
          doc["id"] = d.key.substr(6);
          doc["version"] = d.version;
          list.push_back(std::move(doc));
        }
        reply(json_response(200, json{{"topics", list}}.dump(), version,
                            keep_alive));
      },
      version, keep_alive, reply);
}

void delivery_api::topic(http::request_context& ctx, const who_t& who,
                         http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  auto id = definition_id(ctx, "topic", errc::invalid_id, reply);
  if (!id)
    return;
  const auto key = "topic/" + *id;
  const auto method = req.method();
  if (method == verb::get) {
    if (auto err = need(who, role_reader))
      return reply(error_response(err, version, keep_alive));
    return admin_.read(
        key,
        [id = *id, reply, version,
         keep_alive](std::optional<protocol::definition> d) {
          if (!d)
            return reply(error_response(errc::not_found, "no such topic: " + id,
                                        "id", version, keep_alive));
          auto doc = json::parse(d->value, nullptr, false);
          doc["id"] = id;
          doc["version"] = d->version;
          reply(with_etag(json_response(200, doc.dump(), version, keep_alive),
                          d->version));
        },
        version, keep_alive, reply);
  }
  if (method != verb::put && method != verb::delete_)
    return reply(wrong_method(req, "a topic takes GET, PUT or DELETE"));
  if (auto err = need(who, role_admin))
    return reply(error_response(err, version, keep_alive));
  auto expect = http::parse_precondition(req);
  if (!expect)
    return reply(error_response(expect.error(), version, keep_alive));
  std::optional<uint64_t> want = *expect;
  if (want && *want == http::any_version_precondition)
    want.reset(); // "*": checked by the store as "exists" below
  std::vector<v1::Event> evs;
  if (method == verb::delete_) {
    evs.push_back(runtime::make_system_event("topic.deleted",
                                             {{"id", *id}, {"by", who.name}},
                                             runtime::now_unix_ns()));
    return commit(key, std::nullopt, want, std::move(evs), version, keep_alive,
                  reply, [reply, version, keep_alive](uint64_t) {
                    reply(no_content(version, keep_alive));
                  });
  }
  auto doc = json_body(req, reply, json{});
  if (!doc)
    return;
  auto def = flow::topic_def::parse(*id, *doc);
  if (!def)
    return reply(error_response(def.error(), version, keep_alive));
  evs.push_back(runtime::make_system_event("topic.updated",
                                           {{"id", *id}, {"by", who.name}},
                                           runtime::now_unix_ns()));
  auto text = doc->dump();
  commit(key, text, want, std::move(evs), version, keep_alive, reply,
         [id = *id, doc = *doc, reply, version, keep_alive](uint64_t v) {
           auto out = doc;
           out["id"] = id;
           out["version"] = v;
           reply(with_etag(json_response(v == 1 ? 201 : 200, out.dump(),
                                         version, keep_alive),
                           v));
         });
}

// -- subscriptions
// -------------------------------------------------------------

void delivery_api::subscriptions(http::request_context& ctx, const who_t& who,
                                 http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::get)
    return reply(wrong_method(ctx.req, "/api/v1/subscriptions takes GET"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  admin_.list(
      "subscription/",
      [who, reply, version,
       keep_alive](std::vector<protocol::definition> defs) {
        json list = json::array();
        for (const auto& d : defs) {
          auto def = flow::subscription_def::parse_stored(
              d.key.substr(13), json::parse(d.value, nullptr, false));
          if (def && may_manage(who, *def))
            list.push_back(subscription_json(*def, d.version));
        }
        reply(json_response(200, json{{"subscriptions", list}}.dump(), version,
                            keep_alive));
      },
      version, keep_alive, reply);
}

void delivery_api::subscription(http::request_context& ctx, const who_t& who,
                                http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  const auto method = req.method();
  if (method == verb::put) {
    auto id = definition_id(ctx, "subscription", errc::invalid_id, reply);
    if (id)
      put_subscription(ctx, who, *id, std::move(reply));
    return;
  }
  if (method != verb::get && method != verb::delete_)
    return reply(wrong_method(req, "a subscription takes GET, PUT or DELETE"));
  auto id = definition_id(ctx, "subscription", errc::not_found, reply);
  if (!id)
    return;
  if (method == verb::get) {
    // A node of a cluster adds every node's part ("nodes"), unless another
    // node asks for this one's part only.
    auto cluster = is_local_only(req) ? nullptr : cluster_;
    return with_subscription(
        *id, who, version, keep_alive, reply,
        [this, reply, version, keep_alive, cluster,
         credential = ctx.credential](flow::subscription_def def, uint64_t v) {
          auto out = subscription_json(def, v);
          if (!handles_.delivery)
            return reply(with_etag(
                json_response(200, out.dump(), version, keep_alive), v));
          ask_delivery(
              version, keep_alive, reply,
              [out, v, reply, version, keep_alive, cluster, credential,
               id = def.id()](std::string& text) mutable {
                auto st = json::parse(text, nullptr, false);
                if (st.is_object())
                  out.update(st);
                if (!cluster)
                  return reply(with_etag(
                      json_response(200, out.dump(), version, keep_alive), v));
                cluster->gather(
                    "/api/v1/subscriptions/" + percent_encode(id), credential,
                    [out, st, v, reply, version, keep_alive,
                     self = cluster->self()](cluster_gather g) mutable {
                      add_parts(out, self, st, g);
                      reply(with_etag(
                          json_response(200, out.dump(), version, keep_alive),
                          v));
                    });
              },
              delivery::state_atom_v, def.id());
        });
  }
  auto expect = http::parse_precondition(req);
  if (!expect)
    return reply(error_response(expect.error(), version, keep_alive));
  with_subscription(
      *id, who, version, keep_alive, reply,
      [this, who, expect = *expect, reply, version,
       keep_alive](flow::subscription_def def, uint64_t v) {
        if (expect && *expect != http::any_version_precondition && *expect != v)
          return reply(error_response(errc::conflict,
                                      "subscription " + def.id() +
                                          " is at version " + std::to_string(v),
                                      "If-Match", version, keep_alive));
        std::vector<v1::Event> evs;
        evs.push_back(runtime::make_system_event(
            "subscription.deleted", {{"id", def.id()}, {"by", who.name}},
            runtime::now_unix_ns()));
        commit("subscription/" + def.id(), std::nullopt, v, std::move(evs),
               version, keep_alive, reply,
               [reply, version, keep_alive](uint64_t) {
                 reply(no_content(version, keep_alive));
               });
      });
}

void delivery_api::put_subscription(http::request_context& ctx,
                                    const who_t& who, std::string id,
                                    http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  auto doc = json_body(req, reply, json{});
  if (!doc)
    return;
  auto def = flow::subscription_def::parse(id, *doc);
  if (!def)
    return reply(error_response(def.error(), version, keep_alive));
  auto expect = http::parse_precondition(req);
  if (!expect)
    return reply(error_response(expect.error(), version, keep_alive));
  const auto key = "subscription/" + id;
  auto parsed = std::make_shared<flow::subscription_def>(std::move(*def));
  // 1. the topic exists; 2. what is stored now (creator, secret); 3. the
  // start seq of a new one; 4. commit against the version read.
  auto go = [this, key, id, parsed, who, expect = *expect, reply, version,
             keep_alive]() {
    admin_.read(
        key,
        [this, key, id, parsed, who, expect, reply, version,
         keep_alive](std::optional<protocol::definition> d) {
          std::optional<flow::subscription_def> old;
          if (d) {
            auto o = flow::subscription_def::parse_stored(
                id, json::parse(d->value, nullptr, false));
            if (o)
              old = std::move(*o);
            if (old && !may_manage(who, *old))
              return reply(error_response(
                  errc::forbidden,
                  "only its creator or an admin may change subscription " + id,
                  "id", version, keep_alive));
          }
          const uint64_t current = d ? d->version : 0;
          if (expect) {
            const bool any = *expect == http::any_version_precondition;
            if ((any && !d) || (!any && *expect != current))
              return reply(
                  error_response(errc::conflict,
                                 d ? "subscription " + id + " is at version " +
                                         std::to_string(current)
                                   : "subscription " + id + " does not exist",
                                 "If-Match", version, keep_alive));
          }
          auto finish = [this, key, id, parsed, who, current, created = !d,
                         reply, version, keep_alive]() {
            auto& s = parsed->server();
            std::vector<v1::Event> evs;
            evs.push_back(runtime::make_system_event(
                "subscription.updated", {{"id", id}, {"by", who.name}},
                runtime::now_unix_ns()));
            commit(
                key, parsed->to_stored().dump(), current, std::move(evs),
                version, keep_alive, reply,
                [parsed, created, secret = s.secret, reply, version,
                 keep_alive](uint64_t v) {
                  auto out = subscription_json(*parsed, v);
                  if (created)
                    out["secret"] = secret; // shown once
                  reply(with_etag(json_response(created ? 201 : 200, out.dump(),
                                                version, keep_alive),
                                  v));
                });
          };
          if (old) {
            parsed->server() = old->server();
            return finish();
          }
          auto& s = parsed->server();
          s.created_by = who.name;
          s.incarnation = runtime::new_uuid_v7(runtime::now_unix_ns());
          s.secret = runtime::make_webhook_secret();
          s.start_node = handles_.node_id;
          if (parsed->from_seq()) {
            s.start_seq = *parsed->from_seq() - 1;
            return finish();
          }
          ask_delivery(
              version, keep_alive, reply,
              [parsed, finish](uint64_t last) {
                parsed->server().start_seq = last;
                finish();
              },
              delivery::seq_atom_v);
        },
        version, keep_alive, reply);
  };
  if (!parsed->topic())
    return go();
  admin_.read(
      "topic/" + *parsed->topic(),
      [go, topic = *parsed->topic(), reply, version,
       keep_alive](std::optional<protocol::definition> t) {
        if (!t)
          return reply(error_response(errc::invalid_field,
                                      "no such topic: " + topic, "/topic",
                                      version, keep_alive));
        go();
      },
      version, keep_alive, reply);
}

void delivery_api::action(http::request_context& ctx, const who_t& who,
                          std::string_view what, http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::post)
    return reply(
        wrong_method(ctx.req, "…/" + std::string{what} + " takes POST"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  auto id = definition_id(ctx, "subscription", errc::not_found, reply);
  if (!id)
    return;
  with_subscription(
      *id, who, version, keep_alive, reply,
      [this, what, who, reply, version, keep_alive](flow::subscription_def def,
                                                    uint64_t v) {
        if (what == "rotate-secret")
          return rotate(def.id(), def, v, who, version, keep_alive, reply);
        auto on_ok = [this, id = def.id(), reply, version, keep_alive](bool) {
          ask_delivery(
              version, keep_alive, reply,
              [id, reply, version, keep_alive](std::string& text) {
                auto st = json::parse(text, nullptr, false);
                if (st.is_object())
                  st["id"] = id;
                reply(json_response(200, st.dump(), version, keep_alive));
              },
              delivery::state_atom_v, id);
        };
        if (handles_.cluster) {
          // Every node delivers its own trail's part: the state is a
          // cluster-wide definition each node applies (this one before
          // the reply).
          const auto now = runtime::now_unix_ns();
          json rec{{"state", what == "pause" ? "paused" : "active"},
                   {"incarnation", def.server().incarnation},
                   {"by", who.name},
                   {"at", runtime::format_rfc3339(now)}};
          std::vector<v1::Event> evs;
          evs.push_back(runtime::make_system_event(
              what == "pause" ? "subscription.paused" : "subscription.resumed",
              {{"subscription_id", def.id()}, {"by", who.name}}, now));
          return commit(std::string{flow::subscription_state_prefix} + def.id(),
                        rec.dump(), std::nullopt, std::move(evs), version,
                        keep_alive, reply, [on_ok](uint64_t) { on_ok(true); });
        }
        if (what == "pause")
          ask_delivery(version, keep_alive, reply, on_ok,
                       delivery::pause_atom_v, def.id());
        else
          ask_delivery(version, keep_alive, reply, on_ok,
                       delivery::resume_atom_v, def.id());
      });
}

void delivery_api::rotate(const std::string& id,
                          const flow::subscription_def& def,
                          uint64_t def_version, const who_t& who,
                          unsigned version, bool keep_alive,
                          http::reply_fn reply) {
  auto next = def;
  auto& s = next.server();
  const auto now = runtime::now_unix_ns();
  s.previous_secret = s.secret;
  s.previous_secret_until_ns = now + rotation_overlap_ns;
  s.secret = runtime::make_webhook_secret();
  std::vector<v1::Event> evs;
  evs.push_back(runtime::make_system_event(
      "subscription.secret_rotated", {{"id", id}, {"by", who.name}}, now));
  commit("subscription/" + id, next.to_stored().dump(), def_version,
         std::move(evs), version, keep_alive, reply,
         [secret = s.secret, until = s.previous_secret_until_ns, reply, version,
          keep_alive](uint64_t v) {
           json out{{"secret", secret},
                    {"previous_secret_expires", runtime::format_rfc3339(until)},
                    {"version", v}};
           reply(with_etag(json_response(200, out.dump(), version, keep_alive),
                           v));
         });
}

// -- dead letters
// --------------------------------------------------------------

void delivery_api::dead_letters(http::request_context& ctx, const who_t& who,
                                http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::get)
    return reply(wrong_method(ctx.req, "…/dead-letters takes GET"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  if (auto err = http::check_known_params(ctx.query, {"limit", "after"}))
    return reply(error_response(err, version, keep_alive));
  uint64_t limit = 100;
  if (auto l = ctx.query.find("limit"))
    if (auto err = parse_u64(*l, "limit", 1, max_query_limit, limit))
      return reply(error_response(err, version, keep_alive));
  std::string after;
  if (auto a = ctx.query.find("after"))
    after = std::string{*a};
  auto id = definition_id(ctx, "subscription", errc::not_found, reply);
  if (!id || !handles_.delivery)
    return;
  with_subscription(
      *id, who, version, keep_alive, reply,
      [this, after, limit, reply, version,
       keep_alive](flow::subscription_def def, uint64_t) {
        ask_delivery(
            version, keep_alive, reply,
            [reply, version, keep_alive](std::string& text) {
              reply(json_response(200, std::move(text), version, keep_alive));
            },
            delivery::dead_letters_atom_v, def.id(), after, limit);
      });
}

void delivery_api::redrive(http::request_context& ctx, const who_t& who,
                           http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::post)
    return reply(wrong_method(ctx.req, "…/dead-letters/redrive takes POST"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  auto body = json_body(ctx.req, reply, json::object());
  if (!body)
    return;
  std::vector<std::string> ids;
  if (!body->is_object())
    return reply(error_response(errc::invalid_field,
                                "the body is {} or {\"ids\":[…]}", "", version,
                                keep_alive));
  for (const auto& [k, v] : body->items()) {
    if (k != "ids")
      return reply(error_response(errc::unknown_field, "unknown member " + k,
                                  "/" + k, version, keep_alive));
    if (!v.is_array() || v.empty() || v.size() > 10000)
      return reply(error_response(errc::invalid_field,
                                  "ids is an array of 1-10000 event ids",
                                  "/ids", version, keep_alive));
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string() || v[i].get<std::string>().empty() ||
          v[i].get<std::string>().size() > 256)
        return reply(error_response(errc::invalid_field, "not an event id",
                                    "/ids/" + std::to_string(i), version,
                                    keep_alive));
      ids.push_back(v[i].get<std::string>());
    }
  }
  auto id = definition_id(ctx, "subscription", errc::not_found, reply);
  if (!id)
    return;
  with_subscription(*id, who, version, keep_alive, reply,
                    [this, ids, reply, version,
                     keep_alive](flow::subscription_def def, uint64_t) {
                      ask_delivery(
                          version, keep_alive, reply,
                          [reply, version, keep_alive](uint64_t count) {
                            reply(json_response(202,
                                                json{{"count", count}}.dump(),
                                                version, keep_alive));
                          },
                          delivery::redrive_atom_v, def.id(), ids);
                    });
}

void delivery_api::dead_letter(http::request_context& ctx, const who_t& who,
                               http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  if (ctx.req.method() != verb::delete_)
    return reply(wrong_method(ctx.req, "a dead letter takes DELETE"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  auto event_id = ctx.params.get("event_id");
  auto id = definition_id(ctx, "subscription", errc::not_found, reply);
  if (!id)
    return;
  if (!event_id || event_id->size() > 256 || !handles_.delivery)
    return reply(error_response(errc::not_found, "no such dead letter",
                                "event_id", version, keep_alive));
  with_subscription(*id, who, version, keep_alive, reply,
                    [this, event_id = *event_id, reply, version,
                     keep_alive](flow::subscription_def def, uint64_t) {
                      ask_delivery(
                          version, keep_alive, reply,
                          [reply, version, keep_alive](bool) {
                            reply(no_content(version, keep_alive));
                          },
                          delivery::drop_atom_v, def.id(), event_id);
                    });
}

} // namespace herald::api

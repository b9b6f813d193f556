// Seed 004's per-project subscriptions over the same machinery as
// /api/v1/subscriptions: `GET|PUT /api/v1/events/subscriptions/project/{p}/`
// reads and replaces the subscriptions scoped to `project/{p}`, in 004's
// Subscription shape ({"id","type":"webhook"|"slack","url","slack_icon"?,
// "slack_username"?}), keyed by id. Each one is a subscription to every
// event (`name: ">"`) under scope `project/{p}`, delivered as its creator
// may see them.

#include <set>

#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/flow/subscription.hpp"
#include "runtime/time_format.hpp"
#include "runtime/uuid.hpp"
#include "runtime/webhook_signature.hpp"
#include "tools/api/actor_bridge.hpp"
#include "tools/api/definition_helpers.hpp"
#include "tools/api/delivery_api.hpp"

namespace herald::api {

namespace {

using http::error_response;
using http::json_response;
using json = nlohmann::json;
using runtime::errc;
using verb = boost::beast::http::verb;

/// 004's shape of a subscription.
json to_004(const flow::subscription_def& def) {
  const auto& d = def.destination();
  json out{
      {"id", def.id()},
      {"type", d.type == flow::destination_type::slack ? "slack" : "webhook"},
      {"url", d.url}};
  if (!d.slack_icon.empty())
    out["slack_icon"] = d.slack_icon;
  if (!d.slack_username.empty())
    out["slack_username"] = d.slack_username;
  return out;
}

/// A field of the composed document as the 004 body names it.
std::string field_004(const std::string& at, const std::string& field) {
  for (std::string_view f :
       {"/destination/url", "/destination/type", "/destination/slack_icon",
        "/destination/slack_username"})
    if (field == f)
      return at + std::string{f.substr(12)};
  return at;
}

struct project_change {
  std::string id;
  std::optional<std::string> value; ///< nullopt: delete
  uint64_t expect = 0;
  std::string event;
};

} // namespace

void delivery_api::project(http::request_context& ctx, const who_t& who,
                           http::reply_fn reply) {
  const auto version = ctx.version();
  const bool keep_alive = ctx.keep_alive();
  const auto method = ctx.req.method();
  if (method != verb::get && method != verb::put)
    return reply(
        wrong_method(ctx.req, "project subscriptions take GET or PUT"));
  if (auto err = need(who, role_reader))
    return reply(error_response(err, version, keep_alive));
  auto project = ctx.params.get("project");
  const auto scope = project ? "project/" + *project : std::string{};
  if (!project || !runtime::is_valid_scope(scope))
    return reply(error_response(errc::invalid_scope,
                                "a project is one segment of "
                                "[A-Za-z0-9._~@:+-]",
                                "project", version, keep_alive));
  if (method == verb::put) {
    auto body = json::parse(ctx.req.body(), nullptr, false);
    if (body.is_discarded())
      return reply(error_response(errc::invalid_json,
                                  "the body is not valid JSON", "", version,
                                  keep_alive));
    return put_project(*project, std::move(body), who, version, keep_alive,
                       std::move(reply));
  }
  admin_.list(
      "subscription/",
      [who, scope, reply, version,
       keep_alive](std::vector<protocol::definition> defs) {
        json out = json::object();
        for (const auto& d : defs) {
          auto def = flow::subscription_def::parse_stored(
              d.key.substr(13), json::parse(d.value, nullptr, false));
          if (!def || !def->scope() || *def->scope() != scope)
            continue;
          if (!who.is_admin() && def->server().created_by != who.name)
            continue;
          out[def->id()] = to_004(*def);
        }
        reply(json_response(200, out.dump(), version, keep_alive));
      },
      version, keep_alive, reply);
}

void delivery_api::put_project(std::string project, json body, const who_t& who,
                               unsigned version, bool keep_alive,
                               http::reply_fn reply) {
  const auto scope = "project/" + project;
  // Body: {"id": Subscription, …} or [Subscription, …].
  std::vector<std::pair<std::string, json>> wanted; // (pointer, item)
  if (body.is_object()) {
    for (auto& [k, v] : body.items())
      wanted.emplace_back("/" + k, v);
  } else if (body.is_array()) {
    for (size_t i = 0; i < body.size(); ++i)
      wanted.emplace_back("/" + std::to_string(i), body[i]);
  } else {
    return reply(error_response(errc::invalid_field,
                                "the body is an object of subscriptions keyed "
                                "by id, or an array of them",
                                "", version, keep_alive));
  }
  if (wanted.size() > 1000)
    return reply(error_response(errc::too_large,
                                "at most 1000 subscriptions per project", "",
                                version, keep_alive));
  auto defs = std::make_shared<std::map<std::string, flow::subscription_def>>();
  for (auto& [at, item] : wanted) {
    if (!item.is_object())
      return reply(error_response(errc::invalid_field,
                                  "a subscription is an object", at, version,
                                  keep_alive));
    json dest = json::object();
    std::string id;
    for (auto& [k, v] : item.items()) {
      if (k == "id") {
        if (!v.is_string() || !definition_id_ok(v.get<std::string>()))
          return reply(error_response(
              errc::invalid_id, "an id is 1-128 characters of [A-Za-z0-9._-]",
              at + "/id", version, keep_alive));
        id = v.get<std::string>();
      } else if (k == "type" || k == "url" || k == "slack_icon" ||
                 k == "slack_username") {
        dest[k] = v;
      } else {
        return reply(error_response(errc::unknown_field, "unknown member " + k,
                                    at + "/" + k, version, keep_alive));
      }
    }
    if (body.is_object()) {
      const auto key = at.substr(1);
      if (!id.empty() && id != key)
        return reply(error_response(errc::invalid_field,
                                    "id differs from its key", at + "/id",
                                    version, keep_alive));
      id = key;
      if (!definition_id_ok(id))
        return reply(error_response(
            errc::invalid_id, "an id is 1-128 characters of [A-Za-z0-9._-]", at,
            version, keep_alive));
    }
    if (id.empty())
      return reply(error_response(errc::missing_field, "id is required",
                                  at + "/id", version, keep_alive));
    if (!dest.contains("type"))
      return reply(error_response(errc::missing_field, "type is required",
                                  at + "/type", version, keep_alive));
    json doc{{"name", ">"}, {"scope", scope}, {"destination", dest}};
    auto def = flow::subscription_def::parse(id, doc);
    if (!def) {
      auto e = runtime::describe(def.error());
      return reply(error_response(e.code, e.message, field_004(at, e.field),
                                  version, keep_alive));
    }
    if (defs->count(id))
      return reply(error_response(errc::invalid_field, "id given twice",
                                  at + "/id", version, keep_alive));
    defs->emplace(id, std::move(*def));
  }
  ask_delivery(
      version, keep_alive, reply,
      [this, defs, scope, who, reply, version, keep_alive](uint64_t last) {
        admin_.list(
            "subscription/",
            [this, defs, scope, who, last, reply, version,
             keep_alive](std::vector<protocol::definition> stored) {
              auto changes = std::make_shared<std::vector<project_change>>();
              std::set<std::string> seen;
              for (const auto& d : stored) {
                const auto id = d.key.substr(13);
                auto old = flow::subscription_def::parse_stored(
                    id, json::parse(d.value, nullptr, false));
                if (!old)
                  continue;
                const bool in_scope = old->scope() && *old->scope() == scope;
                auto want = defs->find(id);
                if (want == defs->end()) {
                  if (!in_scope)
                    continue;
                  if (!who.is_admin() && old->server().created_by != who.name)
                    return reply(error_response(errc::forbidden,
                                                "subscription " + id +
                                                    " belongs to another user",
                                                "/" + id, version, keep_alive));
                  changes->push_back(
                      {id, std::nullopt, d.version, "subscription.deleted"});
                  continue;
                }
                seen.insert(id);
                if (!in_scope)
                  return reply(error_response(errc::conflict,
                                              "subscription " + id +
                                                  " exists outside " + scope,
                                              "/" + id, version, keep_alive));
                if (!who.is_admin() && old->server().created_by != who.name)
                  return reply(error_response(errc::forbidden,
                                              "subscription " + id +
                                                  " belongs to another user",
                                              "/" + id, version, keep_alive));
                want->second.server() = old->server();
                changes->push_back({id, want->second.to_stored().dump(),
                                    d.version, "subscription.updated"});
              }
              for (auto& [id, def] : *defs) {
                if (seen.count(id))
                  continue;
                auto& s = def.server();
                s.created_by = who.name;
                s.incarnation = runtime::new_uuid_v7(runtime::now_unix_ns());
                s.secret = runtime::make_webhook_secret();
                s.start_seq = last;
                s.start_node = handles_.node_id;
                changes->push_back(
                    {id, def.to_stored().dump(), 0, "subscription.updated"});
              }
              // One change after the other; the reply is the new state.
              // The chain holds itself weakly; each pending commit holds
              // it strongly until its step has run.
              auto step = std::make_shared<std::function<void(size_t)>>();
              std::weak_ptr<std::function<void(size_t)>> weak = step;
              *step = [this, changes, defs, weak, who, reply, version,
                       keep_alive](size_t i) {
                if (i == changes->size()) {
                  json out = json::object();
                  for (const auto& [id, def] : *defs)
                    out[id] = to_004(def);
                  return reply(
                      json_response(200, out.dump(), version, keep_alive));
                }
                auto self = weak.lock();
                const auto& c = (*changes)[i];
                std::vector<v1::Event> evs;
                evs.push_back(runtime::make_system_event(
                    c.event, {{"id", c.id}, {"by", who.name}},
                    runtime::now_unix_ns()));
                commit("subscription/" + c.id, c.value, c.expect,
                       std::move(evs), version, keep_alive, reply,
                       [self, i](uint64_t) { (*self)(i + 1); });
              };
              (*step)(0);
            },
            version, keep_alive, reply);
      },
      delivery::seq_atom_v);
}

} // namespace herald::api

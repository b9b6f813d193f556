#include "tools/api/tokens_api.hpp"

#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/time_format.hpp"
#include "tools/api/stream_session.hpp"

namespace herald::api {

namespace {

using http::error_response;
using http::json_response;
using json = nlohmann::json;
using runtime::errc;
using verb = boost::beast::http::verb;

constexpr std::string_view tokens_path = "/api/v1/tokens";

json token_json(const token_record& t) {
  json j{{"id", t.id},
         {"name", t.name},
         {"groups", t.groups},
         {"roles", t.roles},
         {"created", runtime::format_rfc3339(t.created_ns)}};
  if (!t.created_by.empty())
    j["created_by"] = t.created_by;
  return j;
}

} // namespace

tokens_api::tokens_api(admin_context& admin)
    : admin_(admin), auth_(admin.auth()) {}

void tokens_api::add_routes(routes& table) {
  // Admin only, whatever the method: 403 comes before 405 here.
  table.add({{},
             std::string{tokens_path},
             std::string{role_admin},
             [this](http::request_context& ctx, const caller* from,
                    http::reply_fn reply) {
               list_or_create(ctx, from->who, std::move(reply));
             }});
  table.add({{},
             std::string{tokens_path} + "/{id}",
             std::string{role_admin},
             [this](http::request_context& ctx, const caller* from,
                    http::reply_fn reply) {
               revoke(ctx, from->who, std::move(reply));
             }});
}

void tokens_api::list_or_create(http::request_context& ctx,
                                const runtime::identity& who,
                                http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  const auto method = req.method();
  if (method == verb::get) {
    json list = json::array();
    for (const auto& t : auth_->tokens())
      list.push_back(token_json(t));
    return reply(
        json_response(200, json{{"tokens", list}}.dump(), version, keep_alive));
  }
  if (method != verb::post)
    return reply(wrong_method(req, "/api/v1/tokens takes GET or POST"));
  auto body = object_body(req, {"name", "roles", "groups"});
  if (!body)
    return reply(error_response(body.error(), version, keep_alive));
  if (!body->contains("name") || !(*body)["name"].is_string() ||
      (*body)["name"].get_ref<const std::string&>().empty() ||
      (*body)["name"].get_ref<const std::string&>().size() > 128)
    return reply(error_response(errc::missing_field,
                                "name (1-128 characters) is required", "/name",
                                version, keep_alive));
  auto roles = body->value("roles", json::array({role_publisher}));
  if (auto err = auth_service::check_roles(roles, "/roles"))
    return reply(error_response(err, version, keep_alive));
  auto groups = body->value("groups", json::array());
  if (auto err = auth_service::check_groups(groups, "/groups"))
    return reply(error_response(err, version, keep_alive));
  token_record t;
  t.id = runtime::auth::random_token(9);
  t.name = (*body)["name"].get<std::string>();
  const auto secret = runtime::auth::random_token(32);
  t.digest = runtime::auth::token_digest(secret);
  t.roles = roles.get<std::vector<std::string>>();
  t.groups = groups.get<std::vector<std::string>>();
  t.created_ns = runtime::now_unix_ns();
  t.created_by = who.name;
  std::vector<v1::Event> evs;
  evs.push_back(audit_event(
      "auth.token.created",
      {{"id", t.id}, {"name", t.name}, {"roles", t.roles}, {"by", who.name}}));
  return admin_.define(
      protocol::definition_change{"token/" + t.id, auth_service::encode(t),
                                  uint64_t{0}},
      std::move(evs), version, keep_alive, reply,
      [t, secret, reply, version, keep_alive](uint64_t) {
        auto j = token_json(t);
        j["token"] = secret;
        reply(json_response(201, j.dump(), version, keep_alive));
      });
}

void tokens_api::revoke(http::request_context& ctx,
                        const runtime::identity& who, http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  const auto method = req.method();
  auto id = ctx.params.get("id");
  if (!id)
    return reply(error_response(errc::not_found, "no such token", "id", version,
                                keep_alive));
  if (method != verb::delete_)
    return reply(wrong_method(req, "a token takes DELETE"));
  std::vector<v1::Event> evs;
  evs.push_back(
      audit_event("auth.token.revoked", {{"id", *id}, {"by", who.name}}));
  auto end_streams = [this, id = *id] {
    admin_.streams().revoke("token/" + id, close_credential_revoked);
  };
  admin_.define(
      protocol::definition_change{"token/" + *id, std::nullopt, std::nullopt},
      std::move(evs), version, keep_alive, reply,
      [end_streams, reply, version, keep_alive](uint64_t) {
        // auth_service (a view of the definitions) refuses the token
        // already; its open streams end now.
        end_streams();
        reply(no_content(version, keep_alive));
      },
      "If-Match",
      // A failure after the commit leaves the token dropped from the view
      // (fail closed); a refusal before it leaves it as it was. Either way
      // nothing a revoked token opened may stay open.
      [this, id = *id, end_streams] {
        if (!auth_->has_token(id))
          end_streams();
      });
}

} // namespace herald::api

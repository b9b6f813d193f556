#include "tools/api/users_api.hpp"

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

constexpr std::string_view users_path = "/api/v1/users";

json user_json(const user_record& u) {
  return json{{"name", u.name},
              {"groups", u.groups},
              {"roles", u.roles},
              {"origin", u.from_file ? "file" : "api"}};
}

} // namespace

users_api::users_api(admin_context& admin)
    : admin_(admin), auth_(admin.auth()) {}

void users_api::add_routes(routes& table) {
  // Admin only, whatever the method: 403 comes before 405 here.
  table.add({{},
             std::string{users_path},
             std::string{role_admin},
             [this](http::request_context& ctx, const caller*,
                    http::reply_fn reply) { list(ctx, std::move(reply)); }});
  table.add({{},
             std::string{users_path} + "/{name}",
             std::string{role_admin},
             [this](http::request_context& ctx, const caller* from,
                    http::reply_fn reply) {
               item(ctx, from->who, std::move(reply));
             }});
}

void users_api::list(http::request_context& ctx, http::reply_fn reply) {
  const auto& req = ctx.req;
  if (req.method() != verb::get)
    return reply(wrong_method(req, "/api/v1/users takes GET"));
  json list = json::array();
  for (const auto& u : auth_->users())
    list.push_back(user_json(u));
  reply(json_response(200, json{{"users", list}}.dump(), ctx.version(),
                      ctx.keep_alive()));
}

void users_api::item(http::request_context& ctx, const runtime::identity& who,
                     http::reply_fn reply) {
  const auto& req = ctx.req;
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  const auto method = req.method();
  auto name = ctx.params.get("name");
  if (!name || auth_service::check_user_name(*name))
    return reply(error_response(errc::not_found, "no such user", "name",
                                version, keep_alive));
  auto current = auth_->user(*name);
  if (method == verb::get) {
    if (!current)
      return reply(error_response(errc::not_found, "no such user: " + *name,
                                  "name", version, keep_alive));
    return reply(
        json_response(200, user_json(*current).dump(), version, keep_alive));
  }
  if (method != verb::put && method != verb::delete_)
    return reply(wrong_method(req, "a user takes GET, PUT or DELETE"));
  if (current && current->from_file)
    return reply(
        error_response(errc::conflict,
                       *name + " is defined in the users file; change it there",
                       "name", version, keep_alive));
  const auto key = "user/" + *name;
  if (method == verb::delete_) {
    if (!current)
      return reply(error_response(errc::not_found, "no such user: " + *name,
                                  "name", version, keep_alive));
    std::vector<v1::Event> evs;
    evs.push_back(audit_event("auth.user.deleted",
                              {{"username", *name}, {"by", who.name}}));
    return admin_.define(
        protocol::definition_change{key, std::nullopt, std::nullopt},
        std::move(evs), version, keep_alive, reply,
        [this, name = *name, reply, version, keep_alive](uint64_t) {
          user_changed(name, false, version, keep_alive, reply,
                       [reply, version, keep_alive] {
                         reply(no_content(version, keep_alive));
                       });
        },
        "If-Match", revoke_if_dropped(*name));
  }
  auto body = object_body(req, {"password", "groups", "roles"});
  if (!body)
    return reply(error_response(body.error(), version, keep_alive));
  if (!body->contains("roles"))
    return reply(error_response(errc::missing_field, "roles is required",
                                "/roles", version, keep_alive));
  if (auto err = auth_service::check_roles((*body)["roles"], "/roles"))
    return reply(error_response(err, version, keep_alive));
  auto groups = body->value("groups", json::array());
  if (auto err = auth_service::check_groups(groups, "/groups"))
    return reply(error_response(err, version, keep_alive));
  if (body->contains("password") && !(*body)["password"].is_string())
    return reply(error_response(errc::invalid_field, "password is a string",
                                "/password", version, keep_alive));
  if (!current && !body->contains("password"))
    return reply(error_response(errc::missing_field,
                                "a new user needs a password", "/password",
                                version, keep_alive));
  user_record u;
  u.name = *name;
  u.groups = groups.get<std::vector<std::string>>();
  u.created_ns = current ? current->created_ns : runtime::now_unix_ns();
  u.roles = (*body)["roles"].get<std::vector<std::string>>();
  // The stored version we read: a concurrent change makes this a conflict
  // instead of a lost update (the kept hash would be stale).
  const uint64_t expect = current ? current->version : 0;
  const bool new_password = current && body->contains("password");
  if (current)
    u.tokens_after_s = current->tokens_after_s;
  auto commit = [this, u, key, expect, created = !current, new_password,
                 who_name = who.name, version, keep_alive,
                 reply](std::string hash) mutable {
    u.password_hash = std::move(hash);
    // Login tokens of the old password (issued up to this second) stop
    // working (DESIGN §3 and SECURITY.md, "Credentials").
    if (new_password)
      u.tokens_after_s = auth_service::tokens_after(runtime::now_unix_ns());
    std::vector<v1::Event> evs;
    evs.push_back(audit_event("auth.user.updated", {{"username", u.name},
                                                    {"groups", u.groups},
                                                    {"roles", u.roles},
                                                    {"by", who_name}}));
    admin_.define(
        protocol::definition_change{key, auth_service::encode(u), expect},
        std::move(evs), version, keep_alive, reply,
        [this, u, created, new_password, reply, version, keep_alive](uint64_t) {
          user_changed(u.name, new_password, version, keep_alive, reply,
                       [u, created, reply, version, keep_alive] {
                         reply(json_response(created ? 201 : 200,
                                             user_json(u).dump(), version,
                                             keep_alive));
                       });
        },
        "If-Match", revoke_if_dropped(u.name));
  };
  if (!body->contains("password"))
    return commit(current->password_hash);
  auto password = (*body)["password"].get<std::string>();
  admin_.offload(
      [commit, password = std::move(password), reply, version,
       keep_alive]() mutable {
        auto hash = runtime::auth::hash_password(password);
        if (!hash)
          return reply(error_response(hash.error(), version, keep_alive));
        commit(std::move(*hash));
      },
      version, keep_alive, reply);
}

std::function<void()> users_api::revoke_if_dropped(std::string name) {
  // A change the view could not apply dropped the user (fail closed): its
  // streams end with it, though the change is answered as an error.
  return [this, name = std::move(name)] {
    if (!auth_->user(name))
      admin_.streams().revoke(name, close_credential_revoked);
  };
}

void users_api::user_changed(const std::string& name, bool password_changed,
                             unsigned /*version*/, bool /*keep_alive*/,
                             const http::reply_fn& /*reply*/,
                             std::function<void()> reply_ok) {
  // auth_service (a view of the definitions) has the change already.
  auto now = auth_->user(name);
  if (!now || password_changed ||
      !auth_service::identity_of(*now).may(role_reader)) {
    admin_.streams().revoke(name, close_credential_revoked);
    return reply_ok();
  }
  // Groups and roles apply to the open streams before the change is
  // answered: an event published after the reply is judged by them.
  admin_.streams().update_identity(name, auth_service::identity_of(*now),
                                   std::move(reply_ok));
}

} // namespace herald::api

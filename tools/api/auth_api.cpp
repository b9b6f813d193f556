#include "tools/api/auth_api.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/time_format.hpp"

namespace herald::api {

namespace {

using http::error_response;
using http::json_response;
using json = nlohmann::json;
using runtime::errc;
using verb = boost::beast::http::verb;
namespace bhttp = boost::beast::http;

constexpr std::string_view login_path = "/api/v1/auth/login";
constexpr std::string_view renew_path = "/api/v1/auth/renew";

int64_t now_s() {
  return runtime::now_unix_ns() / 1'000'000'000;
}

/// 429 with Retry-After (seconds).
http::http_response retry_later(const std::string& what,
                                std::chrono::seconds wait, unsigned version,
                                bool keep_alive) {
  auto res =
      error_response(errc::too_many_requests,
                     what + "; retry in " + std::to_string(wait.count()) + " s",
                     "", version, keep_alive);
  res.set(bhttp::field::retry_after, std::to_string(wait.count()));
  return res;
}

} // namespace

auth_api::auth_api(admin_context& admin) : admin_(admin), auth_(admin.auth()) {}

void auth_api::add_routes(routes& table) {
  // Public: they take their own credentials. Any method reaches them (405
  // names the one they take).
  for (auto path : {login_path, renew_path})
    table.add({{},
               std::string{path},
               std::string{http::public_route},
               [this, path](http::request_context& ctx, const caller*,
                            http::reply_fn reply) {
                 const auto& req = ctx.req;
                 if (req.method() != verb::post)
                   return reply(
                       wrong_method(req, std::string{path} + " takes POST"));
                 if (path == login_path)
                   return login(req, ctx.remote_ip, std::move(reply));
                 renew(req, ctx.remote_ip, std::move(reply));
               }});
  // Who the credential is: what a client (the console) needs to offer only
  // what its roles allow. Any valid credential; nothing secret in it.
  table.add({{verb::get},
             "/api/v1/auth/me",
             std::string{http::any_caller},
             [](http::request_context& ctx, const caller* from,
                http::reply_fn reply) {
               json body{{"name", from->who.name},
                         {"roles", from->who.roles},
                         {"groups", from->who.groups},
                         {"kind", from->expires_s > 0 ? "login" : "token"}};
               if (from->expires_s > 0)
                 body["exp"] = from->expires_s;
               reply(json_response(200, body.dump(), ctx.version(),
                                   ctx.keep_alive()));
             }});
}

void auth_api::login(const http::http_request& req, const std::string& ip,
                     http::reply_fn reply) {
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  auto body = object_body(req, {"username", "password"});
  if (!body)
    return reply(error_response(body.error(), version, keep_alive));
  for (const char* f : {"username", "password"})
    if (!body->contains(f) || !(*body)[f].is_string())
      return reply(error_response(errc::missing_field,
                                  std::string{f} + " is required (a string)",
                                  std::string{"/"} + f, version, keep_alive));
  auto username = (*body)["username"].get<std::string>();
  auto password = (*body)["password"].get<std::string>();
  // No user has a longer name or password: refuse without the (costly)
  // check and without recording attacker-sized names in the trail.
  if (username.empty() || username.size() > 64)
    return reply(error_response(errc::invalid_field,
                                "username is 1-64 characters", "/username",
                                version, keep_alive));
  if (password.size() > runtime::auth::max_password_size)
    return reply(error_response(errc::invalid_field,
                                "password is at most 1024 bytes", "/password",
                                version, keep_alive));
  if (auto wait = auth_->limiter().blocked(username, ip,
                                           std::chrono::steady_clock::now()))
    return reply(
        retry_later("too many failed logins", *wait, version, keep_alive));
  admin_.offload(
      [this, username, password = std::move(password), ip, version, keep_alive,
       reply] {
        const auto t = now_s();
        auto res = auth_->login(username, password, t);
        if (!res) {
          auth_->limiter().record_failure(username, ip,
                                          std::chrono::steady_clock::now());
          return refuse_auth(res.error(), username, ip, version, keep_alive,
                             reply);
        }
        auth_->limiter().record_success(username, ip,
                                        std::chrono::steady_clock::now());
        hand_out("auth.ok", *res, username, ip, version, keep_alive, reply);
      },
      version, keep_alive, reply);
}
void auth_api::renew(const http::http_request& req, const std::string& ip,
                     http::reply_fn reply) {
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  if (!req.body().empty())
    return reply(error_response(errc::invalid_field, "renew takes no body", "",
                                version, keep_alive));
  const auto now = std::chrono::steady_clock::now();
  if (auto wait = auth_->limiter().blocked("", ip, now))
    return reply(
        retry_later("too many failed attempts", *wait, version, keep_alive));
  std::string subject;
  auto res =
      auth_->renew(http::bearer_token(req).value_or(""), now_s(), subject);
  if (!res) {
    auth_->limiter().record_failure("", ip, now);
    return refuse_auth(res.error(), subject, ip, version, keep_alive, reply);
  }
  hand_out("auth.renew", *res, subject, ip, version, keep_alive, reply);
}
void auth_api::refuse_auth(caf::error err, const std::string& username,
                           const std::string& ip, unsigned version,
                           bool keep_alive, const http::reply_fn& reply) {
  auto reason = runtime::describe(err).message;
  admin_.record(
      audit_event("auth.error",
                  {{"username", username}, {"ip", ip}, {"reason", reason}}),
      [reply, err, version, keep_alive](caf::error) {
        auto out = error_response(err, version, keep_alive);
        if (runtime::describe(err).code == errc::unauthorized)
          out.set(bhttp::field::www_authenticate, "Bearer");
        reply(std::move(out));
      });
}
void auth_api::hand_out(const char* event, const auth_service::issued& token,
                        const std::string& username, const std::string& ip,
                        unsigned version, bool keep_alive,
                        const http::reply_fn& reply) {
  admin_.record(
      audit_event(event,
                  {{"username", username}, {"ip", ip}, {"exp", token.exp}}),
      [reply, token, version, keep_alive](caf::error err) {
        // No token without its audit record.
        if (err)
          return reply(error_response(err, version, keep_alive));
        reply(json_response(200,
                            json{{"token", token.token},
                                 {"token_type", "Bearer"},
                                 {"exp", token.exp}}
                                .dump(),
                            version, keep_alive));
      });
}

} // namespace herald::api

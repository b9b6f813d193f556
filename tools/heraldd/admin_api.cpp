#include "tools/heraldd/admin_api.hpp"

#include "runtime/event_codec_detail.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/type_ids.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/text_util.hpp"
#include "runtime/time_format.hpp"
#include "storage/event_store.hpp"
#include "tools/heraldd/actor_bridge.hpp"
#include "tools/heraldd/publish_path.hpp"
#include "tools/heraldd/stream_session.hpp"

namespace herald::heraldd {

namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using runtime::errc;

namespace {

constexpr std::string_view login_path = "/api/v1/auth/login";
constexpr std::string_view renew_path = "/api/v1/auth/renew";
constexpr std::string_view users_path = "/api/v1/users";
constexpr std::string_view tokens_path = "/api/v1/tokens";
constexpr std::string_view sources_path = "/api/v1/sources";
constexpr std::string_view config_path = "/api/v1/config";
/// The source of Herald's own events: it cannot be disabled (DESIGN §7).
constexpr std::string_view herald_source = "herald";
/// Password hashes queued or running at most; more get 503.
constexpr int max_hashing = 32;

/// `path` is `base` or `base/<rest>`: sets rest (empty for `base`).
bool under(std::string_view path, std::string_view base,
           std::string_view& rest) {
  if (!path.starts_with(base))
    return false;
  if (path.size() == base.size()) {
    rest = {};
    return true;
  }
  if (path[base.size()] != '/')
    return false;
  rest = path.substr(base.size() + 1);
  return true;
}

int64_t now_s() {
  return runtime::now_unix_ns() / 1'000'000'000;
}

/// The body as a JSON object whose members are all in `allowed`.
caf::expected<json>
object_body(const http_request& req,
            std::initializer_list<std::string_view> allowed) {
  auto j = json::parse(req.body(), nullptr, false);
  if (j.is_discarded())
    return runtime::make_api_error(errc::invalid_json,
                                   "the body is not valid JSON", "");
  if (!j.is_object())
    return runtime::make_api_error(errc::invalid_field,
                                   "the body must be a JSON object", "");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
      return runtime::make_api_error(
          errc::unknown_field, "unknown field " + it.key(),
          runtime::json_pointer_append("", it.key()));
  return j;
}

caf::error need(const runtime::identity& who, std::string_view role) {
  if (who.may(role))
    return caf::error{};
  return runtime::make_api_error(
      errc::forbidden, "this needs the " + std::string{role} + " role");
}

/// 405 for a path that exists; `what` says which methods it takes.
http_response wrong_method(const http_request& req, std::string what) {
  return error_response(errc::method_not_allowed, std::move(what), "",
                        req.version(), req.keep_alive());
}

/// 429 with Retry-After (seconds).
http_response retry_later(const std::string& what, std::chrono::seconds wait,
                          unsigned version, bool keep_alive) {
  auto res =
      error_response(errc::too_many_requests,
                     what + "; retry in " + std::to_string(wait.count()) + " s",
                     "", version, keep_alive);
  res.set(http::field::retry_after, std::to_string(wait.count()));
  return res;
}

http_response no_content(unsigned version, bool keep_alive) {
  http_response res{http::status::no_content, version};
  res.keep_alive(keep_alive);
  return res;
}

/// A path segment, percent-decoded; nullopt when malformed, empty or not
/// UTF-8 (no user, token, source or config key can have such a name).
std::optional<std::string> segment(std::string_view raw) {
  if (raw.empty() || raw.find('/') != std::string_view::npos)
    return std::nullopt;
  auto s = runtime::percent_decode(raw, false);
  if (!s || s->empty() || !runtime::detail::is_valid_utf8(*s))
    return std::nullopt;
  return s;
}

bool config_key_ok(std::string_view key) {
  if (key.empty() || key.size() > 256)
    return false;
  for (char c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
        c != '-' && c != ':')
      return false;
  return true;
}

std::string etag(uint64_t version) {
  return "\"" + std::to_string(version) + "\"";
}

json user_json(const user_record& u) {
  return json{{"name", u.name},
              {"groups", u.groups},
              {"roles", u.roles},
              {"origin", u.from_file ? "file" : "api"}};
}

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

json source_json(const storage::source_info& s) {
  json j{{"id", s.id}, {"enabled", s.enabled}, {"events", s.events}};
  if (s.last_seq > 0) {
    j["last_seq"] = s.last_seq;
    j["last_accept_time"] = runtime::format_rfc3339(s.last_accept_ns);
  }
  return j;
}

/// Audit events about access control are for admins only: they carry user
/// names and addresses.
v1::Event audit_event(std::string name, const json& data) {
  auto ev =
      runtime::make_system_event(std::move(name), data, runtime::now_unix_ns());
  ev.add_allowed_groups("admin");
  return ev;
}

} // namespace

admin_api::admin_api(caf::actor_system& sys, actors::node_handles handles,
                     std::shared_ptr<storage::event_store> store,
                     std::shared_ptr<auth_service> auth,
                     stream_registry& streams)
    : sys_(sys), handles_(std::move(handles)), store_(std::move(store)),
      auth_(std::move(auth)), streams_(streams) {}

admin_api::~admin_api() {
  hash_pool_.join();
}

bool admin_api::is_login_path(std::string_view path) {
  return path == login_path || path == renew_path;
}

bool admin_api::owns(std::string_view path) {
  std::string_view rest;
  return under(path, users_path, rest) || under(path, tokens_path, rest) ||
         under(path, sources_path, rest) || under(path, config_path, rest);
}

bool admin_api::offload(std::function<void()> work, unsigned version,
                        bool keep_alive, const reply_fn& reply) {
  if (hashing_.fetch_add(1) >= max_hashing) {
    hashing_.fetch_sub(1);
    reply(error_response(errc::unavailable,
                         "too many password checks in progress", "", version,
                         keep_alive));
    return false;
  }
  boost::asio::post(hash_pool_, [this, work = std::move(work)] {
    work();
    hashing_.fetch_sub(1);
  });
  return true;
}

void admin_api::record(v1::Event ev, std::function<void(caf::error)> then) {
  std::vector<v1::Event> evs;
  evs.push_back(std::move(ev));
  ask(
      sys_, handles_.writer, request_timeout,
      [then](std::vector<protocol::publish_result>&) { then(caf::error{}); },
      [then](caf::error& err) {
        spdlog::warn("could not store an auth event: {}", caf::to_string(err));
        then(err);
      },
      actors::write_atom_v, std::move(evs));
}

void admin_api::define(protocol::definition_change change,
                       std::vector<v1::Event> events, unsigned version,
                       bool keep_alive, reply_fn reply,
                       std::function<void(uint64_t)> on_ok,
                       std::string precondition_header) {
  ask(
      sys_, handles_.writer, request_timeout,
      [on_ok](protocol::definition_result& res) { on_ok(res.version); },
      [reply, version, keep_alive,
       precondition_header = std::move(precondition_header)](caf::error& err) {
        auto e = runtime::describe(err);
        if (e.code == errc::conflict && e.field == "If-Match")
          e.field = precondition_header;
        reply(error_response(e, version, keep_alive));
      },
      actors::define_atom_v, std::move(change), std::move(events));
}

void admin_api::login_or_renew(const http_request& req, std::string_view path,
                               const std::string& ip, reply_fn reply) {
  if (req.method() != http::verb::post)
    return reply(wrong_method(req, std::string{path} + " takes POST"));
  if (path == login_path)
    return login(req, ip, std::move(reply));
  renew(req, ip, std::move(reply));
}

void admin_api::login(const http_request& req, const std::string& ip,
                      reply_fn reply) {
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
  offload(
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

void admin_api::renew(const http_request& req, const std::string& ip,
                      reply_fn reply) {
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
  auto res = auth_->renew(bearer_token(req).value_or(""), now_s(), subject);
  if (!res) {
    auth_->limiter().record_failure("", ip, now);
    return refuse_auth(res.error(), subject, ip, version, keep_alive, reply);
  }
  hand_out("auth.renew", *res, subject, ip, version, keep_alive, reply);
}

void admin_api::refuse_auth(caf::error err, const std::string& username,
                            const std::string& ip, unsigned version,
                            bool keep_alive, const reply_fn& reply) {
  auto reason = runtime::describe(err).message;
  record(audit_event("auth.error",
                     {{"username", username}, {"ip", ip}, {"reason", reason}}),
         [reply, err, version, keep_alive](caf::error) {
           auto out = error_response(err, version, keep_alive);
           if (runtime::describe(err).code == errc::unauthorized)
             out.set(http::field::www_authenticate, "Bearer");
           reply(std::move(out));
         });
}

void admin_api::hand_out(const char* event, const auth_service::issued& token,
                         const std::string& username, const std::string& ip,
                         unsigned version, bool keep_alive,
                         const reply_fn& reply) {
  record(audit_event(event,
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

void admin_api::handle(const http_request& req, std::string_view path,
                       const runtime::identity& who, reply_fn reply) {
  std::string_view rest;
  if (under(path, users_path, rest))
    return users(req, rest, who, std::move(reply));
  if (under(path, tokens_path, rest))
    return tokens(req, rest, who, std::move(reply));
  if (under(path, sources_path, rest))
    return sources(req, rest, who, std::move(reply));
  if (under(path, config_path, rest))
    return config(req, rest, who, std::move(reply));
  reply(error_response(errc::not_found, "no such endpoint", "", req.version(),
                       req.keep_alive()));
}

void admin_api::users(const http_request& req, std::string_view rest,
                      const runtime::identity& who, reply_fn reply) {
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  if (auto err = need(who, role_admin))
    return reply(error_response(err, version, keep_alive));
  const auto method = req.method();
  if (rest.empty()) {
    if (method != http::verb::get)
      return reply(wrong_method(req, "/api/v1/users takes GET"));
    json list = json::array();
    for (const auto& u : auth_->users())
      list.push_back(user_json(u));
    return reply(
        json_response(200, json{{"users", list}}.dump(), version, keep_alive));
  }
  auto name = segment(rest);
  if (!name || auth_service::check_user_name(*name))
    return reply(error_response(errc::not_found, "no such user", "name",
                                version, keep_alive));
  auto current = auth_->user(*name);
  if (method == http::verb::get) {
    if (!current)
      return reply(error_response(errc::not_found, "no such user: " + *name,
                                  "name", version, keep_alive));
    return reply(
        json_response(200, user_json(*current).dump(), version, keep_alive));
  }
  if (method != http::verb::put && method != http::verb::delete_)
    return reply(wrong_method(req, "a user takes GET, PUT or DELETE"));
  if (current && current->from_file)
    return reply(
        error_response(errc::conflict,
                       *name + " is defined in the users file; change it there",
                       "name", version, keep_alive));
  const auto key = "user/" + *name;
  if (method == http::verb::delete_) {
    if (!current)
      return reply(error_response(errc::not_found, "no such user: " + *name,
                                  "name", version, keep_alive));
    std::vector<v1::Event> evs;
    evs.push_back(audit_event("auth.user.deleted",
                              {{"username", *name}, {"by", who.name}}));
    return define(protocol::definition_change{key, std::nullopt, std::nullopt},
                  std::move(evs), version, keep_alive, reply,
                  [this, name = *name, reply, version, keep_alive](uint64_t) {
                    user_changed(name, false, version, keep_alive, reply,
                                 [reply, version, keep_alive] {
                                   reply(no_content(version, keep_alive));
                                 });
                  });
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
    define(
        protocol::definition_change{key, auth_service::encode(u), expect},
        std::move(evs), version, keep_alive, reply,
        [this, u, created, new_password, reply, version, keep_alive](uint64_t) {
          user_changed(u.name, new_password, version, keep_alive, reply,
                       [u, created, reply, version, keep_alive] {
                         reply(json_response(created ? 201 : 200,
                                             user_json(u).dump(), version,
                                             keep_alive));
                       });
        });
  };
  if (!body->contains("password"))
    return commit(current->password_hash);
  auto password = (*body)["password"].get<std::string>();
  offload(
      [commit, password = std::move(password), reply, version,
       keep_alive]() mutable {
        auto hash = runtime::auth::hash_password(password);
        if (!hash)
          return reply(error_response(hash.error(), version, keep_alive));
        commit(std::move(*hash));
      },
      version, keep_alive, reply);
}

void admin_api::user_changed(const std::string& name, bool password_changed,
                             unsigned version, bool keep_alive,
                             const reply_fn& reply,
                             std::function<void()> reply_ok) {
  // refresh_user drops the user from memory when it cannot read it back, so
  // on error its credentials are refused and its streams end.
  auto err = auth_->refresh_user(name);
  auto now = auth_->user(name);
  if (err || !now || password_changed ||
      !auth_service::identity_of(*now).may(role_reader)) {
    streams_.revoke(name, close_credential_revoked);
    if (err)
      return reply(error_response(err, version, keep_alive));
    return reply_ok();
  }
  // Groups and roles apply to the open streams before the change is
  // answered: an event published after the reply is judged by them.
  streams_.update_identity(name, auth_service::identity_of(*now),
                           std::move(reply_ok));
}

void admin_api::tokens(const http_request& req, std::string_view rest,
                       const runtime::identity& who, reply_fn reply) {
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  if (auto err = need(who, role_admin))
    return reply(error_response(err, version, keep_alive));
  const auto method = req.method();
  if (rest.empty()) {
    if (method == http::verb::get) {
      json list = json::array();
      for (const auto& t : auth_->tokens())
        list.push_back(token_json(t));
      return reply(json_response(200, json{{"tokens", list}}.dump(), version,
                                 keep_alive));
    }
    if (method != http::verb::post)
      return reply(wrong_method(req, "/api/v1/tokens takes GET or POST"));
    auto body = object_body(req, {"name", "roles", "groups"});
    if (!body)
      return reply(error_response(body.error(), version, keep_alive));
    if (!body->contains("name") || !(*body)["name"].is_string() ||
        (*body)["name"].get_ref<const std::string&>().empty() ||
        (*body)["name"].get_ref<const std::string&>().size() > 128)
      return reply(error_response(errc::missing_field,
                                  "name (1-128 characters) is required",
                                  "/name", version, keep_alive));
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
    evs.push_back(audit_event("auth.token.created", {{"id", t.id},
                                                     {"name", t.name},
                                                     {"roles", t.roles},
                                                     {"by", who.name}}));
    return define(
        protocol::definition_change{"token/" + t.id, auth_service::encode(t), 0},
        std::move(evs), version, keep_alive, reply,
        [this, t, secret, reply, version, keep_alive](uint64_t) {
          if (auto err = auth_->refresh_token(t.id))
            return reply(error_response(err, version, keep_alive));
          auto j = token_json(t);
          j["token"] = secret;
          reply(json_response(201, j.dump(), version, keep_alive));
        });
  }
  auto id = segment(rest);
  if (!id)
    return reply(error_response(errc::not_found, "no such token", "id", version,
                                keep_alive));
  if (method != http::verb::delete_)
    return reply(wrong_method(req, "a token takes DELETE"));
  std::vector<v1::Event> evs;
  evs.push_back(
      audit_event("auth.token.revoked", {{"id", *id}, {"by", who.name}}));
  define(protocol::definition_change{"token/" + *id, std::nullopt, std::nullopt},
         std::move(evs), version, keep_alive, reply,
         [this, id = *id, reply, version, keep_alive](uint64_t) {
           // refresh_token drops the token from memory before it reads the
           // store: even when it fails, the token is refused from now on.
           auto err = auth_->refresh_token(id);
           streams_.revoke("token/" + id, close_credential_revoked);
           if (err)
             return reply(error_response(err, version, keep_alive));
           reply(no_content(version, keep_alive));
         });
}

void admin_api::sources(const http_request& req, std::string_view rest,
                        const runtime::identity& who, reply_fn reply) {
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  const auto method = req.method();
  // Every source the store knows, plus Herald's own (always listed), by id.
  auto all = [this] {
    auto list = store_->sources();
    auto at = std::lower_bound(list.begin(), list.end(), herald_source,
                               [](const storage::source_info& s,
                                  std::string_view id) { return s.id < id; });
    if (at == list.end() || at->id != herald_source)
      list.insert(at, storage::source_info{std::string{herald_source}});
    return list;
  };
  auto find =
      [all](std::string_view id) -> std::optional<storage::source_info> {
    for (auto& s : all())
      if (s.id == id)
        return s;
    return std::nullopt;
  };
  if (rest.empty()) {
    if (method != http::verb::get)
      return reply(wrong_method(req, "/api/v1/sources takes GET"));
    if (auto err = need(who, role_reader))
      return reply(error_response(err, version, keep_alive));
    json list = json::array();
    for (const auto& s : all())
      list.push_back(source_json(s));
    return reply(json_response(200, json{{"sources", list}}.dump(), version,
                               keep_alive));
  }
  auto id = segment(rest);
  if (!id || id->size() > 256)
    return reply(error_response(errc::not_found, "no such source", "id",
                                version, keep_alive));
  if (method == http::verb::get) {
    if (auto err = need(who, role_reader))
      return reply(error_response(err, version, keep_alive));
    auto s = find(*id);
    if (!s)
      return reply(error_response(errc::not_found, "no such source: " + *id,
                                  "id", version, keep_alive));
    return reply(
        json_response(200, source_json(*s).dump(), version, keep_alive));
  }
  if (method != http::verb::put)
    return reply(wrong_method(req, "a source takes GET or PUT"));
  if (auto err = need(who, role_admin))
    return reply(error_response(err, version, keep_alive));
  auto body = object_body(req, {"enabled"});
  if (!body)
    return reply(error_response(body.error(), version, keep_alive));
  if (!body->contains("enabled") || !(*body)["enabled"].is_boolean())
    return reply(error_response(errc::missing_field,
                                "enabled (true or false) is required",
                                "/enabled", version, keep_alive));
  const bool enabled = (*body)["enabled"].get<bool>();
  if (*id == herald_source && !enabled)
    return reply(error_response(errc::conflict,
                                "Herald's own source cannot be disabled",
                                "/enabled", version, keep_alive));
  std::vector<v1::Event> evs;
  evs.push_back(runtime::make_system_event(
      "source.updated", {{"id", *id}, {"enabled", enabled}, {"by", who.name}},
      runtime::now_unix_ns()));
  define(protocol::definition_change{"source/" + *id,
                                   json{{"enabled", enabled}}.dump(),
                                   std::nullopt},
         std::move(evs), version, keep_alive, reply,
         [find, id = *id, reply, version, keep_alive](uint64_t) {
           auto s = find(id);
           reply(json_response(
               200, source_json(s.value_or(storage::source_info{id})).dump(),
               version, keep_alive));
         });
}

void admin_api::config(const http_request& req, std::string_view rest,
                       const runtime::identity& who, reply_fn reply) {
  const auto version = req.version();
  const bool keep_alive = req.keep_alive();
  if (auto err = need(who, role_admin))
    return reply(error_response(err, version, keep_alive));
  const auto method = req.method();
  if (rest.empty()) {
    if (method != http::verb::get)
      return reply(wrong_method(req, "/api/v1/config takes GET"));
    auto defs = store_->list_definitions("config/");
    if (!defs)
      return reply(error_response(defs.error(), version, keep_alive));
    json list = json::array();
    for (const auto& d : *defs)
      list.push_back(json{{"key", d.key.substr(7)}, {"version", d.version}});
    return reply(json_response(200, json{{"configs", list}}.dump(), version,
                               keep_alive));
  }
  auto key = segment(rest);
  if (!key || !config_key_ok(*key))
    return reply(error_response(errc::invalid_parameter,
                                "a config key is 1-256 characters of "
                                "[A-Za-z0-9._:-]",
                                "key", version, keep_alive));
  const auto def_key = "config/" + *key;
  auto with_etag = [](http_response res, uint64_t v) {
    res.set(http::field::etag, etag(v));
    return res;
  };
  if (method == http::verb::get) {
    auto d = store_->get_definition(def_key);
    if (!d)
      return reply(error_response(d.error(), version, keep_alive));
    if (!*d)
      return reply(error_response(errc::not_found, "no such key: " + *key,
                                  "key", version, keep_alive));
    std::string body = R"({"key":)" + json(*key).dump() + R"(,"value":)" +
                       (*d)->value + R"(,"version":)" +
                       std::to_string((*d)->version) + "}";
    return reply(
        with_etag(json_response(200, std::move(body), version, keep_alive),
                  (*d)->version));
  }
  if (method != http::verb::put && method != http::verb::delete_)
    return reply(wrong_method(req, "a config key takes GET, PUT or DELETE"));
  auto expect = parse_precondition(req);
  if (!expect)
    return reply(error_response(expect.error(), version, keep_alive));
  // The event names the version the change makes, so the change is made
  // against the version read here: without If-Match a concurrent change of
  // the same key makes this one a 409 conflict instead of a silent overwrite.
  auto current = store_->get_definition(def_key);
  if (!current)
    return reply(error_response(current.error(), version, keep_alive));
  const uint64_t stored = *current ? (*current)->version : uint64_t{0};
  if (*expect == any_version_precondition) {
    if (stored == 0)
      return reply(error_response(errc::conflict, *key + " does not exist",
                                  "If-Match", version, keep_alive));
    *expect = stored;
  }
  const uint64_t base = expect->value_or(stored);
  // A refused If-None-Match names that header, not If-Match.
  const std::string precondition_header =
      req.find(http::field::if_none_match) != req.end() ? "If-None-Match"
                                                        : "If-Match";
  if (method == http::verb::delete_) {
    std::vector<v1::Event> evs;
    evs.push_back(runtime::make_system_event(
        "config-deleted", {{"id", *key}, {"version", base}, {"by", who.name}},
        runtime::now_unix_ns()));
    if (!expect->has_value() && !*current)
      return reply(error_response(errc::not_found, "no such key: " + *key,
                                  "key", version, keep_alive));
    return define(
        protocol::definition_change{def_key, std::nullopt, base}, std::move(evs),
        version, keep_alive, reply,
        [reply, version, keep_alive](uint64_t) {
          reply(no_content(version, keep_alive));
        },
        precondition_header);
  }
  auto value = json::parse(req.body(), nullptr, false);
  if (value.is_discarded())
    return reply(error_response(errc::invalid_json,
                                "a config value is a JSON document", "",
                                version, keep_alive));
  auto text = value.dump();
  std::vector<v1::Event> evs;
  evs.push_back(runtime::make_system_event(
      "config-updated", {{"id", *key}, {"version", base + 1}, {"by", who.name}},
      runtime::now_unix_ns()));
  define(
      protocol::definition_change{def_key, text, base}, std::move(evs), version,
      keep_alive, reply,
      [key = *key, text, reply, version, keep_alive, with_etag](uint64_t v) {
        std::string body = R"({"key":)" + json(key).dump() + R"(,"value":)" +
                           text + R"(,"version":)" + std::to_string(v) + "}";
        reply(with_etag(json_response(v == 1 ? 201 : 200, std::move(body),
                                      version, keep_alive),
                        v));
      },
      precondition_header);
}

} // namespace herald::heraldd

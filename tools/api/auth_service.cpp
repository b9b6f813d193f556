#include "tools/api/auth_service.hpp"

#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>

#include <caf/scoped_actor.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "runtime/errc.hpp"
#include "runtime/time_format.hpp"

namespace herald::api {

namespace {

using runtime::errc;
using runtime::make_api_error;
using json = nlohmann::json;

constexpr std::string_view user_prefix = "user/";
constexpr std::string_view token_prefix = "token/";
constexpr std::string_view admin_token_id = "admin";

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
         c == '-' || c == '@';
}

std::vector<std::string> strings_of(const json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string())
        out.push_back(v.get<std::string>());
  return out;
}

caf::error unauthorized(std::string message) {
  return make_api_error(errc::unauthorized, std::move(message));
}

/// A stored user / token definition back into a record.
caf::expected<user_record> decode_user(const std::string& name,
                                       const std::string& text,
                                       uint64_t version) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("password_hash") ||
      !j["password_hash"].is_string())
    return make_api_error(errc::internal,
                          "stored user " + name + " is malformed");
  user_record u;
  u.name = name;
  u.password_hash = j["password_hash"].get<std::string>();
  u.groups = strings_of(j.value("groups", json::array()));
  u.roles = strings_of(j.value("roles", json::array()));
  u.version = version;
  u.created_ns = j.value("created_ns", int64_t{0});
  u.tokens_after_s = j.value("tokens_after_s", int64_t{0});
  return u;
}

caf::expected<token_record> decode_token(const std::string& id,
                                         const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("digest") || !j["digest"].is_string())
    return make_api_error(errc::internal,
                          "stored token " + id + " is malformed");
  token_record t;
  t.id = id;
  t.name = j.value("name", id);
  t.digest = j["digest"].get<std::string>();
  t.groups = strings_of(j.value("groups", json::array()));
  t.roles = strings_of(j.value("roles", json::array()));
  t.created_ns = j.value("created_ns", int64_t{0});
  t.created_by = j.value("created_by", std::string{});
  return t;
}

} // namespace

auth_service::auth_service(std::string key, auth_options opts)
    : jwt_(std::move(key)), opts_(std::move(opts)) {}

caf::error auth_service::check_user_name(std::string_view name) {
  if (name.empty() || name.size() > 64 ||
      !std::all_of(name.begin(), name.end(), name_char))
    return make_api_error(errc::invalid_field,
                          "a user name is 1-64 characters of "
                          "[A-Za-z0-9._@-]",
                          "name");
  return caf::error{};
}

caf::error auth_service::check_roles(const json& roles,
                                     const std::string& field) {
  if (!roles.is_array() || roles.empty())
    return make_api_error(errc::invalid_field,
                          "roles is a non-empty array of admin, publisher, "
                          "reader",
                          field);
  for (size_t i = 0; i < roles.size(); ++i) {
    const auto& r = roles[i];
    if (!r.is_string() ||
        (r != role_admin && r != role_publisher && r != role_reader))
      return make_api_error(errc::invalid_field,
                            "a role is admin, publisher or reader",
                            field + "/" + std::to_string(i));
  }
  return caf::error{};
}

caf::error auth_service::check_groups(const json& groups,
                                      const std::string& field) {
  if (!groups.is_array())
    return make_api_error(errc::invalid_field, "groups is an array of names",
                          field);
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto& g = groups[i];
    if (!g.is_string() || g.get_ref<const std::string&>().empty() ||
        g.get_ref<const std::string&>().size() > 128)
      return make_api_error(errc::invalid_field,
                            "a group is a string of 1-128 characters",
                            field + "/" + std::to_string(i));
  }
  return caf::error{};
}

std::string auth_service::encode(const user_record& u) {
  return json{{"password_hash", u.password_hash},
              {"groups", u.groups},
              {"roles", u.roles},
              {"created_ns", u.created_ns},
              {"tokens_after_s", u.tokens_after_s}}
      .dump();
}

std::string auth_service::encode(const token_record& t) {
  return json{{"name", t.name},
              {"digest", t.digest},
              {"groups", t.groups},
              {"roles", t.roles},
              {"created_ns", t.created_ns},
              {"created_by", t.created_by}}
      .dump();
}

caf::expected<std::shared_ptr<auth_service>>
auth_service::open(const auth_options& opts) {
  auto key = opts.signing_key
                 ? caf::expected<std::string>{*opts.signing_key}
                 : runtime::auth::load_or_create_key(opts.data_dir / "jwt.key");
  if (!key)
    return std::move(key.error());
  std::shared_ptr<auth_service> self{new auth_service(std::move(*key), opts)};
  // Unknown users are checked against this hash so that a failed login
  // takes the same time whether or not the user exists.
  auto dummy = runtime::auth::hash_password(runtime::auth::random_token(16));
  if (!dummy)
    return std::move(dummy.error());
  self->dummy_hash_ = std::move(*dummy);
  return self;
}

std::vector<std::string> auth_service::prefixes() const {
  return {std::string{user_prefix}, std::string{token_prefix}};
}

caf::error auth_service::load(const std::vector<protocol::definition>& defs) {
  // Held throughout, the users file included (startup only).
  std::unique_lock guard{mtx_};
  {
    for (const auto& d : defs) {
      if (d.key.compare(0, user_prefix.size(), user_prefix) == 0) {
        auto name = d.key.substr(user_prefix.size());
        auto u = decode_user(name, d.value, d.version);
        if (!u)
          return std::move(u.error());
        users_[name] = std::move(*u);
      } else if (d.key.compare(0, token_prefix.size(), token_prefix) == 0) {
        auto id = d.key.substr(token_prefix.size());
        auto t = decode_token(id, d.value);
        if (!t)
          return std::move(t.error());
        token_by_digest_[t->digest] = id;
        tokens_[id] = std::move(*t);
      }
    }
  }
  if (opts_.users_file)
    return load_users_file(*opts_.users_file);
  return caf::error{};
}

caf::error auth_service::apply(const std::string& key,
                               const std::optional<protocol::definition>& now) {
  std::unique_lock guard{mtx_};
  if (key.compare(0, user_prefix.size(), user_prefix) == 0)
    return apply_user_locked(key.substr(user_prefix.size()), now);
  if (key.compare(0, token_prefix.size(), token_prefix) == 0)
    return apply_token_locked(key.substr(token_prefix.size()), now);
  return caf::error{};
}

caf::error auth_service::load_users_file(const std::filesystem::path& file) {
  std::ifstream in{file};
  if (!in)
    return make_api_error(errc::invalid_field,
                          "cannot read users file " + file.string(), "--users");
  std::stringstream text;
  text << in.rdbuf();
  auto j = json::parse(text.str(), nullptr, false);
  auto bad = [&](std::string what, std::string field) {
    return make_api_error(errc::invalid_field,
                          "users file " + file.string() + ": " + what, field);
  };
  if (j.is_discarded())
    return bad("not valid JSON", "");
  if (!j.is_object() || !j.contains("users") || !j["users"].is_array())
    return bad(R"(expected {"users":[...]})", "/users");
  for (size_t i = 0; i < j["users"].size(); ++i) {
    const auto& e = j["users"][i];
    const auto at = "/users/" + std::to_string(i);
    if (!e.is_object())
      return bad("an entry is an object", at);
    for (auto it = e.begin(); it != e.end(); ++it)
      if (it.key() != "name" && it.key() != "password" &&
          it.key() != "password_hash" && it.key() != "groups" &&
          it.key() != "roles")
        return bad("unknown member " + it.key(), at + "/" + it.key());
    if (!e.contains("name") || !e["name"].is_string())
      return bad("name is required", at + "/name");
    user_record u;
    u.name = e["name"].get<std::string>();
    if (check_user_name(u.name))
      return bad("bad user name " + u.name + " (1-64 of [A-Za-z0-9._@-])",
                 at + "/name");
    if (auto err = check_roles(e.value("roles", json{}), at + "/roles"))
      return bad(runtime::describe(err).message, runtime::describe(err).field);
    if (auto err =
            check_groups(e.value("groups", json::array()), at + "/groups"))
      return bad(runtime::describe(err).message, runtime::describe(err).field);
    if (e.contains("password_hash") == e.contains("password"))
      return bad("give exactly one of password and password_hash", at);
    if (e.contains("password_hash")) {
      if (!e["password_hash"].is_string() ||
          !runtime::auth::is_password_hash(
              e["password_hash"].get_ref<const std::string&>()))
        return bad("password_hash is not an argon2id hash",
                   at + "/password_hash");
      u.password_hash = e["password_hash"].get<std::string>();
    } else {
      if (!e["password"].is_string())
        return bad("password is a string", at + "/password");
      auto h = runtime::auth::hash_password(
          e["password"].get_ref<const std::string&>());
      if (!h)
        return bad(runtime::describe(h.error()).message, at + "/password");
      u.password_hash = std::move(*h);
    }
    u.groups = strings_of(e.value("groups", json::array()));
    u.roles = strings_of(e["roles"]);
    u.from_file = true;
    if (auto it = users_.find(u.name);
        it != users_.end() && !it->second.from_file)
      spdlog::warn("users file {} defines {}, which the API also defined: the "
                   "file's entry wins",
                   file.string(), u.name);
    else if (it != users_.end())
      return bad("user " + u.name + " is defined twice", at + "/name");
    users_[u.name] = std::move(u);
  }
  return caf::error{};
}

caf::error auth_service::ensure_admin_token(
    caf::actor_system& sys, const protocol::definitions_actor& definitions) {
  const auto file = opts_.data_dir / "admin.token";
  bool exists = false;
  {
    std::shared_lock guard{mtx_};
    exists = tokens_.count(std::string{admin_token_id}) > 0;
  }
  if (exists) {
    if (!std::filesystem::exists(file))
      spdlog::warn("{} is missing; the admin token stays valid (revoke it "
                   "with DELETE /api/v1/tokens/admin from another admin)",
                   file.string());
    return caf::error{};
  }
  const auto secret = runtime::auth::random_token(32);
  token_record t;
  t.id = std::string{admin_token_id};
  t.name = "admin";
  t.digest = runtime::auth::token_digest(secret);
  t.roles = {std::string{role_admin}};
  t.created_ns = runtime::now_unix_ns();
  t.created_by = "heraldd (first start)";
  // The secret file first: a crash between the two leaves a file whose
  // token does not work yet and is replaced on the next start.
  if (auto err = runtime::auth::write_secret_file(file, secret + "\n"))
    return err;
  // Through the definition actor, which applies it to this view.
  caf::error err;
  caf::scoped_actor self{sys};
  self->request(definitions, std::chrono::seconds{30}, protocol::define_atom_v,
                protocol::definition_change{std::string{token_prefix} + t.id,
                                            encode(t), uint64_t{0}},
                std::vector<v1::Event>{})
      .receive([](protocol::definition_result&) {},
               [&](caf::error& e) { err = std::move(e); });
  if (err)
    return err;
  created_admin_token_ = true;
  return caf::error{};
}

bool auth_service::predates(const runtime::auth::jwt_claims& claims,
                            const user_record& u) {
  // iat has whole seconds: a token of the same second as the creation is
  // given the benefit of the doubt. A password change is stricter
  // (tokens_after_s is the second after it), and login issues tokens of
  // that second from then on.
  return claims.issued_at < u.created_ns / 1'000'000'000 ||
         claims.issued_at < u.tokens_after_s;
}

std::optional<runtime::identity>
auth_service::principal(std::string_view name) const {
  std::shared_lock guard{mtx_};
  if (name.starts_with("token/")) {
    auto t = tokens_.find(std::string{name.substr(6)});
    if (t == tokens_.end())
      return std::nullopt;
    return runtime::identity{std::string{name}, t->second.groups,
                             t->second.roles};
  }
  auto u = users_.find(std::string{name});
  if (u == users_.end())
    return std::nullopt;
  return identity_of(u->second);
}

runtime::identity auth_service::identity_of(const user_record& u) {
  return runtime::identity{u.name, u.groups, u.roles};
}

caf::expected<auth_service::credential>
auth_service::resolve(std::string_view credential, int64_t now_s) const {
  if (credential.empty())
    return unauthorized("missing bearer token");
  if (credential.find('.') == std::string_view::npos) {
    // A service token: looked up by its digest.
    auto digest = runtime::auth::token_digest(credential);
    std::shared_lock guard{mtx_};
    auto i = token_by_digest_.find(digest);
    if (i == token_by_digest_.end())
      return unauthorized("unknown or revoked token");
    const auto& t = tokens_.at(i->second);
    return auth_service::credential{
        runtime::identity{"token/" + t.id, t.groups, t.roles}, 0};
  }
  auto claims = jwt_.verify(credential, now_s);
  if (!claims)
    return std::move(claims.error());
  std::shared_lock guard{mtx_};
  auto u = users_.find(claims->subject);
  if (u == users_.end())
    return unauthorized("the token's user no longer exists");
  if (predates(*claims, u->second))
    return unauthorized(u->second.tokens_after_s > claims->issued_at
                            ? "the token predates a password change"
                            : "the token's user no longer exists");
  return auth_service::credential{identity_of(u->second), claims->expires_at};
}

caf::expected<runtime::identity>
auth_service::authenticate(std::string_view credential, int64_t now_s) const {
  auto cred = resolve(credential, now_s);
  if (!cred)
    return std::move(cred.error());
  return std::move(cred->who);
}

caf::expected<auth_service::issued>
auth_service::login(std::string_view username, std::string_view password,
                    int64_t now_s) const {
  std::string hash;
  bool known = false;
  int64_t not_before = 0;
  {
    std::shared_lock guard{mtx_};
    auto u = users_.find(std::string{username});
    if (u != users_.end()) {
      hash = u->second.password_hash;
      not_before = u->second.tokens_after_s;
      known = true;
    }
  }
  const bool ok =
      runtime::auth::verify_password(known ? hash : dummy_hash_, password);
  if (!ok || !known)
    return unauthorized("invalid username or password");
  // In the second of a password change the token is dated the next second
  // (at most 1 s ahead), so the change's cut-off does not refuse it.
  const auto iat = std::max(now_s, not_before);
  return issued{jwt_.issue(std::string{username}, iat, opts_.token_ttl.count()),
                iat + opts_.token_ttl.count()};
}

caf::expected<auth_service::issued>
auth_service::renew(std::string_view credential, int64_t now_s,
                    std::string& subject) const {
  if (credential.empty())
    return unauthorized("missing bearer token");
  if (credential.find('.') == std::string_view::npos)
    return make_api_error(errc::forbidden,
                          "service tokens do not expire: nothing to renew");
  auto claims = jwt_.verify(credential, now_s);
  if (!claims)
    return std::move(claims.error());
  subject = claims->subject;
  int64_t not_before = 0;
  {
    std::shared_lock guard{mtx_};
    auto u = users_.find(claims->subject);
    if (u == users_.end() || predates(*claims, u->second))
      return unauthorized("the token's user no longer exists");
    not_before = u->second.tokens_after_s;
  }
  const auto iat = std::max(now_s, not_before);
  return issued{jwt_.issue(claims->subject, iat, opts_.token_ttl.count()),
                iat + opts_.token_ttl.count()};
}

std::optional<user_record> auth_service::user(std::string_view name) const {
  std::shared_lock guard{mtx_};
  auto u = users_.find(std::string{name});
  if (u == users_.end())
    return std::nullopt;
  return u->second;
}

bool auth_service::has_token(const std::string& id) const {
  std::shared_lock guard{mtx_};
  return tokens_.count(id) > 0;
}

std::vector<user_record> auth_service::users() const {
  std::vector<user_record> out;
  {
    std::shared_lock guard{mtx_};
    for (const auto& [name, u] : users_)
      out.push_back(u);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::vector<token_record> auth_service::tokens() const {
  std::vector<token_record> out;
  {
    std::shared_lock guard{mtx_};
    for (const auto& [id, t] : tokens_)
      out.push_back(t);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

caf::error auth_service::apply_user_locked(
    const std::string& name, const std::optional<protocol::definition>& now) {
  if (auto u = users_.find(name); u != users_.end() && u->second.from_file)
    return caf::error{}; // the file's entry wins
  if (!now) {
    users_.erase(name);
    return caf::error{};
  }
  // Fail closed: a user whose definition does not decode is dropped, so a
  // committed change never leaves old credentials working.
  auto u = decode_user(name, now->value, now->version);
  if (!u) {
    users_.erase(name);
    return std::move(u.error());
  }
  users_[name] = std::move(*u);
  return caf::error{};
}

caf::error auth_service::apply_token_locked(
    const std::string& id, const std::optional<protocol::definition>& now) {
  // Removed first: a change that does not decode leaves it revoked.
  if (auto old = tokens_.find(id); old != tokens_.end()) {
    token_by_digest_.erase(old->second.digest);
    tokens_.erase(old);
  }
  if (!now)
    return caf::error{};
  auto t = decode_token(id, now->value);
  if (!t)
    return std::move(t.error());
  token_by_digest_[t->digest] = id;
  tokens_[id] = std::move(*t);
  return caf::error{};
}

} // namespace herald::api

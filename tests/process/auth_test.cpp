// Access control (DESIGN §6 "Auth", seed 003): the admin token, 401 before
// routing, login / renew and their audit events, the failed-login limit,
// roles, service tokens, the users file, per-caller stream limits and
// access_token= on WebSocket upgrades, /metrics access.

#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>

#include "runtime/auth.hpp"
#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view login_path = "/api/v1/auth/login";
constexpr std::string_view renew_path = "/api/v1/auth/renew";
constexpr std::string_view stream_path = "/api/v1/events/stream";
constexpr std::string_view tokens_path = "/api/v1/tokens";

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The permission bits of `path` (all of them, so 0644 is not 0600).
std::filesystem::perms mode_of(const std::filesystem::path& path) {
  return std::filesystem::status(path).permissions() &
         std::filesystem::perms::mask;
}

constexpr auto mode_0600 =
    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// `r` is a 401 `unauthorized` error carrying `WWW-Authenticate: Bearer`.
::testing::AssertionResult is_unauthorized(const http_response& r) {
  auto base = is_api_error(r, 401, {"unauthorized"}, std::nullopt);
  if (!base)
    return base;
  if (!r.header("www-authenticate").starts_with("Bearer"))
    return ::testing::AssertionFailure()
           << "401 without WWW-Authenticate: Bearer (got \""
           << r.header("www-authenticate") << "\"): " << r.describe();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_forbidden(const http_response& r) {
  return is_api_error(r, 403, {"forbidden"}, std::nullopt);
}

/// The `error` object of a refused upgrade's body (null when not JSON).
json upgrade_error(const ws_upgrade& up) {
  auto body = json::parse(up.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object())
    return body["error"];
  return json();
}

/// The value of the sample `key` (as written, labels included) on a
/// Prometheus text page; nullopt when absent.
std::optional<double> sample(const std::string& page, const std::string& key) {
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(key + " "))
      return std::stod(line.substr(key.size() + 1));
  return std::nullopt;
}

constexpr const char* refused_unauthorized =
    R"(herald_http_auth_refused_total{code="unauthorized"})";
constexpr const char* refused_forbidden =
    R"(herald_http_auth_refused_total{code="forbidden"})";

class auth : public process_test {
protected:
  http_client anon() const { return as(""); }

  http_response login(const std::string& user,
                      const std::string& password) const {
    return anon().post_json(login_path,
                            {{"username", user}, {"password", password}});
  }

  /// A login JWT for `user`; records a failure (and returns "") on refusal.
  std::string login_token(const std::string& user,
                          const std::string& password) const {
    auto r = login(user, password);
    auto body = r.json();
    EXPECT_EQ(r.status, 200) << "login " << user << ": " << r.describe();
    if (r.status != 200 || !body.is_object() || !body.contains("token") ||
        !body["token"].is_string())
      return "";
    return body["token"].get<std::string>();
  }

  /// Creates a service token; its reply (with "token" and "id").
  json create_token(const json& body) {
    auto r = http().post_json(tokens_path, body);
    EXPECT_EQ(r.status, 201) << r.describe();
    auto j = r.json();
    if (r.status != 201 || !j.is_object() || !j.contains("token") ||
        !j.contains("id"))
      return json::object({{"token", ""}, {"id", ""}});
    return j;
  }

  /// Opens a stream as `token` (header); the upgrade result.
  ws_upgrade open_stream(ws_client& ws, const std::string& token,
                         const header_list& params = {}) {
    ws_connect_options o;
    o.bearer = token;
    return ws.connect(node().http_port(), with_query(stream_path, params), o);
  }

  std::vector<json> audit(const std::string& name) {
    return query_all(http(), {{"name", name}});
  }
};

// -- 1. the admin token -----------------------------------------------------

TEST_F(auth, first_start_writes_0600_admin_token_that_survives_a_restart) {
  const auto token_file = node().data_dir() / "admin.token";
  const auto key_file = node().data_dir() / "jwt.key";
  ASSERT_TRUE(std::filesystem::is_regular_file(token_file));
  ASSERT_TRUE(std::filesystem::is_regular_file(key_file));
  EXPECT_EQ(mode_of(token_file), mode_0600);
  EXPECT_EQ(mode_of(key_file), mode_0600);
  const std::string token = node().admin_token();
  ASSERT_GE(token.size(), 32u) << "admin token too short: '" << token << "'";
  const auto key_before = read_all(key_file);
  EXPECT_GE(key_before.size(), 32u);

  auto r = as(token).get(events_path);
  EXPECT_EQ(r.status, 200) << r.describe();
  // A login JWT issued before the restart must stay valid after it (the
  // signing key is kept).
  put_user("alice", "s3cret-pass", {"reader"});
  const auto jwt = login_token("alice", "s3cret-pass");
  ASSERT_FALSE(jwt.empty());

  ASSERT_EQ(node().stop(), 0);
  ASSERT_TRUE(node().restart());
  EXPECT_EQ(read_all(token_file), token + "\n")
      << "a restart must not replace the admin token";
  EXPECT_EQ(read_all(key_file), key_before)
      << "a restart must not replace the signing key";
  EXPECT_EQ(mode_of(token_file), mode_0600);
  EXPECT_EQ(mode_of(key_file), mode_0600);
  r = as(token).get(events_path);
  EXPECT_EQ(r.status, 200) << "the admin token after a restart: "
                           << r.describe();
  r = as(jwt).get(events_path);
  EXPECT_EQ(r.status, 200) << "a JWT after a restart: " << r.describe();
  // Only one admin token was ever created.
  auto tokens = as(token).get(tokens_path).json();
  ASSERT_TRUE(tokens.contains("tokens")) << tokens.dump();
  EXPECT_EQ(tokens["tokens"].size(), 1u) << tokens.dump();
}

// -- 2. no credential, a bad credential ---------------------------------------

TEST_F(auth, every_endpoint_but_health_refuses_a_missing_credential) {
  // Things an unauthenticated caller will try to change or delete.
  auto pre = http().put_json("/api/v1/config/pre", json{{"v", 1}});
  ASSERT_EQ(pre.status, 201) << pre.describe();
  put_user("victim", "pw-victim-123", {"reader"});
  publish_ok(http(), make_event("auth.before", {{"id", "before-1"}}));
  const auto trail_before = query_all(http());
  ASSERT_FALSE(trail_before.empty());

  struct call {
    std::string method;
    std::string target;
    std::string body;
  };
  const std::vector<call> calls = {
      {"POST", "/api/v1/events",
       make_event("auth.unauth", {{"id", "unauth-1"}}).dump()},
      {"GET", "/api/v1/events", ""},
      {"GET", "/api/v1/events?name=auth.before", ""},
      {"GET", "/api/v1/events/before-1", ""},
      {"GET", "/api/v1/events/stream", ""},
      {"GET", "/metrics", ""},
      {"GET", "/api/v1/sources", ""},
      {"GET", "/api/v1/sources/herald", ""},
      {"PUT", "/api/v1/sources/x", R"({"enabled":false})"},
      {"GET", "/api/v1/config", ""},
      {"GET", "/api/v1/config/pre", ""},
      {"PUT", "/api/v1/config/x", R"({"v":2})"},
      {"DELETE", "/api/v1/config/pre", ""},
      {"GET", "/api/v1/users", ""},
      {"GET", "/api/v1/users/victim", ""},
      {"PUT", "/api/v1/users/mallory",
       R"({"password":"pw-mallory-1","roles":["admin"]})"},
      {"DELETE", "/api/v1/users/victim", ""},
      {"GET", "/api/v1/tokens", ""},
      {"POST", "/api/v1/tokens", R"({"name":"evil","roles":["admin"]})"},
      {"DELETE", "/api/v1/tokens/admin", ""},
      {"GET", "/api/v1/events/query", ""},
      {"GET", "/api/v1/events/query/", ""},
      {"GET", "/api/v1/events/query/inventory/test", ""},
      {"POST", "/internal/create-event",
       R"({"id":"unauth-004","inventory_project":"test","timestamp":12343434343434,"type":"CREATE_INVENTORY_PROJECT","username":"user"})"},
      {"GET", "/nope", ""},
      {"GET", "/api/v1/nope", ""},
      {"POST", "/api/v1/nope", "{}"},
  };
  const header_list json_type = {{"Content-Type", "application/json"}};
  for (const auto& c : calls) {
    auto r = anon().request(c.method, c.target, c.body, json_type);
    EXPECT_TRUE(is_unauthorized(r)) << c.method << " " << c.target;
  }

  // The stream upgrade is refused with an HTTP 401 before the upgrade.
  ws_client ws;
  auto up = open_stream(ws, "");
  EXPECT_FALSE(up.upgraded) << up.describe();
  EXPECT_EQ(up.status, 401) << up.describe();
  EXPECT_EQ(upgrade_error(up).value("code", ""), "unauthorized")
      << up.describe();
  // An upgrade of a path that is no stream: 401 too, not 404.
  ws_client other;
  auto probe = other.connect(node().http_port(), "/api/v1/no-such-socket");
  EXPECT_EQ(probe.status, 401) << probe.describe();
  // The same upgrade as a raw request shows the refusal's headers.
  auto raw =
      anon().request("GET", stream_path, "",
                     {{"Connection", "Upgrade"},
                      {"Upgrade", "websocket"},
                      {"Sec-WebSocket-Version", "13"},
                      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
  EXPECT_TRUE(is_unauthorized(raw)) << "raw upgrade";

  // Nothing changed: the trail is as it was (no event stored, no
  // definition changed: every change would have left an event), the
  // pre-existing definitions are there, the admin token still works.
  const auto trail_after = query_all(http());
  EXPECT_EQ(pluck(trail_after, "id"), pluck(trail_before, "id"));
  for (const auto* id : {"unauth-1", "unauth-004"}) {
    auto r = http().get(std::string{events_path} + "/" + id);
    EXPECT_TRUE(is_api_error(r, 404, {"not_found"}, std::nullopt)) << id;
  }
  EXPECT_EQ(http().get("/api/v1/config/pre").status, 200);
  EXPECT_TRUE(is_api_error(http().get("/api/v1/config/x"), 404, {"not_found"},
                           std::nullopt));
  EXPECT_EQ(http().get("/api/v1/users/victim").status, 200);
  EXPECT_TRUE(is_api_error(http().get("/api/v1/users/mallory"), 404,
                           {"not_found"}, std::nullopt));
  auto tokens = http().get(tokens_path).json();
  ASSERT_TRUE(tokens.contains("tokens")) << tokens.dump();
  EXPECT_EQ(tokens["tokens"].size(), 1u) << tokens.dump();
}

TEST_F(auth, health_probes_answer_without_a_credential) {
  for (const auto* path : {"/healthz", "/readyz"}) {
    auto r = anon().get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.describe();
  }
}

TEST_F(auth, garbage_basic_and_foreign_key_credentials_are_unauthorized) {
  put_user("alice", "s3cret-pass", {"reader", "publisher"});
  const auto now = unix_now_s();
  // A well-formed JWT for an existing user, signed with another key.
  const runtime::auth::jwt_codec foreign{std::string(32, 'k')};
  const auto forged = foreign.issue("alice", now, 3600);
  ASSERT_FALSE(forged.empty());
  // The control: the same claims signed with the node's own key work, so
  // the forged one fails for its signature only.
  const runtime::auth::jwt_codec own{read_all(node().data_dir() / "jwt.key")};
  const auto genuine = own.issue("alice", now, 3600);
  ASSERT_EQ(
      anon().get(events_path, {{"Authorization", "Bearer " + genuine}}).status,
      200);

  const std::vector<std::pair<std::string, std::string>> credentials = {
      {"garbage bearer", "Bearer garbage"},
      {"dotted garbage bearer", "Bearer a.b.c"},
      {"empty bearer", "Bearer "},
      {"Basic", "Basic YWRtaW46czNjcmV0LXBhc3M="},
      {"Basic with the admin token", "Basic " + node().admin_token()},
      {"admin token without a scheme", node().admin_token()},
      {"JWT signed with another key", "Bearer " + forged},
  };
  for (const auto& [what, value] : credentials) {
    auto r = anon().get(events_path, {{"Authorization", value}});
    EXPECT_TRUE(is_unauthorized(r)) << what << " reading";
    auto p = anon().post_json(events_path,
                              make_event("auth.bad.cred", {{"id", "bad-cred"}}),
                              {{"Authorization", value}});
    EXPECT_TRUE(is_unauthorized(p)) << what << " publishing";
  }
  ws_client ws;
  auto up = open_stream(ws, forged);
  EXPECT_FALSE(up.upgraded);
  EXPECT_EQ(up.status, 401) << up.describe();
  EXPECT_TRUE(is_api_error(http().get(std::string{events_path} + "/bad-cred"),
                           404, {"not_found"}, std::nullopt));
}

// -- 3. login ----------------------------------------------------------------

// What a client needs to offer only what a credential may do: its name,
// roles, groups and kind (and a login token's expiry); no credential, 401.
TEST_F(auth, me_says_who_a_credential_is) {
  put_user("carol", "carol-pass-123", {"reader", "publisher"}, {"ops"});
  const auto jwt = login_token("carol", "carol-pass-123");
  ASSERT_FALSE(jwt.empty());
  auto me = as(jwt).get("/api/v1/auth/me");
  ASSERT_EQ(me.status, 200) << me.describe();
  auto body = me.json();
  EXPECT_EQ(body["name"], "carol");
  EXPECT_EQ(body["roles"], json({"reader", "publisher"}));
  EXPECT_EQ(body["groups"], json({"ops"}));
  EXPECT_EQ(body["kind"], "login");
  EXPECT_TRUE(body["exp"].is_number_integer()) << me.describe();
  auto admin = http().get("/api/v1/auth/me").json();
  EXPECT_EQ(admin["kind"], "token");
  EXPECT_EQ(admin["roles"], json({"admin"}));
  EXPECT_FALSE(admin.contains("exp"));
  EXPECT_EQ(anon().get("/api/v1/auth/me").status, 401);
}

TEST_F(auth, login_issues_a_jwt_and_records_auth_ok) {
  put_user("alice", "s3cret-pass", {"reader"}, {"a"});
  const auto before = unix_now_s();
  auto r = login("alice", "s3cret-pass");
  ASSERT_EQ(r.status, 200) << r.describe();
  auto body = r.json();
  ASSERT_TRUE(body.is_object()) << r.describe();
  ASSERT_TRUE(body.contains("token") && body["token"].is_string())
      << r.describe();
  EXPECT_EQ(body.value("token_type", ""), "Bearer");
  ASSERT_TRUE(body.contains("exp") && body["exp"].is_number_integer())
      << r.describe();
  const auto exp = body["exp"].get<int64_t>();
  // The default --token-ttl is 3600 s.
  EXPECT_GE(exp, before + 3600 - 5);
  EXPECT_LE(exp, unix_now_s() + 3600 + 5);
  const auto token = body["token"].get<std::string>();

  auto read = as(token).get(events_path);
  EXPECT_EQ(read.status, 200) << read.describe();

  auto ok = audit("auth.ok");
  ASSERT_EQ(ok.size(), 1u) << json(ok).dump();
  EXPECT_EQ(ok[0].value("kind", ""), "sys");
  EXPECT_EQ(ok[0].value("source", ""), "herald");
  EXPECT_EQ(ok[0].value("data", json()),
            (json{{"username", "alice"}, {"ip", "127.0.0.1"}, {"exp", exp}}))
      << ok[0].dump();
  EXPECT_EQ(ok[0].value("allowed_groups", json()), json::array({"admin"}))
      << ok[0].dump();
  // Audit events about access are for admins only: alice cannot see hers.
  auto as_alice = query_all(as(token), {{"name", "auth.ok"}});
  EXPECT_TRUE(as_alice.empty()) << json(as_alice).dump();
}

TEST_F(auth, failed_logins_are_401_auth_error_and_do_not_enumerate_users) {
  put_user("alice", "s3cret-pass", {"reader"});
  auto wrong = login("alice", "wrong-pass");
  EXPECT_TRUE(is_unauthorized(wrong));
  EXPECT_FALSE(wrong.json().contains("token")) << wrong.describe();

  auto errors = audit("auth.error");
  ASSERT_EQ(errors.size(), 1u) << json(errors).dump();
  EXPECT_EQ(errors[0].value("kind", ""), "sys");
  EXPECT_EQ(errors[0].value("source", ""), "herald");
  auto data = errors[0].value("data", json());
  ASSERT_TRUE(data.is_object()) << errors[0].dump();
  EXPECT_EQ(data.size(), 3u) << data.dump();
  EXPECT_EQ(data.value("username", ""), "alice");
  EXPECT_EQ(data.value("ip", ""), "127.0.0.1");
  ASSERT_TRUE(data.contains("reason") && data["reason"].is_string())
      << data.dump();
  EXPECT_FALSE(data["reason"].get<std::string>().empty());
  EXPECT_TRUE(audit("auth.ok").empty());

  auto unknown = login("nobody", "wrong-pass");
  EXPECT_TRUE(is_unauthorized(unknown));
  EXPECT_EQ(api_error(unknown), api_error(wrong))
      << "an unknown user must look exactly like a wrong password";
  errors = audit("auth.error");
  ASSERT_EQ(errors.size(), 2u) << json(errors).dump();
  EXPECT_EQ(errors[1]["data"].value("username", ""), "nobody");
  EXPECT_EQ(errors[1]["data"].value("reason", ""),
            errors[0]["data"].value("reason", ""));
}

// -- 4. renew ----------------------------------------------------------------

TEST_F(auth, renew_issues_a_new_jwt_and_records_auth_renew) {
  put_user("alice", "s3cret-pass", {"reader"});
  auto first = login("alice", "s3cret-pass").json();
  ASSERT_TRUE(first.contains("token")) << first.dump();
  const auto old_token = first["token"].get<std::string>();
  const auto old_exp = first["exp"].get<int64_t>();

  auto r = as(old_token).request("POST", renew_path);
  ASSERT_EQ(r.status, 200) << r.describe();
  auto body = r.json();
  ASSERT_TRUE(body.contains("token") && body["token"].is_string())
      << r.describe();
  ASSERT_TRUE(body.contains("exp") && body["exp"].is_number_integer())
      << r.describe();
  EXPECT_EQ(body.value("token_type", ""), "Bearer");
  const auto token = body["token"].get<std::string>();
  const auto exp = body["exp"].get<int64_t>();
  EXPECT_NE(token, old_token);
  EXPECT_GE(exp, old_exp);
  EXPECT_EQ(as(token).get(events_path).status, 200);

  auto renews = audit("auth.renew");
  ASSERT_EQ(renews.size(), 1u) << json(renews).dump();
  EXPECT_EQ(renews[0].value("kind", ""), "sys");
  EXPECT_EQ(renews[0].value("source", ""), "herald");
  EXPECT_EQ(renews[0].value("data", json()),
            (json{{"username", "alice"}, {"ip", "127.0.0.1"}, {"exp", exp}}))
      << renews[0].dump();
  EXPECT_EQ(renews[0].value("allowed_groups", json()), json::array({"admin"}));
}

TEST_F(auth, renew_without_a_token_is_401_and_with_a_service_token_403) {
  auto r = anon().request("POST", renew_path);
  EXPECT_TRUE(is_unauthorized(r));
  auto errors = audit("auth.error");
  ASSERT_EQ(errors.size(), 1u) << json(errors).dump();
  auto data = errors[0].value("data", json());
  EXPECT_EQ(data.value("ip", ""), "127.0.0.1") << data.dump();
  EXPECT_TRUE(data.contains("username")) << data.dump();
  EXPECT_FALSE(data.value("reason", "").empty()) << data.dump();

  auto svc = create_token({{"name", "billing-svc"}});
  auto s = as(svc["token"].get<std::string>()).request("POST", renew_path);
  EXPECT_TRUE(is_forbidden(s));
  EXPECT_FALSE(s.json().contains("token")) << s.describe();
  // The admin token is a service token too.
  EXPECT_TRUE(is_forbidden(http().request("POST", renew_path)));
  EXPECT_TRUE(audit("auth.renew").empty());
}

// -- 5. failed-login limit
// -----------------------------------------------------

TEST_F(auth, sixth_login_after_five_failures_is_429_for_that_user_only) {
  put_user("alice", "s3cret-pass", {"reader"});
  put_user("bob", "bob-pass-123", {"reader"});
  for (int i = 0; i < 5; ++i) {
    auto r = login("alice", "wrong-" + std::to_string(i));
    EXPECT_TRUE(is_unauthorized(r)) << "attempt " << i + 1;
  }
  auto blocked = login("alice", "s3cret-pass");
  EXPECT_TRUE(is_api_error(blocked, 429, {"too_many_requests"}, std::nullopt));
  EXPECT_FALSE(blocked.json().contains("token")) << blocked.describe();
  const auto retry = blocked.header("retry-after");
  ASSERT_FALSE(retry.empty()) << "429 without Retry-After";
  int seconds = -1;
  EXPECT_NO_THROW(seconds = std::stoi(retry)) << retry;
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 60);
  EXPECT_TRUE(audit("auth.ok").empty());

  // Another user from the same address is not affected.
  EXPECT_FALSE(login_token("bob", "bob-pass-123").empty());
}

// -- 6. roles, service tokens, revocation
// --------------------------------------

TEST_F(auth, a_reader_cannot_publish_or_change_definitions) {
  put_user("alice", "s3cret-pass", {"reader"});
  const auto alice = as(login_token("alice", "s3cret-pass"));
  EXPECT_EQ(alice.get(events_path).status, 200);
  EXPECT_EQ(alice.get("/api/v1/sources").status, 200);

  auto p = alice.post_json(events_path,
                           make_event("auth.reader.pub", {{"id", "reader-1"}}));
  EXPECT_TRUE(is_forbidden(p));
  auto c = alice.post_json(
      "/internal/create-event",
      json{{"id", "reader-004"}, {"type", "ADD_BUILD"}, {"username", "u"}});
  EXPECT_TRUE(is_forbidden(c));
  for (const auto* id : {"reader-1", "reader-004"})
    EXPECT_TRUE(is_api_error(http().get(std::string{events_path} + "/" + id),
                             404, {"not_found"}, std::nullopt))
        << id << " was stored";

  EXPECT_TRUE(is_forbidden(alice.put_json("/api/v1/config/x", {{"v", 1}})));
  EXPECT_TRUE(is_forbidden(alice.put_json(
      "/api/v1/users/x", {{"password", "pw-x-12345"}, {"roles", {"admin"}}})));
  EXPECT_TRUE(is_forbidden(
      alice.put_json("/api/v1/users/alice", {{"roles", {"admin"}}})))
      << "a user cannot promote itself";
  EXPECT_TRUE(is_forbidden(alice.post_json(tokens_path, {{"name", "mine"}})));
  EXPECT_TRUE(is_forbidden(alice.get(tokens_path)));
  EXPECT_TRUE(is_forbidden(alice.get("/api/v1/users")));
  EXPECT_TRUE(
      is_forbidden(alice.put_json("/api/v1/sources/x", {{"enabled", false}})));

  EXPECT_TRUE(is_api_error(http().get("/api/v1/config/x"), 404, {"not_found"},
                           std::nullopt));
  EXPECT_TRUE(is_api_error(http().get("/api/v1/users/x"), 404, {"not_found"},
                           std::nullopt));
  auto tokens = http().get(tokens_path).json();
  EXPECT_EQ(tokens.value("tokens", json::array()).size(), 1u) << tokens.dump();
  EXPECT_EQ(http().get("/api/v1/users/alice").json().value("roles", json()),
            json::array({"reader"}));
}

TEST_F(auth, a_service_token_publishes_but_cannot_read_or_define) {
  auto created = create_token({{"name", "billing-svc"}});
  ASSERT_TRUE(created["token"].is_string());
  const auto secret = created["token"].get<std::string>();
  const auto id = created["id"].get<std::string>();
  ASSERT_FALSE(secret.empty());
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(created.value("roles", json()), json::array({"publisher"}));
  EXPECT_EQ(created.value("name", ""), "billing-svc");
  const auto svc = as(secret);

  auto p =
      svc.post_json(events_path, make_event("billing.paid", {{"id", "svc-1"}}));
  EXPECT_EQ(p.status, 200) << p.describe();
  EXPECT_EQ(http().get(std::string{events_path} + "/svc-1").status, 200);

  EXPECT_TRUE(is_forbidden(svc.get(events_path)));
  EXPECT_TRUE(is_forbidden(svc.get(std::string{events_path} + "/svc-1")));
  EXPECT_TRUE(is_forbidden(svc.put_json("/api/v1/config/x", {{"v", 1}})));
  EXPECT_TRUE(is_forbidden(
      svc.put_json("/api/v1/users/bob",
                   {{"password", "pw-bob-12345"}, {"roles", {"admin"}}})));
  EXPECT_TRUE(is_forbidden(svc.post_json(tokens_path, {{"name", "more"}})));
  ws_client ws;
  auto up = open_stream(ws, secret);
  EXPECT_FALSE(up.upgraded);
  EXPECT_EQ(up.status, 403) << up.describe();
  EXPECT_TRUE(is_api_error(http().get("/api/v1/users/bob"), 404, {"not_found"},
                           std::nullopt));

  // Listed for admins, without its secret.
  auto list = http().get(tokens_path);
  ASSERT_EQ(list.status, 200) << list.describe();
  EXPECT_THAT(list.body, ::testing::Not(HasSubstr(secret)));
  bool found = false;
  for (const auto& t : list.json().value("tokens", json::array())) {
    EXPECT_FALSE(t.contains("token")) << t.dump();
    if (t.value("id", "") == id) {
      found = true;
      EXPECT_EQ(t.value("name", ""), "billing-svc");
      EXPECT_EQ(t.value("roles", json()), json::array({"publisher"}));
    }
  }
  EXPECT_TRUE(found) << list.describe();
  auto created_events = audit("auth.token.created");
  ASSERT_EQ(created_events.size(), 1u);
  EXPECT_THAT(created_events[0].dump(), ::testing::Not(HasSubstr(secret)));
  EXPECT_EQ(created_events[0].value("allowed_groups", json()),
            json::array({"admin"}));
}

TEST_F(auth, a_revoked_token_and_a_deleted_users_jwt_are_unauthorized) {
  auto created = create_token({{"name", "billing-svc"}});
  const auto svc = as(created["token"].get<std::string>());
  const auto id = created["id"].get<std::string>();
  ASSERT_EQ(svc.post_json(events_path, make_event("billing.a")).status, 200);

  auto del = http().request("DELETE", std::string{tokens_path} + "/" + id);
  EXPECT_EQ(del.status, 204) << del.describe();
  EXPECT_TRUE(is_unauthorized(svc.post_json(
      events_path, make_event("billing.b", {{"id", "after-revoke"}}))));
  EXPECT_TRUE(
      is_api_error(http().get(std::string{events_path} + "/after-revoke"), 404,
                   {"not_found"}, std::nullopt));
  EXPECT_EQ(audit("auth.token.revoked").size(), 1u);
  for (const auto& t :
       http().get(tokens_path).json().value("tokens", json::array()))
    EXPECT_NE(t.value("id", ""), id) << "revoked token still listed";

  put_user("dave", "pw-dave-123", {"reader"});
  const auto dave = as(login_token("dave", "pw-dave-123"));
  ASSERT_EQ(dave.get(events_path).status, 200);
  del = http().request("DELETE", "/api/v1/users/dave");
  EXPECT_EQ(del.status, 204) << del.describe();
  EXPECT_TRUE(is_unauthorized(dave.get(events_path)));
  EXPECT_TRUE(is_unauthorized(dave.request("POST", renew_path)));
  EXPECT_EQ(audit("auth.user.deleted").size(), 1u);
  // The admin token is not affected by either.
  EXPECT_EQ(http().get(events_path).status, 200);
}

TEST_F(auth, a_recreated_user_does_not_inherit_the_old_users_tokens) {
  put_user("erin", "pw-erin-123", {"reader"});
  auto reply = login("erin", "pw-erin-123");
  ASSERT_EQ(reply.status, 200) << reply.describe();
  const auto old = as(reply.json().value("token", ""));
  const auto issued_s = reply.json().value("exp", int64_t{0}) - 3600;
  ASSERT_EQ(old.get(events_path).status, 200);
  ASSERT_EQ(http().request("DELETE", "/api/v1/users/erin").status, 204);
  // Tokens carry whole seconds: re-create erin in a later second than the
  // old token's (a bounded wait on the wall clock, not a pause for work).
  ASSERT_TRUE(wait_for([&] { return std::time(nullptr) > issued_s; }, 3s));
  put_user("erin", "pw-erin-456", {"reader"});
  EXPECT_TRUE(is_unauthorized(old.get(events_path)));
  EXPECT_TRUE(is_unauthorized(old.request("POST", renew_path)));
  const auto fresh = as(login_token("erin", "pw-erin-456"));
  EXPECT_EQ(fresh.get(events_path).status, 200);
  // Changing the user (not re-creating it) keeps its tokens valid.
  auto r = http().put_json("/api/v1/users/erin",
                           {{"roles", {"reader"}}, {"groups", {"g2"}}});
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(fresh.get(events_path).status, 200);
}

// -- 7. the users file
// -----------------------------------------------------------

class auth_users_file : public ::testing::Test {};

TEST_F(auth_users_file, file_users_log_in_and_are_read_only_through_the_api) {
  heraldd_process node;
  auto file = node.write_file("users.json", R"({"users":[
    {"name":"carol","password":"pw-carol-123","groups":["g1"],
     "roles":["reader","publisher"]}]})");
  node.options().extra_args = {"--users", file.string()};
  ASSERT_TRUE(node.start());
  auto admin = node.http();
  http_client anon(node.http_port());
  auto r = anon.post_json(
      login_path, {{"username", "carol"}, {"password", "pw-carol-123"}});
  ASSERT_EQ(r.status, 200) << r.describe();
  http_client carol(node.http_port());
  carol.set_bearer_token(r.json().value("token", ""));
  EXPECT_EQ(carol.get(events_path).status, 200);
  auto p =
      carol.post_json(events_path, make_event("carol.did", {{"id", "c1"}}));
  EXPECT_EQ(p.status, 200) << p.describe();
  EXPECT_TRUE(is_forbidden(carol.put_json("/api/v1/config/x", {{"v", 1}})));

  auto listed = admin.get("/api/v1/users/carol");
  ASSERT_EQ(listed.status, 200) << listed.describe();
  EXPECT_EQ(listed.json().value("groups", json()), json::array({"g1"}));
  EXPECT_EQ(listed.json().value("roles", json()),
            json::array({"reader", "publisher"}));
  EXPECT_THAT(listed.body, ::testing::Not(HasSubstr("pw-carol-123")));

  auto put = admin.put_json("/api/v1/users/carol", {{"password", "changed-123"},
                                                    {"roles", {"admin"}}});
  EXPECT_TRUE(is_api_error(put, 409, {"conflict"}, std::nullopt));
  auto del = admin.request("DELETE", "/api/v1/users/carol");
  EXPECT_TRUE(is_api_error(del, 409, {"conflict"}, std::nullopt));
  // Neither changed anything.
  r = anon.post_json(login_path,
                     {{"username", "carol"}, {"password", "pw-carol-123"}});
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_TRUE(query_all(admin, {{"name", "auth.user.updated"}}).empty());
  EXPECT_TRUE(query_all(admin, {{"name", "auth.user.deleted"}}).empty());
  EXPECT_EQ(node.stop(), 0);
}

/// Starts heraldd on a users file holding `users_json`; expects exit 2 with
/// every one of `mentions` on stderr.
void expect_bad_users_file(const std::string& users_json,
                           const std::vector<std::string>& mentions) {
  heraldd_process node;
  auto file = node.write_file("users.json", users_json);
  node.options().extra_args = {"--users", file.string()};
  EXPECT_FALSE(node.start()) << "heraldd started with a bad users file";
  int status = node.wait_exit(10s);
  EXPECT_EQ(status, 2) << node.output();
  const auto err = read_all(node.work_dir() / "heraldd.stderr");
  EXPECT_THAT(err, HasSubstr(file.string())) << "the error names the file";
  for (const auto& m : mentions)
    EXPECT_THAT(err, HasSubstr(m));
  EXPECT_FALSE(std::filesystem::exists(node.data_dir() / "ports.json"))
      << "it must not have served";
}

TEST_F(auth_users_file, an_unknown_role_exits_2_naming_it) {
  expect_bad_users_file(
      R"({"users":[{"name":"carol","password":"pw-carol-123","roles":["reader"]},
                   {"name":"eve","password":"pw-eve-12345","roles":["reader","superuser"]}]})",
      {"role", "/users/1/roles/1"});
}

TEST_F(auth_users_file, an_unknown_member_exits_2_naming_it) {
  expect_bad_users_file(
      R"({"users":[{"name":"carol","password":"pw-carol-123","roles":["reader"],"colour":"red"}]})",
      {"unknown member colour"});
}

// -- short lifetimes: token expiry, silent stream clients
// ----------------------

class auth_short_lived : public auth {
protected:
  std::vector<std::string> node_args() const override {
    return {"--token-ttl", "1", "--stream-idle-timeout", "2"};
  }

  /// The value of an unlabelled sample on /metrics, -1 when absent.
  double sample(const std::string& name) {
    auto body = http().get("/metrics").body;
    auto at = body.find("\n" + name + " ");
    return at == std::string::npos
               ? -1
               : std::strtod(body.c_str() + at + name.size() + 2, nullptr);
  }
};

TEST_F(auth_short_lived, an_expired_login_token_is_refused_and_not_renewed) {
  put_user("alice", "s3cret-pass", {"reader"});
  const auto token = login_token("alice", "s3cret-pass");
  ASSERT_FALSE(token.empty());
  // exp = iat + 1 s (whole seconds): the token stops working within a
  // bounded wait, and then says why.
  ASSERT_TRUE(wait_for(
      [&] { return as(token).get("/api/v1/events?limit=1").status == 401; },
      10s));
  auto r = as(token).get("/api/v1/events?limit=1");
  EXPECT_TRUE(is_api_error(r, 401, {"unauthorized"}, std::nullopt));
  EXPECT_THAT(api_error(r).value("message", ""), HasSubstr("expired"));
  auto renew = as(token).post(renew_path, "");
  EXPECT_TRUE(is_api_error(renew, 401, {"unauthorized"}, std::nullopt))
      << renew.describe();
  // A fresh login works again.
  EXPECT_FALSE(login_token("alice", "s3cret-pass").empty());
}

TEST_F(auth_short_lived, a_stream_client_that_answers_no_ping_is_dropped) {
  ws_client silent; // never read: it answers none of the node's pings
  ASSERT_TRUE(open_stream(silent, node().admin_token()).upgraded);
  ASSERT_TRUE(
      wait_for([&] { return sample("herald_streams_open") == 1; }, 10s));
  // --stream-idle-timeout 2: a ping after 1 s, dropped after 2 s of silence.
  EXPECT_TRUE(
      wait_for([&] { return sample("herald_streams_open") == 0; }, 15s));
}

// -- 8. streams: per-caller limit, access_token=
// ---------------------------------

class auth_stream_limit : public auth {
protected:
  std::vector<std::string> node_args() const override {
    return {"--max-streams-per-caller", "2"};
  }
};

TEST_F(auth_stream_limit, a_third_stream_of_one_caller_is_429) {
  put_user("alice", "s3cret-pass", {"reader"});
  const auto alice = login_token("alice", "s3cret-pass");
  const auto admin = node().admin_token();

  auto first = std::make_unique<ws_client>();
  auto second = std::make_unique<ws_client>();
  ASSERT_TRUE(open_stream(*first, admin).upgraded);
  ASSERT_TRUE(open_stream(*second, admin).upgraded);
  ws_client third;
  auto up = open_stream(third, admin);
  EXPECT_FALSE(up.upgraded);
  EXPECT_EQ(up.status, 429) << up.describe();
  EXPECT_EQ(upgrade_error(up).value("code", ""), "too_many_requests")
      << up.describe();

  // Another caller is counted on its own.
  ws_client other;
  auto other_up = open_stream(other, alice);
  EXPECT_TRUE(other_up.upgraded) << other_up.describe();

  // Once one of the first two is closed, the caller may open one again.
  first->close();
  first.reset();
  std::unique_ptr<ws_client> again;
  ws_upgrade last;
  EXPECT_TRUE(wait_for(
      [&] {
        auto ws = std::make_unique<ws_client>();
        last = open_stream(*ws, admin);
        if (!last.upgraded)
          return false;
        again = std::move(ws);
        return true;
      },
      10s))
      << "still refused after a stream closed: " << last.describe();
  // And the limit holds again at two.
  ws_client fourth;
  EXPECT_EQ(open_stream(fourth, admin).status, 429);
}

TEST_F(auth, access_token_parameter_works_on_upgrades_only) {
  put_user("alice", "s3cret-pass", {"reader"});
  const auto alice = login_token("alice", "s3cret-pass");
  ASSERT_FALSE(alice.empty());

  ws_client ws;
  auto up = open_stream(ws, "", {{"access_token", alice}, {"from_seq", "1"}});
  ASSERT_TRUE(up.upgraded) << up.describe();
  auto frame = ws.read_json(5s);
  ASSERT_TRUE(frame.has_value()) << ws.error();
  EXPECT_EQ(frame->value("name", ""), "server.ready") << frame->dump();

  ws_client bad;
  auto bad_up = open_stream(bad, "", {{"access_token", "garbage"}});
  EXPECT_FALSE(bad_up.upgraded);
  EXPECT_EQ(bad_up.status, 401) << bad_up.describe();

  // On a plain request it is not a credential, and an unknown parameter.
  auto with_header =
      http().get(with_query(events_path, {{"access_token", alice}}));
  EXPECT_TRUE(is_api_error(with_header, 400, {"invalid_parameter"},
                           std::string_view{"access_token"}));
  auto without_header =
      anon().get(with_query(events_path, {{"access_token", alice}}));
  EXPECT_TRUE(is_unauthorized(without_header));
}

// -- 9. /metrics
// -----------------------------------------------------------------

TEST_F(auth, metrics_needs_the_reader_role_and_counts_refusals) {
  put_user("alice", "s3cret-pass", {"reader"});
  const auto reader = as(login_token("alice", "s3cret-pass"));
  auto created = create_token({{"name", "billing-svc"}});
  const auto publisher = as(created["token"].get<std::string>());

  auto page0 = http().get("/metrics");
  ASSERT_EQ(page0.status, 200) << page0.describe();
  const auto unauthorized0 = sample(page0.body, refused_unauthorized);
  const auto forbidden0 = sample(page0.body, refused_forbidden);
  ASSERT_TRUE(unauthorized0.has_value()) << page0.body;
  ASSERT_TRUE(forbidden0.has_value()) << page0.body;

  auto r = reader.get("/metrics");
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_THAT(r.body, HasSubstr("herald_http_auth_refused_total"));
  EXPECT_TRUE(is_forbidden(publisher.get("/metrics")));
  EXPECT_TRUE(is_unauthorized(anon().get("/metrics")));

  auto page = http().get("/metrics");
  ASSERT_EQ(page.status, 200) << page.describe();
  const auto unauthorized = sample(page.body, refused_unauthorized);
  const auto forbidden = sample(page.body, refused_forbidden);
  ASSERT_TRUE(unauthorized.has_value()) << page.body;
  ASSERT_TRUE(forbidden.has_value()) << page.body;
  EXPECT_GT(*unauthorized, 0);
  EXPECT_GE(*unauthorized, *unauthorized0 + 1);
  EXPECT_GE(*forbidden, *forbidden0 + 1);
}

} // namespace
} // namespace herald::test

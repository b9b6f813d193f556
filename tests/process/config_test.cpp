// Config values (DESIGN §7 "Config"): versioned JSON documents under
// /api/v1/config/{key}, admin-only, with ETags and If-Match /
// If-None-Match: * preconditions. Every change is stored with one
// `config-updated` / `config-deleted` event naming the key, the version
// and who made it; a refused change stores nothing.

#include <gmock/gmock.h>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

constexpr std::string_view config_path = "/api/v1/config";

class config : public process_test {
protected:
  static std::string key_path(const std::string& key) {
    return std::string{config_path} + "/" + key;
  }

  http_response put(const std::string& key, const std::string& body,
                    header_list headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return http().request("PUT", key_path(key), body, headers);
  }
  http_response put(const std::string& key, const json& value,
                    header_list headers = {}) {
    return put(key, value.dump(), std::move(headers));
  }
  http_response get(const std::string& key) {
    return http().get(key_path(key));
  }
  http_response del(const std::string& key, const header_list& headers = {}) {
    return http().request("DELETE", key_path(key), "", headers);
  }

  std::vector<json> updated() {
    return query_all(http(), {{"name", "config-updated"}});
  }
  std::vector<json> deleted() {
    return query_all(http(), {{"name", "config-deleted"}});
  }

  /// Checks `r` is the document {key, value, version} with ETag "version".
  static ::testing::AssertionResult is_doc(const http_response& r, int status,
                                           const std::string& key,
                                           const json& value,
                                           uint64_t version) {
    if (r.status != status)
      return ::testing::AssertionFailure()
             << "expected HTTP " << status << ", got " << r.describe();
    json want = {{"key", key}, {"value", value}, {"version", version}};
    if (r.json() != want)
      return ::testing::AssertionFailure()
             << "expected " << want.dump() << ", got " << r.describe();
    auto tag = r.header("etag");
    if (tag != "\"" + std::to_string(version) + "\"")
      return ::testing::AssertionFailure() << "ETag " << tag << " for version "
                                           << version << ": " << r.describe();
    return ::testing::AssertionSuccess();
  }

  /// A client for a new user with `roles`, logged in.
  http_client user(const std::string& name, const json& roles) {
    return login_as(name, roles);
  }
};

/// The data of a config event, checked for shape.
json data_of(const json& event) {
  EXPECT_TRUE(event.is_object() && event.contains("data")) << event.dump();
  EXPECT_EQ(event.value("kind", ""), "sys") << event.dump();
  return event.is_object() ? event.value("data", json()) : json();
}

TEST_F(config, put_get_and_conditional_updates) {
  const json v1 = {{"url", "x"}};
  auto r = put("db", v1);
  EXPECT_TRUE(is_doc(r, 201, "db", v1, 1));
  EXPECT_TRUE(is_doc(get("db"), 200, "db", v1, 1));
  ASSERT_EQ(updated().size(), 1u);

  const json v2 = {{"url", "y"}, {"pool", 4}};
  r = put("db", v2, {{"If-Match", "\"1\""}});
  EXPECT_TRUE(is_doc(r, 200, "db", v2, 2));
  EXPECT_TRUE(is_doc(get("db"), 200, "db", v2, 2));
  ASSERT_EQ(updated().size(), 2u);

  // A stale If-Match is a conflict and changes nothing.
  r = put("db", json{{"url", "stale"}}, {{"If-Match", "\"1\""}});
  EXPECT_TRUE(is_api_error(r, 409, {"conflict"}, "If-Match"));
  EXPECT_TRUE(is_doc(get("db"), 200, "db", v2, 2));
  // If-None-Match: * on an existing key: a conflict too.
  r = put("db", json{{"url", "create-only"}}, {{"If-None-Match", "*"}});
  EXPECT_TRUE(is_api_error(r, 409, {"conflict"}, "If-None-Match"));
  EXPECT_TRUE(is_doc(get("db"), 200, "db", v2, 2));
  // Malformed preconditions: 400, nothing changed.
  for (const char* bad : {"abc", "\"0\"", "\"1", "-1", "\"2\"x", "v1"}) {
    r = put("db", json{{"url", "bad"}}, {{"If-Match", bad}});
    EXPECT_TRUE(is_api_error(r, 400, {"invalid_parameter"}, "If-Match"))
        << "If-Match: " << bad;
  }
  r = put("db", json{{"url", "bad"}}, {{"If-None-Match", "\"2\""}});
  EXPECT_TRUE(is_api_error(r, 400, {"invalid_parameter"}, "If-None-Match"));
  EXPECT_TRUE(is_doc(get("db"), 200, "db", v2, 2));
  EXPECT_EQ(updated().size(), 2u) << "a refused change stored an event";

  // Unquoted and weak forms of the current ETag are accepted.
  r = put("db", json{{"url", "z"}}, {{"If-Match", "2"}});
  EXPECT_TRUE(is_doc(r, 200, "db", json{{"url", "z"}}, 3));
  r = put("db", json{{"url", "w"}}, {{"If-Match", "W/\"3\""}});
  EXPECT_TRUE(is_doc(r, 200, "db", json{{"url", "w"}}, 4));
  // Without a precondition: a plain overwrite.
  r = put("db", json{{"url", "last"}});
  EXPECT_TRUE(is_doc(r, 200, "db", json{{"url", "last"}}, 5));

  // If-None-Match: * creates a new key.
  r = put("cache", json{{"ttl", 30}}, {{"If-None-Match", "*"}});
  EXPECT_TRUE(is_doc(r, 201, "cache", json{{"ttl", 30}}, 1));
  // If-Match on a key that does not exist: refused, nothing created.
  r = put("ghost", json{{"a", 1}}, {{"If-Match", "\"1\""}});
  EXPECT_TRUE(is_api_error(r, 409, {"conflict"}, "If-Match"));
  r = put("ghost", json{{"a", 1}}, {{"If-Match", "*"}});
  EXPECT_TRUE(is_api_error(r, 409, {"conflict"}, "If-Match"));
  EXPECT_TRUE(is_api_error(get("ghost"), 404, {"not_found"}, std::nullopt));
  // If-Match: * updates whatever version exists.
  r = put("cache", json{{"ttl", 60}}, {{"If-Match", "*"}});
  EXPECT_TRUE(is_doc(r, 200, "cache", json{{"ttl", 60}}, 2));

  // One event per successful PUT, naming key, version and caller.
  auto events = updated();
  ASSERT_EQ(events.size(), 7u) << json(events).dump();
  const std::vector<std::pair<std::string, int>> want{
      {"db", 1}, {"db", 2},    {"db", 3},   {"db", 4},
      {"db", 5}, {"cache", 1}, {"cache", 2}};
  for (size_t i = 0; i < want.size(); ++i) {
    auto d = data_of(events[i]);
    EXPECT_EQ(d.value("id", ""), want[i].first) << d.dump();
    EXPECT_EQ(d.value("version", -1), want[i].second) << d.dump();
    EXPECT_TRUE(d.contains("by") && d["by"].is_string() &&
                !d["by"].get<std::string>().empty())
        << d.dump();
  }
  EXPECT_TRUE(deleted().empty());
}

TEST_F(config, any_json_value_round_trips) {
  const std::vector<json> values{
      json(42),      json("text"), json::array({1, "two"}),
      json(nullptr), json(true),   json{{"nested", {{"deep", {1, 2, 3}}}}}};
  uint64_t version = 0;
  for (const auto& v : values) {
    ++version;
    auto r = put("any", v);
    EXPECT_TRUE(is_doc(r, version == 1 ? 201 : 200, "any", v, version))
        << v.dump();
    EXPECT_TRUE(is_doc(get("any"), 200, "any", v, version)) << v.dump();
  }
}

TEST_F(config, delete_with_and_without_preconditions) {
  ASSERT_EQ(put("db", json{{"url", "x"}}).status, 201);
  ASSERT_EQ(put("db", json{{"url", "y"}}).status, 200);
  // Stale If-Match: refused, kept, no event.
  auto r = del("db", {{"If-Match", "\"1\""}});
  EXPECT_TRUE(is_api_error(r, 409, {"conflict"}, "If-Match"));
  r = del("db", {{"If-Match", "nonsense"}});
  EXPECT_TRUE(is_api_error(r, 400, {"invalid_parameter"}, "If-Match"));
  EXPECT_TRUE(is_doc(get("db"), 200, "db", json{{"url", "y"}}, 2));
  EXPECT_TRUE(deleted().empty());

  r = del("db", {{"If-Match", "\"2\""}});
  EXPECT_EQ(r.status, 204) << r.describe();
  EXPECT_TRUE(r.body.empty()) << r.describe();
  EXPECT_TRUE(is_api_error(get("db"), 404, {"not_found"}, std::nullopt));
  auto gone = deleted();
  ASSERT_EQ(gone.size(), 1u) << json(gone).dump();
  auto d = data_of(gone[0]);
  EXPECT_EQ(d.value("id", ""), "db");
  EXPECT_EQ(d.value("version", -1), 2);
  EXPECT_TRUE(d.contains("by") && d["by"].is_string()) << d.dump();

  // Deleting a missing key: 404, no event.
  r = del("db");
  EXPECT_TRUE(is_api_error(r, 404, {"not_found"}, std::nullopt));
  r = del("never");
  EXPECT_TRUE(is_api_error(r, 404, {"not_found"}, std::nullopt));
  EXPECT_EQ(deleted().size(), 1u);

  // Unconditional delete, and the key can be created again from version 1.
  ASSERT_EQ(put("tmp", json{{"a", 1}}).status, 201);
  r = del("tmp");
  EXPECT_EQ(r.status, 204) << r.describe();
  EXPECT_EQ(deleted().size(), 2u);
  EXPECT_TRUE(
      is_doc(put("tmp", json{{"a", 2}}), 201, "tmp", json{{"a", 2}}, 1));
  EXPECT_EQ(updated().size(), 4u);
}

TEST_F(config, the_caller_is_named_in_the_events) {
  auto ops = user("ops", {"admin"});
  auto r = ops.put_json(key_path("feature"), json{{"on", true}});
  ASSERT_EQ(r.status, 201) << r.describe();
  r = ops.request("DELETE", key_path("feature"), "", {{"If-Match", "\"1\""}});
  ASSERT_EQ(r.status, 204) << r.describe();
  auto up = updated();
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(data_of(up[0]),
            json({{"id", "feature"}, {"version", 1}, {"by", "ops"}}));
  auto del_events = deleted();
  ASSERT_EQ(del_events.size(), 1u);
  EXPECT_EQ(data_of(del_events[0]),
            json({{"id", "feature"}, {"version", 1}, {"by", "ops"}}));
}

TEST_F(config, list_shows_keys_and_versions) {
  auto r = http().get(std::string{config_path});
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.json(), json({{"configs", json::array()}}));
  ASSERT_EQ(put("b.key", json(1)).status, 201);
  ASSERT_EQ(put("a-key", json(1)).status, 201);
  ASSERT_EQ(put("a-key", json(2)).status, 200);
  ASSERT_EQ(put("gone", json(1)).status, 201);
  ASSERT_EQ(del("gone").status, 204);
  r = http().get(std::string{config_path});
  ASSERT_EQ(r.status, 200) << r.describe();
  ASSERT_TRUE(r.json().contains("configs")) << r.describe();
  std::map<std::string, int> listed;
  const auto listing = r.json();
  for (const auto& c : listing["configs"])
    listed[c.value("key", "")] = c.value("version", -1);
  EXPECT_EQ(listed, (std::map<std::string, int>{{"a-key", 2}, {"b.key", 1}}))
      << r.describe();
  // Users, tokens and source settings are definitions too: not config.
  ASSERT_EQ(http().put_json("/api/v1/sources/iam", {{"enabled", false}}).status,
            200);
  r = http().get(std::string{config_path} + "/");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.json()["configs"].size(), 2u) << r.describe();
  EXPECT_TRUE(is_api_error(http().post_json(std::string{config_path}, json(1)),
                           405, {"method_not_allowed"}, std::nullopt));
}

TEST_F(config, values_persist_across_a_restart) {
  ASSERT_EQ(put("db", json{{"url", "x"}}).status, 201);
  ASSERT_EQ(put("db", json{{"url", "y"}}).status, 200);
  ASSERT_EQ(put("flags", json::array({"a", "b"})).status, 201);
  EXPECT_EQ(node().stop(), 0);
  ASSERT_TRUE(node().restart());
  client_.emplace(node().http());
  EXPECT_TRUE(is_doc(get("db"), 200, "db", json{{"url", "y"}}, 2));
  EXPECT_TRUE(is_doc(get("flags"), 200, "flags", json::array({"a", "b"}), 1));
  // Versions continue where they were.
  auto r = put("db", json{{"url", "z"}}, {{"If-Match", "\"2\""}});
  EXPECT_TRUE(is_doc(r, 200, "db", json{{"url", "z"}}, 3));
  r = put("db", json{{"url", "stale"}}, {{"If-Match", "\"2\""}});
  EXPECT_TRUE(is_api_error(r, 409, {"conflict"}, "If-Match"));
  EXPECT_EQ(updated().size(), 4u);
}

TEST_F(config, acknowledged_changes_survive_kill_9) {
  // Acknowledged means fsync'd: a SIGKILL right after the replies loses
  // neither the values nor their events, and no change is half-applied.
  ASSERT_EQ(put("db", json{{"url", "x"}}).status, 201);
  ASSERT_EQ(put("db", json{{"url", "y"}}, {{"If-Match", "\"1\""}}).status, 200);
  ASSERT_EQ(put("gone", json(1)).status, 201);
  ASSERT_EQ(http().request("DELETE", "/api/v1/config/gone").status, 204);
  node().kill9();
  ASSERT_TRUE(node().restart());
  client_.emplace(node().http());
  EXPECT_TRUE(is_doc(get("db"), 200, "db", json{{"url", "y"}}, 2));
  EXPECT_TRUE(is_api_error(get("gone"), 404, {"not_found"}, std::nullopt));
  EXPECT_EQ(updated().size(), 3u);
  EXPECT_EQ(deleted().size(), 1u);
}

TEST_F(config, bad_bodies_and_keys_are_400) {
  ASSERT_EQ(put("db", json{{"url", "x"}}).status, 201);
  for (const char* body : {"{\"url\":", "not json", "", "{\"a\":1} trailing"}) {
    auto r = put("db", std::string{body});
    EXPECT_TRUE(is_api_error(r, 400, {"invalid_json"}, std::nullopt))
        << "body: " << body;
    r = put("newkey", std::string{body});
    EXPECT_TRUE(is_api_error(r, 400, {"invalid_json"}, std::nullopt))
        << "body: " << body;
  }
  EXPECT_TRUE(is_doc(get("db"), 200, "db", json{{"url", "x"}}, 1));
  EXPECT_TRUE(is_api_error(get("newkey"), 404, {"not_found"}, std::nullopt));

  const std::string long_key(257, 'k');
  for (const std::string& key :
       {std::string{"a%20b"}, std::string{"a%2Fb"}, std::string{"%zz"},
        std::string{"caf%C3%A9"}, std::string{"a%00b"}, long_key}) {
    SCOPED_TRACE(key);
    EXPECT_TRUE(
        is_api_error(put(key, json(1)), 400, {"invalid_parameter"}, "key"));
    EXPECT_TRUE(is_api_error(get(key), 400, {"invalid_parameter"}, "key"));
    EXPECT_TRUE(is_api_error(del(key), 400, {"invalid_parameter"}, "key"));
  }
  // A key of 256 allowed characters, percent-encoded or not, is fine.
  const std::string max_key(256, 'k');
  EXPECT_TRUE(is_doc(put(max_key, json(1)), 201, max_key, json(1), 1));
  EXPECT_TRUE(is_api_error(get("my%2Ekey%3Av1"), 404, {"not_found"}, "key"));
  EXPECT_TRUE(
      is_doc(put("my%2Ekey%3Av1", json(2)), 201, "my.key:v1", json(2), 1));
  EXPECT_TRUE(is_doc(get("my.key:v1"), 200, "my.key:v1", json(2), 1));
  // A nested path is no key.
  auto r = put("a/b", json(1));
  EXPECT_TRUE(r.status == 400 || r.status == 404) << r.describe();
  EXPECT_EQ(updated().size(), 3u) << "only the three good PUTs";
}

TEST_F(config, readers_and_anonymous_callers_are_refused) {
  ASSERT_EQ(put("db", json{{"url", "x"}}).status, 201);
  auto dana = user("dana", {"reader", "publisher"});
  EXPECT_TRUE(
      is_api_error(dana.get(key_path("db")), 403, {"forbidden"}, std::nullopt));
  EXPECT_TRUE(is_api_error(dana.get(std::string{config_path}), 403,
                           {"forbidden"}, std::nullopt));
  EXPECT_TRUE(is_api_error(dana.put_json(key_path("db"), json{{"url", "r"}}),
                           403, {"forbidden"}, std::nullopt));
  EXPECT_TRUE(is_api_error(dana.put_json(key_path("new"), json{{"url", "r"}}),
                           403, {"forbidden"}, std::nullopt));
  EXPECT_TRUE(is_api_error(dana.request("DELETE", key_path("db")), 403,
                           {"forbidden"}, std::nullopt));
  http_client anonymous = node().http();
  anonymous.set_bearer_token("");
  EXPECT_TRUE(is_api_error(anonymous.get(key_path("db")), 401, {"unauthorized"},
                           std::nullopt));
  EXPECT_TRUE(is_api_error(anonymous.request("DELETE", key_path("db")), 401,
                           {"unauthorized"}, std::nullopt));
  EXPECT_TRUE(is_doc(get("db"), 200, "db", json{{"url", "x"}}, 1));
  EXPECT_TRUE(is_api_error(get("new"), 404, {"not_found"}, std::nullopt));
  EXPECT_EQ(updated().size(), 1u);
  EXPECT_TRUE(deleted().empty());
}

} // namespace
} // namespace herald::test

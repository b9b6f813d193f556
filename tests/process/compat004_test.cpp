// Seed 004 compatibility (DESIGN §3): EscapeKit's query paths and
// POST /internal/create-event answer a 004-shaped client exactly — bare
// arrays of 004 Event objects, exact nanosecond timestamps, paging through
// the X-Next-Cursor header.

#include <gmock/gmock.h>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

constexpr std::string_view create_path = "/internal/create-event";
constexpr std::string_view query_root = "/api/v1/events/query";

class compat004 : public process_test {
protected:
  /// POSTs `body` to create-event; records a failure unless it is accepted.
  json create_ok(const json& body) {
    auto r = http().post_json(create_path, body);
    EXPECT_EQ(r.status, 200) << body.dump() << " -> " << r.describe();
    return r.json();
  }

  /// Every 004 Event `path` answers, following X-Next-Cursor; the 004
  /// events only (Herald's own start-up events, `server.*` and the
  /// scheduler's `trigger.*`, are dropped) unless `all`. Records a failure
  /// for anything but bare arrays.
  std::vector<json> query004(const std::string& path, header_list params = {},
                             bool all = false) {
    std::vector<json> out;
    for (auto& e : query004_all(http(), path, params))
      if (all || !(e.value("type", "").starts_with("server.") ||
                   e.value("type", "").starts_with("trigger.")))
        out.push_back(std::move(e));
    return out;
  }

  std::vector<std::string> ids(const std::string& path,
                               header_list params = {}) {
    std::vector<std::string> out;
    for (const auto& e : query004(path, std::move(params)))
      out.push_back(e.value("id", "<no id>"));
    return out;
  }

  /// Events across both hierarchies, published in this order (seq order).
  void publish_hierarchy() {
    json batch = json::array({
        json{{"id", "i1"},
             {"type", "CREATE_INVENTORY_PROJECT"},
             {"inventory_project", "p1"}},
        json{{"id", "i2"},
             {"type", "NEW_INVENTORY_APPLICATION"},
             {"inventory_project", "p1"},
             {"inventory_application", "a1"}},
        json{{"id", "i3"},
             {"type", "UPLOAD_INVENTORY_APPLICATION"},
             {"inventory_project", "p1"},
             {"inventory_application", "a1"},
             {"inventory_version", "1.0"}},
        json{{"id", "i4"},
             {"type", "UPLOAD_INVENTORY_APPLICATION"},
             {"inventory_project", "p1"},
             {"inventory_application", "a1"},
             {"inventory_version", "1.0+build:2"}},
        json{{"id", "i5"},
             {"type", "NEW_INVENTORY_APPLICATION"},
             {"inventory_project", "p1"},
             {"inventory_application", "a2"}},
        json{{"id", "i6"},
             {"type", "CREATE_INVENTORY_PROJECT"},
             {"inventory_project", "p1x"}},
        json{{"id", "s1"},
             {"type", "CREATE_STATE_PROJECT"},
             {"state_project", "p1"}},
        json{{"id", "s2"},
             {"type", "CREATE_STATE_DEPLOYMENT"},
             {"state_project", "p1"},
             {"state_environment", "dev"},
             {"state_deployment", "deployment"}},
        json{{"id", "s3"},
             {"type", "UPDATE_STATE_DEPLOYMENT"},
             {"state_project", "p1"},
             {"state_environment", "prod"},
             {"state_deployment", "d2"}},
        // Native events through the same endpoint and the native one.
        json{{"id", "n1"}, {"name", "iam.user.created"}, {"scope", "other/x"}},
    });
    auto reply = create_ok(batch);
    ASSERT_TRUE(reply.contains("events")) << reply.dump();
    publish_ok(http(),
               make_event("iam.user.deleted",
                          {{"id", "n2"}, {"scope", "inventory/p1/a1"}}));
  }
};

TEST_F(compat004, the_seed_examples_come_back_exactly) {
  // The "Events" example of seed 004, posted one by one as 004 would.
  const json examples = json::parse(R"([
    {"id": "123", "inventory_project": "test", "timestamp": 12343434343434,
     "type": "CREATE_INVENTORY_PROJECT", "username": "user"},
    {"allowed_groups": ["my-group", "your-group"], "id": "124",
     "state_project": "state-test", "timestamp": 12343434343435,
     "type": "CREATE_STATE_PROJECT", "username": "user"}])");
  for (const auto& e : examples) {
    auto reply = create_ok(e);
    EXPECT_EQ(reply.size(), 2u) << reply.dump();
    EXPECT_EQ(reply.value("id", ""), e["id"]);
    EXPECT_TRUE(reply["seq"].is_number_unsigned()) << reply.dump();
  }
  EXPECT_THAT(query004(std::string{query_root} + "/"),
              ElementsAre(examples[0], examples[1]));
  EXPECT_THAT(query004(std::string{query_root} + "/inventory/test/"),
              ElementsAre(examples[0]));
  EXPECT_THAT(query004(std::string{query_root} + "/project/state-test"),
              ElementsAre(examples[1]));
  // Herald's own events are visible on the root path, in 004's shape too.
  auto everything = query004(std::string{query_root}, {}, true);
  ASSERT_GE(everything.size(), 3u);
  EXPECT_EQ(everything[0].value("type", ""), "server.ready");
  EXPECT_TRUE(everything[0]["timestamp"].is_number_integer());
  EXPECT_FALSE(everything[0].contains("name"));
}

TEST_F(compat004, timestamps_are_exact_unix_nanoseconds) {
  create_ok({{"id", "t1"},
             {"type", "ADD_BUILD"},
             {"timestamp", 1700000000123456789LL}});
  create_ok({{"id", "t2"},
             {"type", "ADD_BUILD"},
             {"timestamp", "1700000000123456788"}});
  auto r = http().get(std::string{query_root});
  ASSERT_EQ(r.status, 200) << r.describe();
  // On the wire, as integers with every digit (no float rounding).
  EXPECT_NE(r.body.find(R"("timestamp":1700000000123456789)"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("timestamp":1700000000123456788)"),
            std::string::npos)
      << r.body;
  // The same instant in the native form.
  auto native = http().get(std::string{events_path} + "/t1");
  EXPECT_EQ(native.json().value("time", ""), "2023-11-14T22:13:20.123456789Z");
  // And a native event's time comes out in nanoseconds.
  publish_ok(http(), make_event("x.y", {{"id", "t3"},
                                        {"time", "2021-01-01T00:00:00.5Z"}}));
  auto events = query004(std::string{query_root});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2]["timestamp"].get<int64_t>(), 1609459200500000000LL);
}

TEST_F(compat004, paths_narrow_by_whole_scope_segments) {
  publish_hierarchy();
  const std::string inv = std::string{query_root} + "/inventory";
  const std::string prj = std::string{query_root} + "/project";
  EXPECT_THAT(ids(std::string{query_root} + "/"),
              ElementsAre("i1", "i2", "i3", "i4", "i5", "i6", "s1", "s2", "s3",
                          "n1", "n2"));
  for (const auto& path : {inv, inv + "/"})
    EXPECT_THAT(ids(path),
                ElementsAre("i1", "i2", "i3", "i4", "i5", "i6", "n2"));
  EXPECT_THAT(ids(inv + "/p1/"),
              ElementsAre("i1", "i2", "i3", "i4", "i5", "n2"));
  EXPECT_THAT(ids(inv + "/p1/a1"), ElementsAre("i2", "i3", "i4", "n2"));
  EXPECT_THAT(ids(inv + "/p1/a1/1.0/"), ElementsAre("i3"));
  EXPECT_THAT(ids(inv + "/p1/a1/1.0%2Bbuild%3A2"), ElementsAre("i4"));
  EXPECT_THAT(ids(inv + "/p1/a3"), IsEmpty());
  EXPECT_THAT(ids(prj), ElementsAre("s1", "s2", "s3"));
  EXPECT_THAT(ids(prj + "/p1/dev/"), ElementsAre("s2"));
  // 004 writes the last level as the literal word `deployment`.
  EXPECT_THAT(ids(prj + "/p1/dev/deployment"), ElementsAre("s2"));
  EXPECT_THAT(ids(prj + "/p1/prod/d2"), ElementsAre("s3"));
  EXPECT_THAT(ids(prj + "/p1/prod/deployment"), IsEmpty());

  // The 004 fields of each level, and a native event in 004's shape.
  auto s2 = query004(prj + "/p1/dev");
  ASSERT_EQ(s2.size(), 1u);
  EXPECT_EQ(s2[0].value("state_project", ""), "p1");
  EXPECT_EQ(s2[0].value("state_environment", ""), "dev");
  EXPECT_EQ(s2[0].value("state_deployment", ""), "deployment");
  EXPECT_FALSE(s2[0].contains("inventory_project"));
  auto n2 = query004(inv + "/p1/a1", {{"order", "desc"}, {"limit", "1"}});
  ASSERT_FALSE(n2.empty());
  json want_n2 = json::parse(R"({"id":"n2","type":"iam.user.deleted",)"
                             R"("inventory_project":"p1",)"
                             R"("inventory_application":"a1"})");
  want_n2["timestamp"] = n2[0]["timestamp"];
  EXPECT_EQ(n2[0], want_n2);
}

TEST_F(compat004, pages_follow_x_next_cursor_in_either_order) {
  json batch = json::array();
  std::vector<std::string> want;
  for (int i = 0; i < 7; ++i) {
    want.push_back("pg" + std::to_string(i));
    batch.push_back({{"id", want.back()},
                     {"type", "ADD_BUILD"},
                     {"inventory_project", "paged"},
                     {"data", {{"n", i}}}});
  }
  create_ok(batch);
  const std::string path = std::string{query_root} + "/inventory/paged";
  // Page by page: 3, 3, 1, and no header on the last page.
  auto first = http().get(with_query(path, {{"limit", "3"}}));
  ASSERT_EQ(first.status, 200) << first.describe();
  EXPECT_EQ(first.json().size(), 3u);
  EXPECT_FALSE(first.header("x-next-cursor").empty());
  EXPECT_EQ(first.header("content-type"), "application/json");
  EXPECT_THAT(ids(path, {{"limit", "3"}}), ElementsAreArray(want));
  std::vector<std::string> reversed(want.rbegin(), want.rend());
  EXPECT_THAT(ids(path, {{"limit", "2"}, {"order", "desc"}}),
              ElementsAreArray(reversed));
  auto last = http().get(with_query(path, {{"limit", "7"}}));
  EXPECT_EQ(last.json().size(), 7u);
  EXPECT_EQ(last.header("x-next-cursor"), "");
  EXPECT_EQ(last.json()[6]["data"], json({{"n", 6}}));
}

TEST_F(compat004, create_event_is_idempotent_and_validated) {
  auto first = create_ok({{"id", "dup"}, {"type", "TEAM_CREATED"}});
  auto again = create_ok({{"id", "dup"}, {"type", "TEAM_CREATED"}});
  EXPECT_EQ(again.value("seq", 0), first.value("seq", 0));
  EXPECT_EQ(again.value("duplicate", false), true);
  auto assigned = create_ok({{"type", "USER_SIGNUP"}, {"username", "eve"}});
  EXPECT_FALSE(assigned.value("id", "").empty()) << assigned.dump();

  const auto before = user_event_ids(http());
  auto refused = [&](const json& body, std::string_view code,
                     std::string_view field) {
    auto r = http().post_json(create_path, body);
    EXPECT_TRUE(is_api_error(r, 400, {code}, field)) << body.dump();
  };
  refused({{"type", "X"}, {"colour", "red"}}, "unknown_field", "/colour");
  refused({{"type", "X"}, {"inventory_project", "p"}, {"state_project", "s"}},
          "invalid_field", "/state_project");
  refused({{"type", "X"}, {"inventory_version", "1"}}, "invalid_field",
          "/inventory_version");
  refused({{"type", "X"}, {"inventory_project", "a b"}}, "invalid_scope",
          "/inventory_project");
  refused({{"type", "not..valid"}}, "invalid_name", "/type");
  refused({{"type", "X"}, {"timestamp", 1.5}}, "invalid_time", "/timestamp");
  refused(json::array({{{"type", "OK"}}, {{"type", "X"}, {"bad", 1}}}),
          "unknown_field", "/1/bad");
  EXPECT_EQ(user_event_ids(http()), before) << "a refused create changed "
                                               "the trail";
  auto wrong_method = http().get(std::string{create_path});
  EXPECT_TRUE(
      is_api_error(wrong_method, 405, {"method_not_allowed"}, std::nullopt));
  auto with_param =
      http().post_json(std::string{create_path} + "?x=1", json{{"type", "X"}});
  EXPECT_TRUE(is_api_error(with_param, 400, {"invalid_parameter"}, "x"));
}

TEST_F(compat004, roles_and_namespace_are_kept) {
  const json e = {{"id", "r1"},
                  {"type", "UPDATE_INVENTORY_PROJECT_USER_ACL"},
                  {"timestamp", 1700000000000000000LL},
                  {"allowed_roles", {"admin", "owner"}},
                  {"inventory_namespace", "ns1"},
                  {"inventory_project", "p"},
                  {"data", {{"user", "bob"}, {"acl", {"read", "write"}}}}};
  create_ok(e);
  EXPECT_THAT(query004(std::string{query_root} + "/inventory/p"),
              ElementsAre(e));
  auto native = http().get(std::string{events_path} + "/r1").json();
  EXPECT_EQ(native["extensions"], json({{"allowedroles", {"admin", "owner"}},
                                        {"inventorynamespace", "ns1"}}));
  EXPECT_EQ(native.value("scope", ""), "inventory/p");
}

TEST_F(compat004, bad_paths_and_parameters) {
  const std::string inv = std::string{query_root} + "/inventory";
  auto r = http().get(inv + "/p/a%20b");
  EXPECT_TRUE(is_api_error(r, 400, {"invalid_scope"}, "application")) << r.body;
  r = http().get(inv + "/p%2Fq");
  EXPECT_TRUE(is_api_error(r, 400, {"invalid_scope"}, "project")) << r.body;
  r = http().get(inv + "/p/a/%zz");
  EXPECT_TRUE(is_api_error(r, 400, {"invalid_scope"}, "version")) << r.body;
  // Valid levels that add up to a scope over 1024 bytes (what `scope=`
  // refuses too).
  const std::string long_level(400, 'x');
  r = http().get(inv + "/" + long_level + "/" + long_level + "/" + long_level);
  EXPECT_TRUE(is_api_error(r, 400, {"invalid_scope"}, "scope")) << r.body;
  r = http().get(std::string{query_root} + "/project/p/e/d/extra");
  EXPECT_TRUE(is_api_error(r, 404, {"not_found"}, std::nullopt)) << r.body;
  r = http().get(std::string{query_root} + "/tenants/x");
  EXPECT_TRUE(is_api_error(r, 404, {"not_found"}, std::nullopt)) << r.body;
  r = http().get(with_query(inv, {{"name", "x"}}));
  EXPECT_TRUE(is_api_error(r, 400, {"invalid_parameter"}, "name")) << r.body;
  r = http().get(with_query(inv, {{"limit", "0"}}));
  EXPECT_TRUE(is_api_error(r, 400, {"invalid_parameter"}, "limit")) << r.body;
  r = http().get(with_query(inv, {{"order", "up"}}));
  EXPECT_TRUE(is_api_error(r, 400, {"invalid_parameter"}, "order")) << r.body;
  r = http().get(with_query(inv, {{"after", "not-a-cursor"}}));
  EXPECT_TRUE(is_api_error(r, 400, {"invalid_cursor"}, "after")) << r.body;
  r = http().post_json(inv, json::object());
  EXPECT_TRUE(is_api_error(r, 405, {"method_not_allowed"}, std::nullopt))
      << r.body;
}

} // namespace
} // namespace herald::test

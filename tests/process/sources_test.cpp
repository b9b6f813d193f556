// Sources (DESIGN §7 "Sources"): GET /api/v1/sources lists every source with
// its counters; an admin disables one with PUT /api/v1/sources/{id}
// {"enabled":false}, after which every publish path refuses its events with
// 409 source_disabled (all or nothing for a batch) until it is re-enabled.
// The setting is stored (it survives a restart) and announced by a
// `source.updated` event; Herald's own source cannot be disabled.

#include <gmock/gmock.h>

#include "tests/process/process_fixture.hpp"

namespace herald::test {
namespace {

constexpr std::string_view sources_path = "/api/v1/sources";
constexpr std::string_view create_path = "/internal/create-event";

class sources : public process_test {
protected:
  /// GET /api/v1/sources as `client` → id → source object; records a
  /// failure for anything but {"sources":[...]}.
  std::map<std::string, json> list(const http_client& client) {
    std::map<std::string, json> out;
    auto r = client.get(std::string{sources_path});
    EXPECT_EQ(r.status, 200) << r.describe();
    auto body = r.json();
    if (r.status != 200 || !body.is_object() || !body.contains("sources") ||
        !body["sources"].is_array()) {
      ADD_FAILURE() << "not {\"sources\":[...]}: " << r.describe();
      return out;
    }
    for (const auto& s : body["sources"]) {
      EXPECT_TRUE(s.is_object() && s.contains("id") && s["id"].is_string())
          << s.dump();
      auto id = s.value("id", "<no id>");
      EXPECT_EQ(out.count(id), 0u) << "listed twice: " << id;
      out[id] = s;
    }
    return out;
  }
  std::map<std::string, json> list() { return list(http()); }

  http_response set_enabled(const std::string& id, bool enabled) {
    return http().put_json(std::string{sources_path} + "/" + id,
                           {{"enabled", enabled}});
  }

  /// A native event from `source` with id `id`.
  static json from(const std::string& source, const std::string& id) {
    return make_event(source + ".thing.happened",
                      {{"id", id}, {"source", source}});
  }

  bool stored(const std::string& id) {
    auto r = http().get(std::string{events_path} + "/" + id);
    EXPECT_TRUE(r.status == 200 || r.status == 404) << r.describe();
    return r.status == 200;
  }

  /// The source.updated events so far, in seq order.
  std::vector<json> updates() {
    return query_all(http(), {{"name", "source.updated"}});
  }

  /// 3 events from iam (ids iam-0..2), then 2 from billing (bill-0..1).
  void publish_iam_and_billing() {
    publish_ok(http(),
               json::array({from("iam", "iam-0"), from("iam", "iam-1")}));
    publish_ok(http(), from("iam", "iam-2"));
    publish_ok(http(), json::array({from("billing", "bill-0"),
                                    from("billing", "bill-1")}));
  }

  /// A reader user's client (created and logged in with the admin token).
  http_client reader(const std::string& user) {
    return login_as(user, {"reader"});
  }

  /// Asserts that a publish of `body` (with `headers`) via `path` is
  /// refused 409 source_disabled at `field` and stores nothing.
  void expect_refused(std::string_view path, const std::string& body,
                      const header_list& headers, std::string_view field,
                      const std::vector<std::string>& ids) {
    const auto before = user_event_ids(http());
    const auto counts = list();
    auto r = http().post(path, body, headers);
    EXPECT_TRUE(is_api_error(r, 409, {"source_disabled"}, field))
        << path << " " << body;
    EXPECT_EQ(user_event_ids(http()), before) << "a refused publish stored";
    for (const auto& id : ids)
      EXPECT_FALSE(stored(id)) << id << " was stored";
    auto after = list();
    for (const auto& [id, s] : counts)
      EXPECT_EQ(after[id].value("events", -1), s.value("events", -2)) << id;
  }
};

TEST_F(sources, list_counts_every_source) {
  publish_iam_and_billing();
  auto all = list();
  ASSERT_TRUE(all.count("iam")) << json(all).dump();
  ASSERT_TRUE(all.count("billing")) << json(all).dump();
  ASSERT_TRUE(all.count("herald")) << json(all).dump();
  EXPECT_EQ(all["iam"].value("events", -1), 3);
  EXPECT_EQ(all["billing"].value("events", -1), 2);
  EXPECT_EQ(all["iam"].value("enabled", false), true);
  EXPECT_EQ(all["billing"].value("enabled", false), true);
  EXPECT_EQ(all["herald"].value("enabled", false), true);
  EXPECT_GE(all["herald"].value("events", -1), 1) << "server.ready";
  // last_seq is the seq of the source's newest event.
  auto iam_events = query_all(http(), {{"source", "iam"}});
  ASSERT_EQ(iam_events.size(), 3u);
  EXPECT_EQ(all["iam"].value("last_seq", int64_t{-1}),
            iam_events.back().value("seq", int64_t{-2}));
  auto bill_events = query_all(http(), {{"source", "billing"}});
  ASSERT_EQ(bill_events.size(), 2u);
  EXPECT_EQ(all["billing"].value("last_seq", int64_t{-1}),
            bill_events.back().value("seq", int64_t{-2}));
  EXPECT_TRUE(all["iam"].contains("last_accept_time") &&
              all["iam"]["last_accept_time"].is_string() &&
              all["iam"]["last_accept_time"].get<std::string>().ends_with("Z"))
      << all["iam"].dump();
  // Only sources that exist are listed.
  EXPECT_EQ(all.count("svc"), 0u);

  // One source, the same object.
  auto one = http().get(std::string{sources_path} + "/iam");
  ASSERT_EQ(one.status, 200) << one.describe();
  EXPECT_EQ(one.json(), all["iam"]);
  EXPECT_EQ(http().get(std::string{sources_path} + "/herald").status, 200);
  auto missing = http().get(std::string{sources_path} + "/nosuch");
  EXPECT_TRUE(is_api_error(missing, 404, {"not_found"}, std::nullopt));
}

TEST_F(sources, a_disabled_source_is_refused_on_every_publish_path) {
  publish_iam_and_billing();
  ASSERT_TRUE(updates().empty());
  auto r = set_enabled("iam", false);
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.json().value("id", ""), "iam");
  EXPECT_EQ(r.json().value("enabled", true), false);
  EXPECT_EQ(r.json().value("events", -1), 3);
  EXPECT_EQ(list()["iam"].value("enabled", true), false);
  auto announced = updates();
  ASSERT_EQ(announced.size(), 1u) << json(announced).dump();
  EXPECT_EQ(announced[0]["data"].value("id", ""), "iam") << announced[0].dump();
  EXPECT_EQ(announced[0]["data"].value("enabled", true), false);
  EXPECT_EQ(announced[0].value("source", ""), "herald");

  // Native, single and batch (all or nothing: billing's event is not kept).
  expect_refused(events_path, from("iam", "iam-x1").dump(), {}, "/source",
                 {"iam-x1"});
  expect_refused(
      events_path,
      json::array({from("billing", "bill-x1"), from("iam", "iam-x2")}).dump(),
      {}, "/1/source", {"bill-x1", "iam-x2"});
  expect_refused(events_path, json::array({from("iam", "iam-x3")}).dump(), {},
                 "/0/source", {"iam-x3"});
  // 004's create-event.
  expect_refused(create_path, from("iam", "iam-x4").dump(), {}, "/source",
                 {"iam-x4"});
  // CloudEvents, structured and binary.
  json ce = {{"specversion", "1.0"},
             {"type", "iam.thing.happened"},
             {"source", "iam"},
             {"id", "iam-x5"}};
  expect_refused(events_path, ce.dump(),
                 {{"Content-Type", "application/cloudevents+json"}}, "/source",
                 {"iam-x5"});
  expect_refused(events_path, R"({"x":1})",
                 {{"Content-Type", "application/json"},
                  {"ce-specversion", "1.0"},
                  {"ce-type", "iam.thing.happened"},
                  {"ce-source", "iam"},
                  {"ce-id", "iam-x6"}},
                 "/source", {"iam-x6"});

  // Other sources still publish.
  publish_ok(http(), from("billing", "bill-2"));
  EXPECT_TRUE(stored("bill-2"));
  EXPECT_EQ(list()["billing"].value("events", -1), 3);
  EXPECT_EQ(list()["iam"].value("events", -1), 3);

  // Re-enabled: publishes work again, on every path.
  r = set_enabled("iam", true);
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.json().value("enabled", false), true);
  announced = updates();
  ASSERT_EQ(announced.size(), 2u) << json(announced).dump();
  EXPECT_EQ(announced[1]["data"].value("enabled", false), true);
  publish_ok(http(), from("iam", "iam-3"));
  auto created = http().post_json(create_path, from("iam", "iam-4"));
  EXPECT_EQ(created.status, 200) << created.describe();
  ce["id"] = "iam-5";
  publish_ok(http(), ce, {{"Content-Type", "application/cloudevents+json"}});
  for (auto id : {"iam-3", "iam-4", "iam-5"})
    EXPECT_TRUE(stored(id)) << id;
  EXPECT_EQ(list()["iam"].value("events", -1), 6);
}

TEST_F(sources, the_setting_survives_a_restart) {
  publish_ok(http(), from("iam", "iam-0"));
  ASSERT_EQ(set_enabled("iam", false).status, 200);
  EXPECT_EQ(node().stop(), 0);
  ASSERT_TRUE(node().restart());
  client_.emplace(node().http());
  auto all = list();
  ASSERT_TRUE(all.count("iam")) << json(all).dump();
  EXPECT_EQ(all["iam"].value("enabled", true), false);
  EXPECT_EQ(all["iam"].value("events", -1), 1);
  expect_refused(events_path, from("iam", "iam-1").dump(), {}, "/source",
                 {"iam-1"});
  ASSERT_EQ(set_enabled("iam", true).status, 200);
  EXPECT_EQ(node().stop(), 0);
  ASSERT_TRUE(node().restart());
  client_.emplace(node().http());
  EXPECT_EQ(list()["iam"].value("enabled", false), true);
  publish_ok(http(), from("iam", "iam-2"));
  EXPECT_TRUE(stored("iam-2"));
}

TEST_F(sources, herald_cannot_be_disabled) {
  auto r = set_enabled("herald", false);
  EXPECT_TRUE(is_api_error(r, 409, {"conflict"}, "/enabled"));
  EXPECT_EQ(list()["herald"].value("enabled", false), true);
  EXPECT_TRUE(updates().empty()) << "a refused change announced itself";
  // Herald's own events still flow (this one is itself one of them).
  r = set_enabled("herald", true);
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(list()["herald"].value("enabled", false), true);
  ASSERT_TRUE(set_enabled("iam", false).ok());
  EXPECT_EQ(updates().size(), 2u);
}

TEST_F(sources, bad_bodies_are_400_and_change_nothing) {
  publish_ok(http(), from("iam", "iam-0"));
  const std::string path = std::string{sources_path} + "/iam";
  struct bad {
    std::string body;
    std::vector<std::string_view> codes;
    std::optional<std::string_view> field;
  };
  const std::vector<bad> cases{
      {"{}", {"missing_field", "invalid_field"}, "/enabled"},
      {R"({"enabled":"no"})", {"invalid_field", "missing_field"}, "/enabled"},
      {R"({"enabled":null})", {"invalid_field", "missing_field"}, "/enabled"},
      {R"({"enabled":false,"x":1})", {"unknown_field"}, "/x"},
      {R"([{"enabled":false}])",
       {"invalid_field", "invalid_json"},
       std::nullopt},
      {"enabled=false", {"invalid_json"}, std::nullopt},
      {"", {"invalid_json"}, std::nullopt},
  };
  for (const auto& c : cases) {
    auto r = http().request("PUT", path, c.body,
                            {{"Content-Type", "application/json"}});
    bool ok = false;
    if (c.codes.size() == 1)
      ok = is_api_error(r, 400, {c.codes[0]}, c.field);
    else
      ok = is_api_error(r, 400, {c.codes[0], c.codes[1]}, c.field);
    EXPECT_TRUE(ok) << c.body << " -> " << r.describe();
  }
  EXPECT_EQ(list()["iam"].value("enabled", false), true);
  EXPECT_TRUE(updates().empty());
  publish_ok(http(), from("iam", "iam-1"));
  // Ids that name no source.
  for (const std::string& id : {std::string{"%zz"}, std::string(257, 's')}) {
    auto r = http().put_json(std::string{sources_path} + "/" + id,
                             {{"enabled", false}});
    EXPECT_TRUE(is_api_error(r, 404, {"not_found"}, std::nullopt)) << id;
  }
  EXPECT_TRUE(updates().empty());
  // Wrong methods.
  EXPECT_TRUE(is_api_error(http().post_json(path, {{"enabled", false}}), 405,
                           {"method_not_allowed"}, std::nullopt));
  EXPECT_TRUE(is_api_error(
      http().put_json(std::string{sources_path}, {{"enabled", false}}), 405,
      {"method_not_allowed"}, std::nullopt));
}

TEST_F(sources, a_source_can_be_disabled_before_its_first_event) {
  auto r = set_enabled("newsvc", false);
  ASSERT_EQ(r.status, 200) << r.describe();
  auto all = list();
  ASSERT_TRUE(all.count("newsvc")) << json(all).dump();
  EXPECT_EQ(all["newsvc"].value("events", -1), 0);
  EXPECT_EQ(all["newsvc"].value("enabled", true), false);
  EXPECT_FALSE(all["newsvc"].contains("last_seq")) << all["newsvc"].dump();
  auto one = http().get(std::string{sources_path} + "/newsvc");
  ASSERT_EQ(one.status, 200) << one.describe();
  EXPECT_EQ(one.json(), all["newsvc"]);
  expect_refused(events_path, from("newsvc", "new-0").dump(), {}, "/source",
                 {"new-0"});
  ASSERT_EQ(set_enabled("newsvc", true).status, 200);
  publish_ok(http(), from("newsvc", "new-1"));
  EXPECT_EQ(list()["newsvc"].value("events", -1), 1);
}

TEST_F(sources, a_source_with_slashes_is_addressed_percent_encoded) {
  // CloudEvents sources are URI references: "/shop/orders".
  json ce = {{"specversion", "1.0"},
             {"type", "shop.order.created"},
             {"source", "/shop/orders"},
             {"id", "shop-0"}};
  publish_ok(http(), ce, {{"Content-Type", "application/cloudevents+json"}});
  auto all = list();
  ASSERT_TRUE(all.count("/shop/orders")) << json(all).dump();
  const std::string path = std::string{sources_path} + "/%2Fshop%2Forders";
  auto one = http().get(path);
  ASSERT_EQ(one.status, 200) << one.describe();
  EXPECT_EQ(one.json(), all["/shop/orders"]);
  auto r = http().put_json(path, {{"enabled", false}});
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.json().value("id", ""), "/shop/orders");
  ce["id"] = "shop-1";
  expect_refused(events_path, ce.dump(),
                 {{"Content-Type", "application/cloudevents+json"}}, "/source",
                 {"shop-1"});
  // Not the same source as "shop/orders" or "/shop".
  publish_ok(http(), make_event("shop.order.created",
                                {{"id", "shop-2"}, {"source", "shop/orders"}}));
  publish_ok(http(), make_event("shop.order.created",
                                {{"id", "shop-3"}, {"source", "/shop"}}));
  EXPECT_TRUE(stored("shop-2"));
  EXPECT_TRUE(stored("shop-3"));
}

TEST_F(sources, a_reader_may_list_but_not_change) {
  publish_ok(http(), from("iam", "iam-0"));
  auto carol = reader("carol");
  auto all = list(carol);
  EXPECT_EQ(all["iam"].value("events", -1), 1);
  EXPECT_EQ(carol.get(std::string{sources_path} + "/iam").status, 200);
  auto r =
      carol.put_json(std::string{sources_path} + "/iam", {{"enabled", false}});
  EXPECT_TRUE(is_api_error(r, 403, {"forbidden"}, std::nullopt));
  EXPECT_EQ(list()["iam"].value("enabled", false), true);
  EXPECT_TRUE(updates().empty());
  publish_ok(http(), from("iam", "iam-1"));
  // Without a credential: 401.
  http_client anonymous = node().http();
  anonymous.set_bearer_token("");
  EXPECT_TRUE(is_api_error(anonymous.get(std::string{sources_path}), 401,
                           {"unauthorized"}, std::nullopt));
}

} // namespace
} // namespace herald::test

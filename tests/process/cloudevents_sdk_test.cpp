// CloudEvents output (DESIGN §2/§7, format=cloudevents) validates in the
// official CloudEvents JavaScript SDK in strict mode — from a query, a
// by-id read and a stream frame — and the SDK's own serialization,
// published back, yields the same event.
//
// Needs Node.js and `npm ci` in tests/cloudevents-sdk (scripts/test.sh runs
// it); without them the tests fail and say so.

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>

#include "runtime/time_format.hpp"
#include "tests/process/process_fixture.hpp"

#ifndef HERALD_CE_SDK_DIR
#define HERALD_CE_SDK_DIR "tests/cloudevents-sdk"
#endif

namespace herald::test {
namespace {

namespace fs = std::filesystem;

/// What the SDK checker (tests/cloudevents-sdk/check.js) said.
struct sdk_verdict {
  bool ok = false;
  std::string error; ///< its stderr, or why it could not run
  json serialized;   ///< its stdout: the SDK's serialization of each event
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class cloudevents_sdk : public process_test {
protected:
  /// Pipes `input` (events, or a query reply) through the SDK checker.
  sdk_verdict check(const std::string& input) {
    sdk_verdict v;
    const fs::path dir{HERALD_CE_SDK_DIR};
    if (!fs::exists(dir / "node_modules" / "cloudevents" / "package.json")) {
      v.error = "the CloudEvents SDK is not installed: run `npm ci` in " +
                dir.string() + " (scripts/test.sh does)";
      return v;
    }
    const auto base = node().work_dir() / ("sdk-" + std::to_string(++runs_));
    std::ofstream(base.string() + ".in") << input;
    const char* node_bin = std::getenv("HERALD_NODE");
    const std::string cmd = std::string{node_bin ? node_bin : "node"} + " '" +
                            (dir / "check.js").string() + "' < '" +
                            base.string() + ".in' > '" + base.string() +
                            ".out' 2> '" + base.string() + ".err'";
    const int status = std::system(cmd.c_str());
    v.ok = status == 0;
    v.error = read_text(base.string() + ".err");
    if (!v.ok && v.error.empty())
      v.error = "`" + cmd + "` exited with status " + std::to_string(status);
    v.serialized =
        json::parse(read_text(base.string() + ".out"), nullptr, false);
    return v;
  }

  /// A variety of events in every accepted input shape; their ids (the
  /// 001 envelope's assigned one included).
  std::vector<std::string> publish_variety() {
    std::vector<std::string> ids = {"ce-full", "ce-bare", "ce-binary", "ce-in",
                                    "ce-002",  "ce-odd",  "123"};
    publish_ok(
        http(),
        json::array(
            {make_event(
                 "iam.user.created",
                 {{"id", "ce-full"},
                  {"source", "iam"},
                  {"time", "2026-11-22T10:00:00.123456789Z"},
                  {"tenant", "acme"},
                  {"user", "alice"},
                  {"scope", "inventory/test/app"},
                  {"allowed_groups", {"g1", "g2"}},
                  {"data", {{"code", 200}, {"tags", {"a", "b"}}}},
                  {"dataschema", "https://example.com/schemas/user.json"},
                  {"traceparent",
                   "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                  {"extensions",
                   {{"myext", "v"},
                    {"count", 5},
                    {"flag", true},
                    {"ratio", 1.5},
                    {"big", 9007199254740993LL},
                    {"obj", {{"a", 1}}}}}}),
             make_event("bare.event", {{"id", "ce-bare"}}),
             make_event("blob.stored",
                        {{"id", "ce-binary"},
                         {"source", "blobs"},
                         {"data_base64", "AAEC/4A="},
                         {"datacontenttype", "application/octet-stream"}}),
             json{{"specversion", "1.0"},
                  {"id", "ce-in"},
                  {"source", "https://example.com/src?x=1#frag"},
                  {"type", "com.example.object.created"},
                  {"subject", "project/p/e"},
                  {"datacontenttype", "text/plain"},
                  {"data", "plain text"},
                  {"partition", "7"}},
             json{{"event_type", "iam.user.deleted"},
                  {"event_id", "ce-002"},
                  {"timestamp", "2026-01-01T00:00:00Z"},
                  {"account_id", "acc-1"},
                  {"context", {{"subject_id", "u-1"}}}},
             // A source no URI-reference can hold as is, and a dataschema
             // that is no URI: CloudEvents output must still validate.
             make_event("odd.source", {{"id", "ce-odd"},
                                       {"source", "Billing Service ä:1"},
                                       {"dataschema", "not a uri"},
                                       {"data", nullptr}})}));
    auto r = http().post_json(
        events_path, json{{"headers",
                           {{"name", "oih.user.created"},
                            {"serviceName", "oih"},
                            {"createdAt", 1700000000123LL}}},
                          {"payload", {{"user", "u"}, {"tenant", "t"}}}});
    EXPECT_TRUE(r.ok()) << r.describe();
    ids.push_back(r.json().value("id", "<none>"));
    auto created = http().post_json("/internal/create-event",
                                    json{{"id", "123"},
                                         {"type", "CREATE_INVENTORY_PROJECT"},
                                         {"timestamp", 12343434343434LL},
                                         {"allowed_roles", {"admin"}},
                                         {"inventory_project", "test"},
                                         {"username", "user"}});
    EXPECT_TRUE(created.ok()) << created.describe();
    return ids;
  }

  int runs_ = 0;
};

TEST_F(cloudevents_sdk, query_output_validates_in_strict_mode) {
  auto ids = publish_variety();
  auto r = http().get(
      with_query(events_path, {{"format", "cloudevents"}, {"limit", "1000"}}));
  ASSERT_EQ(r.status, 200) << r.describe();
  ASSERT_GE(r.json()["events"].size(), ids.size() + 1); // + server.ready
  auto v = check(r.body);
  ASSERT_TRUE(v.ok) << v.error;
  ASSERT_TRUE(v.serialized.is_array());
  EXPECT_EQ(v.serialized.size(), r.json()["events"].size());

  // What Herald did to stay legal: a URI-reference source, no dataschema
  // that is not a URI, extension values of the CloudEvents type system.
  const json body = r.json();
  json by_id;
  for (const auto& e : body["events"])
    by_id[e.value("id", "")] = e;
  EXPECT_EQ(by_id["ce-odd"]["source"], "Billing%20Service%20%C3%A4%3A1");
  EXPECT_FALSE(by_id["ce-odd"].contains("dataschema"));
  EXPECT_EQ(by_id["ce-full"]["ratio"], "1.5");
  EXPECT_EQ(by_id["ce-full"]["big"], "9007199254740993");
  EXPECT_EQ(by_id["ce-full"]["obj"], R"({"a":1})");
  EXPECT_EQ(by_id["ce-full"]["count"], 5);
  EXPECT_EQ(by_id["ce-full"]["flag"], true);
  EXPECT_EQ(by_id["ce-in"]["source"], "https://example.com/src?x=1#frag");
  EXPECT_EQ(by_id["123"]["allowedroles"], R"(["admin"])");
}

TEST_F(cloudevents_sdk, by_id_and_stream_output_validate) {
  auto ids = publish_variety();
  json fetched = json::array();
  for (const auto& id : ids) {
    auto r = http().get(std::string{events_path} + "/" + url_encode(id) +
                        "?format=cloudevents");
    ASSERT_EQ(r.status, 200) << id << ": " << r.describe();
    fetched.push_back(r.json());
  }
  auto v = check(fetched.dump());
  EXPECT_TRUE(v.ok) << v.error;

  ws_client ws;
  ws_connect_options options;
  options.bearer = node().admin_token();
  auto up =
      ws.connect(node().http_port(),
                 with_query("/api/v1/events/stream",
                            {{"format", "cloudevents"}, {"from_seq", "1"}}),
                 options);
  ASSERT_TRUE(up.upgraded) << up.describe();
  auto frames = read_events(ws, ids.size() + 1);
  ASSERT_EQ(frames.size(), ids.size() + 1);
  for (const auto& frame : frames) {
    auto one = check(frame.dump());
    EXPECT_TRUE(one.ok) << one.error;
  }
}

TEST_F(cloudevents_sdk,
       the_sdk_serialization_publishes_back_to_the_same_event) {
  auto ids = publish_variety();
  json originals = json::array();
  for (const auto& id : ids)
    originals.push_back(http()
                            .get(std::string{events_path} + "/" +
                                 url_encode(id) + "?format=cloudevents")
                            .json());
  auto v = check(originals.dump());
  ASSERT_TRUE(v.ok) << v.error;
  ASSERT_EQ(v.serialized.size(), originals.size());
  // Publish the SDK's events under new ids (the old ones would be
  // duplicates), as an SDK client would post them.
  json again = v.serialized;
  for (auto& e : again)
    e["id"] = e["id"].get<std::string>() + "-rt";
  auto r =
      http().post(events_path, again.dump(),
                  {{"Content-Type", "application/cloudevents-batch+json"}});
  ASSERT_TRUE(r.ok()) << r.describe();
  for (size_t i = 0; i < originals.size(); ++i) {
    const auto& before = originals[i];
    const auto id = before["id"].get<std::string>() + "-rt";
    auto after = http()
                     .get(std::string{events_path} + "/" + url_encode(id) +
                          "?format=cloudevents")
                     .json();
    for (const char* key :
         {"type", "source", "subject", "datacontenttype", "dataschema", "data",
          "data_base64", "tenant", "user", "allowedgroups", "traceparent",
          "myext", "count", "flag", "ratio", "partition", "allowedroles"})
      EXPECT_EQ(after.contains(key) ? after[key] : json(),
                before.contains(key) ? before[key] : json())
          << id << " attribute " << key;
    // The SDK writes times to the millisecond.
    auto ms = [](const json& e) {
      auto ns = runtime::parse_rfc3339(e.value("time", ""));
      return ns ? *ns / 1'000'000 : -1;
    };
    EXPECT_EQ(ms(after), ms(before)) << id << " time";
  }
}

TEST_F(cloudevents_sdk, the_checker_rejects_what_is_not_a_cloudevent) {
  // The checker itself must be able to fail, or the tests above prove
  // nothing.
  for (const char* bad :
       {R"([{"specversion":"1.0","id":"x","source":"a b","type":"t"}])",
        R"([{"specversion":"1.0","id":"x","source":"s","type":"t","Bad":1}])",
        R"([{"specversion":"1.0","id":"x","source":"s","type":"t","r":1.5}])",
        R"([{"specversion":"1.0","id":"x","source":"s","type":"t",)"
        R"("dataschema":"rel"}])",
        R"([{"specversion":"1.0","id":"","source":"s","type":"t"}])", "[]"}) {
    auto v = check(bad);
    EXPECT_FALSE(v.ok) << bad;
    EXPECT_FALSE(v.error.empty()) << bad;
  }
}

} // namespace
} // namespace herald::test

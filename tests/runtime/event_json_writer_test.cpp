// The text encoders: native form (must equal to_native_json, in DESIGN's key
// order) and CloudEvents 1.0 structured output (DESIGN §7), which must
// decode back through the CloudEvents input codec to the same event.

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/time_format.hpp"

namespace herald::runtime {
namespace {

using nlohmann::json;

v1::Event full_event() {
  v1::Event ev;
  ev.set_id("e-1");
  ev.set_name("iam.user.created");
  ev.set_source("iam");
  ev.set_time_ns(*parse_rfc3339("2026-11-22T10:00:00.123456789Z"));
  ev.set_tenant("acme");
  ev.set_user("alice \"al\" \xc3\xa9");
  ev.set_scope("inventory/test/app");
  ev.add_allowed_groups("g1");
  ev.add_allowed_groups("g2");
  ev.set_data_json(R"({"plan":"pro","n":[1,2.5,null]})");
  ev.set_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  (*ev.mutable_extensions())["comexampleext"] = R"("v")";
  (*ev.mutable_extensions())["another"] = "42";
  ev.mutable_origin()->set_trigger_id("t1");
  ev.mutable_origin()->set_task_id("k1");
  ev.set_seq(42);
  ev.set_node("n1");
  return ev;
}

TEST(EventJsonWriter, NativeTextEqualsTheJsonValue) {
  auto ev = full_event();
  EXPECT_EQ(json::parse(to_native_json_text(ev)), to_native_json(ev));
  ev.clear_data_json();
  ev.set_data_bytes(std::string("\x00\xff\x10", 3));
  EXPECT_EQ(json::parse(to_native_json_text(ev)), to_native_json(ev));
  EXPECT_EQ(json::parse(to_native_json_text(ev))["data_base64"], "AP8Q");
}

TEST(EventJsonWriter, NativeTextKeepsDesignKeyOrder) {
  auto text = to_native_json_text(full_event());
  auto pos = [&](const char* key) {
    return text.find(std::string{"\""} + key + "\":");
  };
  EXPECT_LT(pos("id"), pos("name"));
  EXPECT_LT(pos("name"), pos("source"));
  EXPECT_LT(pos("time"), pos("tenant"));
  EXPECT_LT(pos("scope"), pos("data"));
  EXPECT_LT(pos("data"), pos("seq"));
  EXPECT_LT(pos("seq"), pos("node"));
}

TEST(EventJsonWriter, CloudEventCarriesHeraldFieldsAsExtensions) {
  auto ce = json::parse(to_cloudevent_json_text(full_event()));
  EXPECT_EQ(ce["specversion"], "1.0");
  EXPECT_EQ(ce["id"], "e-1");
  EXPECT_EQ(ce["type"], "iam.user.created");
  EXPECT_EQ(ce["source"], "iam");
  EXPECT_EQ(ce["subject"], "inventory/test/app");
  EXPECT_EQ(ce["time"], "2026-11-22T10:00:00.123456789Z");
  EXPECT_EQ(ce["datacontenttype"], "application/json");
  EXPECT_EQ(ce["heraldseq"], 42);
  EXPECT_EQ(ce["heraldnode"], "n1");
  EXPECT_EQ(ce["allowedgroups"], "g1,g2");
  EXPECT_EQ(ce["origintrigger"], "t1");
  EXPECT_EQ(ce["origintask"], "k1");
  EXPECT_FALSE(ce.contains("originworkflow"));
  EXPECT_EQ(ce["tenant"], "acme");
  EXPECT_EQ(ce["user"], "alice \"al\" \xc3\xa9");
  EXPECT_EQ(ce["comexampleext"], "v");
  EXPECT_EQ(ce["another"], 42);
  EXPECT_EQ(ce["data"], json::parse(R"({"plan":"pro","n":[1,2.5,null]})"));
  // Every attribute name is legal in CloudEvents: a-z0-9, at most 20.
  for (const auto& [key, value] : ce.items()) {
    if (key == "data_base64")
      continue;
    EXPECT_LE(key.size(), 20u) << key;
    for (char c : key)
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << key;
  }
}

TEST(EventJsonWriter, CloudEventSourceDefaultsToHerald) {
  v1::Event ev;
  ev.set_id("x");
  ev.set_name("a.b");
  ev.set_time_ns(1);
  auto ce = json::parse(to_cloudevent_json_text(ev));
  EXPECT_EQ(ce["source"], "/herald");
  EXPECT_FALSE(ce.contains("data"));
  EXPECT_FALSE(ce.contains("datacontenttype"));
  EXPECT_FALSE(ce.contains("subject"));
}

TEST(EventJsonWriter, CloudEventRoundTripsThroughTheInputCodec) {
  auto ev = full_event();
  ev.clear_origin(); // clients may not set origin
  auto text = to_cloudevent_json_text(ev);
  auto batch = decode_publish(text, {}, 1);
  ASSERT_TRUE(batch) << describe(batch.error()).message;
  ASSERT_EQ(batch->events.size(), 1u);
  const auto& back = batch->events[0];
  EXPECT_EQ(back.id(), ev.id());
  EXPECT_EQ(back.name(), ev.name());
  EXPECT_EQ(back.source(), ev.source());
  EXPECT_EQ(back.time_ns(), ev.time_ns());
  EXPECT_EQ(back.scope(), ev.scope());
  EXPECT_EQ(back.tenant(), ev.tenant());
  EXPECT_EQ(back.user(), ev.user());
  EXPECT_EQ(back.traceparent(), ev.traceparent());
  ASSERT_EQ(back.allowed_groups_size(), 2);
  EXPECT_EQ(json::parse(back.data_json()), json::parse(ev.data_json()));
  EXPECT_EQ(back.extensions().at("comexampleext"), R"("v")");
}

TEST(EventJsonWriter, BinaryDataIsBase64InBothFormats) {
  v1::Event ev;
  ev.set_id("b");
  ev.set_name("blob.put");
  ev.set_time_ns(1);
  ev.set_data_bytes("hello");
  ev.set_datacontenttype("text/plain");
  auto ce = json::parse(to_cloudevent_json_text(ev));
  EXPECT_EQ(ce["data_base64"], "aGVsbG8=");
  EXPECT_EQ(ce["datacontenttype"], "text/plain");
  EXPECT_EQ(json::parse(to_native_json_text(ev))["data_base64"], "aGVsbG8=");
}

} // namespace
} // namespace herald::runtime

namespace herald::runtime {
namespace {

// What CloudEvents' type system and URI rules require of Herald's output
// (the official SDK rejects anything else in strict mode).

TEST(EventJsonWriterCloudEventRules, SourceBecomesAUriReference) {
  v1::Event ev;
  ev.set_id("s");
  ev.set_name("a.b");
  ev.set_time_ns(1);
  ev.set_source("/billing");
  EXPECT_EQ(json::parse(to_cloudevent_json_text(ev))["source"], "/billing");
  ev.set_source("https://example.com/x?y=1");
  EXPECT_EQ(json::parse(to_cloudevent_json_text(ev))["source"],
            "https://example.com/x?y=1");
  ev.set_source("Billing Service");
  EXPECT_EQ(json::parse(to_cloudevent_json_text(ev))["source"],
            "Billing%20Service");
}

TEST(EventJsonWriterCloudEventRules, ExtensionValuesFitTheTypeSystem) {
  v1::Event ev;
  ev.set_id("x");
  ev.set_name("a.b");
  ev.set_time_ns(1);
  auto& ext = *ev.mutable_extensions();
  ext["small"] = "42";
  ext["flag"] = "true";
  ext["text"] = R"("t")";
  ext["fraction"] = "1.5";
  ext["big"] = "4294967296";
  ext["obj"] = R"({"a":1})";
  auto ce = json::parse(to_cloudevent_json_text(ev));
  EXPECT_EQ(ce["small"], 42);
  EXPECT_EQ(ce["flag"], true);
  EXPECT_EQ(ce["text"], "t");
  EXPECT_EQ(ce["fraction"], "1.5");
  EXPECT_EQ(ce["big"], "4294967296");
  EXPECT_EQ(ce["obj"], R"({"a":1})");
}

TEST(EventJsonWriterCloudEventRules, DataschemaOnlyWhenAnAbsoluteUri) {
  v1::Event ev;
  ev.set_id("x");
  ev.set_name("a.b");
  ev.set_time_ns(1);
  ev.set_dataschema("https://example.com/schema.json");
  EXPECT_EQ(json::parse(to_cloudevent_json_text(ev))["dataschema"],
            "https://example.com/schema.json");
  ev.set_dataschema("not a uri");
  EXPECT_FALSE(json::parse(to_cloudevent_json_text(ev)).contains("dataschema"));
}

} // namespace
} // namespace herald::runtime

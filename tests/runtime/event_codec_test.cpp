// Publish bodies in the native form, shared validation, the native output
// form and round trips (CloudEvents and seeds: their own test files).

#include "runtime/event_codec.hpp"

#include <string>
#include <vector>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/time_format.hpp"

namespace herald::runtime {
namespace {

using nlohmann::json;

const int64_t now = parse_rfc3339("2026-11-22T10:00:00.5Z").value();

caf::expected<publish_batch> decode(const std::string& body,
                                    const publish_limits& limits = {}) {
  return decode_publish(body, limits, now);
}

v1::Event decode_one(const std::string& body) {
  auto batch = decode(body);
  if (!batch) {
    ADD_FAILURE() << body << " -> " << describe(batch.error()).to_json();
    return {};
  }
  EXPECT_EQ(batch->events.size(), 1u);
  return batch->events.empty() ? v1::Event{} : batch->events.front();
}

// The error of a rejected body as {code, field}.
std::pair<std::string, std::string>
error_of(const std::string& body, const publish_limits& limits = {}) {
  auto batch = decode(body, limits);
  if (batch)
    return {"accepted", ""};
  auto e = describe(batch.error());
  return {std::string{e.code_str()}, e.field};
}

using error_pair = std::pair<std::string, std::string>;

bool same_event(const v1::Event& a, const v1::Event& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

TEST(CodecNative, MinimalEventGetsIdTimeAndKind) {
  auto ev = decode_one(R"({"name":"iam.user.created"})");
  EXPECT_EQ(ev.name(), "iam.user.created");
  EXPECT_EQ(ev.id().size(), 36u);
  EXPECT_EQ(ev.id()[14], '7'); // UUIDv7
  EXPECT_EQ(ev.time_ns(), now);
  EXPECT_EQ(ev.kind(), v1::KIND_USER);
  EXPECT_EQ(ev.data_case(), v1::Event::DATA_NOT_SET);
  EXPECT_EQ(ev.seq(), 0u);
  EXPECT_TRUE(ev.node().empty());
}

TEST(CodecNative, MapsEveryField) {
  auto ev = decode_one(R"({
    "id": "evt-1", "name": "iam.user.created", "source": "iam",
    "kind": "user", "time": "2026-11-22T11:00:00.123456789+01:00",
    "tenant": "acme", "user": "alice", "scope": "inventory/test/app/1.0",
    "allowed_groups": ["my-group", "ops"],
    "data": {"b": [1, 2.5, "x"], "a": null},
    "datacontenttype": "application/json",
    "dataschema": "https://example.com/schema",
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "extensions": {"comexample": "v", "count": 3},
    "seq": 42, "node": "n1"})");
  EXPECT_EQ(ev.id(), "evt-1");
  EXPECT_EQ(ev.source(), "iam");
  EXPECT_EQ(format_rfc3339(ev.time_ns()), "2026-11-22T10:00:00.123456789Z");
  EXPECT_EQ(ev.tenant(), "acme");
  EXPECT_EQ(ev.user(), "alice");
  EXPECT_EQ(ev.scope(), "inventory/test/app/1.0");
  ASSERT_EQ(ev.allowed_groups_size(), 2);
  EXPECT_EQ(ev.allowed_groups(1), "ops");
  EXPECT_EQ(ev.data_json(), R"({"a":null,"b":[1,2.5,"x"]})");
  EXPECT_EQ(ev.datacontenttype(), "application/json");
  EXPECT_EQ(ev.dataschema(), "https://example.com/schema");
  EXPECT_EQ(ev.traceparent(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(ev.extensions().at("comexample"), R"("v")");
  EXPECT_EQ(ev.extensions().at("count"), "3");
  EXPECT_EQ(ev.seq(), 0u) << "seq is ignored on publish";
  EXPECT_TRUE(ev.node().empty()) << "node is ignored on publish";
}

TEST(CodecNative, DataBase64IsDecodedToBytes) {
  auto ev = decode_one(R"({"name":"a","data_base64":"AAEC/w=="})");
  EXPECT_EQ(ev.data_bytes(), std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(decode_one(R"({"name":"a","data_base64":""})").data_case(),
            v1::Event::kDataBytes);
  EXPECT_EQ(error_of(R"({"name":"a","data_base64":"AA=A"})"),
            error_pair("invalid_field", "/data_base64"));
  EXPECT_EQ(error_of(R"({"name":"a","data_base64":"A"})"),
            error_pair("invalid_field", "/data_base64"));
  EXPECT_EQ(error_of(R"({"name":"a","data":1,"data_base64":"AA=="})"),
            error_pair("invalid_field", "/data_base64"));
}

TEST(CodecNative, NullDataIsNoData) {
  EXPECT_EQ(decode_one(R"({"name":"a","data":null})").data_case(),
            v1::Event::DATA_NOT_SET);
  EXPECT_EQ(decode_one(R"({"name":"a","data":"text"})").data_json(),
            R"("text")");
}

TEST(CodecNative, BatchKeepsOrderAndPointsIntoTheArray) {
  auto batch = decode(R"([{"name":"a.one"},{"name":"a.two"}])");
  ASSERT_TRUE(batch);
  EXPECT_TRUE(batch->is_array);
  ASSERT_EQ(batch->events.size(), 2u);
  EXPECT_EQ(batch->events[0].name(), "a.one");
  EXPECT_EQ(batch->events[1].name(), "a.two");
  EXPECT_LT(batch->events[0].id(), batch->events[1].id());
  EXPECT_FALSE(decode(R"({"name":"a"})")->is_array);
  EXPECT_EQ(error_of(R"([{"name":"a"},{"name":"b..c"}])"),
            error_pair("invalid_name", "/1/name"));
  EXPECT_EQ(error_of(R"([{"name":"a"},{"name":"b","origin":{}}])"),
            error_pair("forbidden_field", "/1/origin"));
  EXPECT_EQ(error_of(R"([{"name":"a"}, 3])"),
            error_pair("invalid_field", "/1"));
}

TEST(CodecNative, RejectsBadBodies) {
  EXPECT_EQ(error_of(""), error_pair("invalid_json", ""));
  EXPECT_EQ(error_of("{\"name\":"), error_pair("invalid_json", ""));
  EXPECT_EQ(error_of("not json"), error_pair("invalid_json", ""));
  EXPECT_EQ(error_of("{\"name\":\"a\"} x"), error_pair("invalid_json", ""));
  EXPECT_EQ(error_of("\"a string\""), error_pair("invalid_field", ""));
  EXPECT_EQ(error_of("[]"), error_pair("invalid_field", ""));
  EXPECT_EQ(describe(decode("[]").error()).message, "empty batch");
  // Invalid UTF-8 inside a string is not JSON.
  EXPECT_EQ(error_of("{\"name\":\"a\",\"user\":\"\xff\"}"),
            error_pair("invalid_json", ""));
}

TEST(CodecNative, EnforcesBatchAndDepthLimits) {
  publish_limits limits;
  limits.max_batch = 2;
  EXPECT_TRUE(decode(R"([{"name":"a"},{"name":"b"}])", limits));
  EXPECT_EQ(error_of(R"([{"name":"a"},{"name":"b"},{"name":"c"}])", limits),
            error_pair("too_large", ""));
  const std::string deep = R"({"name":"a","data":)" + std::string(200, '[') +
                           std::string(200, ']') + "}";
  EXPECT_EQ(error_of(deep), error_pair("invalid_json", ""));
  const std::string ok = R"({"name":"a","data":)" + std::string(100, '[') +
                         std::string(100, ']') + "}";
  EXPECT_TRUE(decode(ok));
  // Accepted events stay publishable in their native form inside a batch:
  // data may nest max_json_depth - 2 levels, extension values one less.
  const auto nested = [](int n) {
    return std::string(static_cast<size_t>(n), '[') +
           std::string(static_cast<size_t>(n), ']');
  };
  EXPECT_TRUE(decode(R"({"name":"a","data":)" + nested(126) + "}"));
  EXPECT_EQ(error_of(R"({"name":"a","data":)" + nested(127) + "}"),
            error_pair("invalid_json", "/data"));
  EXPECT_EQ(error_of(R"({"name":"a","extensions":{"x":)" + nested(126) + "}}"),
            error_pair("invalid_json", "/extensions/x"));
  // Brackets inside strings do not count.
  EXPECT_TRUE(
      decode(R"({"name":"a","data":")" + std::string(500, '[') + R"("})"));
}

TEST(CodecNative, EnforcesEventSize) {
  publish_limits limits;
  limits.max_event_bytes = 100;
  const std::string big =
      R"({"name":"a","data":")" + std::string(200, 'x') + R"("})";
  EXPECT_EQ(error_of(big, limits), error_pair("too_large", ""));
  EXPECT_EQ(error_of("[" + big + "]", limits), error_pair("too_large", "/0"));
  EXPECT_TRUE(decode(R"({"name":"a","data":"small"})", limits));
}

TEST(CodecNative, ReservedAndUnknownFields) {
  EXPECT_EQ(error_of(R"({"name":"a","origin":{"task_id":"t"}})"),
            error_pair("forbidden_field", "/origin"));
  EXPECT_EQ(error_of(R"({"name":"a","kind":"sys"})"),
            error_pair("forbidden_field", "/kind"));
  EXPECT_EQ(error_of(R"({"name":"a","kind":"other"})"),
            error_pair("invalid_field", "/kind"));
  EXPECT_EQ(error_of(R"({"name":"a","kind":1})"),
            error_pair("invalid_field", "/kind"));
  EXPECT_EQ(error_of(R"({"name":"a","colour":"red"})"),
            error_pair("unknown_field", "/colour"));
  EXPECT_EQ(error_of(R"({"name":"a","a/b~c":1})"),
            error_pair("unknown_field", "/a~1b~0c"));
  EXPECT_EQ(error_of(R"([{"name":"a"},{"name":"a","x":1}])"),
            error_pair("unknown_field", "/1/x"));
  EXPECT_TRUE(decode(R"({"name":"a","seq":"anything","node":[1]})"));
}

TEST(CodecNative, NameIsRequiredAndValid) {
  EXPECT_EQ(error_of(R"({"source":"iam"})"),
            error_pair("invalid_name", "/name"));
  EXPECT_EQ(error_of(R"({"name":""})"), error_pair("invalid_name", "/name"));
  EXPECT_EQ(error_of(R"({"name":5})"), error_pair("invalid_name", "/name"));
  EXPECT_EQ(error_of(R"({"name":"a..b"})"),
            error_pair("invalid_name", "/name"));
  EXPECT_EQ(error_of(R"({"name":"a.*"})"), error_pair("invalid_name", "/name"));
  EXPECT_EQ(error_of(R"({"name":"a b"})"), error_pair("invalid_name", "/name"));
  EXPECT_TRUE(decode(R"({"name":"secret-service.auth-client.created_1"})"));
}

TEST(CodecNative, WrongJsonTypesAreInvalidField) {
  for (const char* field :
       {"id", "source", "time", "tenant", "user", "scope", "datacontenttype",
        "dataschema", "traceparent", "data_base64"}) {
    const auto body = json{{"name", "a"}, {field, 5}}.dump();
    EXPECT_EQ(error_of(body),
              error_pair("invalid_field", std::string{"/"} + field))
        << body;
  }
  EXPECT_EQ(error_of(R"({"name":"a","allowed_groups":"g"})"),
            error_pair("invalid_field", "/allowed_groups"));
  EXPECT_EQ(error_of(R"({"name":"a","allowed_groups":["g",1]})"),
            error_pair("invalid_field", "/allowed_groups/1"));
  EXPECT_EQ(error_of(R"({"name":"a","extensions":[]})"),
            error_pair("invalid_field", "/extensions"));
}

TEST(CodecNative, FieldSyntaxErrorsHaveTheirCodes) {
  EXPECT_EQ(error_of(R"({"name":"a","time":"yesterday"})"),
            error_pair("invalid_time", "/time"));
  EXPECT_EQ(error_of(R"({"name":"a","time":"2026-02-30T00:00:00Z"})"),
            error_pair("invalid_time", "/time"));
  EXPECT_EQ(error_of(R"({"name":"a","scope":"a//b"})"),
            error_pair("invalid_scope", "/scope"));
  EXPECT_EQ(error_of(R"({"name":"a","id":" x"})"),
            error_pair("invalid_id", "/id"));
  EXPECT_EQ(error_of(R"({"name":"a","id":""})"),
            error_pair("invalid_id", "/id"));
  EXPECT_EQ(error_of(R"({"name":"a","id":"caf\u00e9"})"),
            error_pair("invalid_id", "/id"));
  EXPECT_EQ(error_of(json{{"name", "a"}, {"id", std::string(257, 'x')}}.dump()),
            error_pair("invalid_id", "/id"));
  EXPECT_TRUE(
      decode(json{{"name", "a"}, {"id", std::string(256, 'x')}}.dump()));
  EXPECT_EQ(error_of(R"({"name":"a","traceparent":"00-abc-def-01"})"),
            error_pair("invalid_field", "/traceparent"));
  EXPECT_EQ(error_of(R"({"name":"a","extensions":{"Bad":1}})"),
            error_pair("invalid_field", "/extensions/Bad"));
  EXPECT_EQ(error_of(R"({"name":"a","extensions":{"tenant":"x"}})"),
            error_pair("invalid_field", "/extensions/tenant"));
}

TEST(CodecNative, TextFieldsAreBounded) {
  for (const char* field : {"source", "tenant", "user"}) {
    EXPECT_TRUE(
        decode(json{{"name", "a"}, {field, std::string(256, 'x')}}.dump()));
    EXPECT_EQ(
        error_of(json{{"name", "a"}, {field, std::string(257, 'x')}}.dump()),
        error_pair("invalid_field", std::string{"/"} + field));
  }
}

TEST(CodecNative, AllowedGroupsAreBounded) {
  json groups = json::array();
  for (int i = 0; i < 64; ++i)
    groups.push_back("g" + std::to_string(i));
  EXPECT_TRUE(decode(json{{"name", "a"}, {"allowed_groups", groups}}.dump()));
  groups.push_back("one-too-many");
  EXPECT_EQ(error_of(json{{"name", "a"}, {"allowed_groups", groups}}.dump()),
            error_pair("invalid_field", "/allowed_groups"));
  EXPECT_EQ(error_of(R"({"name":"a","allowed_groups":["ok",""]})"),
            error_pair("invalid_field", "/allowed_groups/1"));
  EXPECT_EQ(
      error_of(json{{"name", "a"}, {"allowed_groups", {std::string(257, 'g')}}}
                   .dump()),
      error_pair("invalid_field", "/allowed_groups/0"));
}

TEST(CodecValidation, ScopeSyntax) {
  for (const char* ok : {"inventory", "inventory/test/app/1.0",
                         "a-b_c.d~e@f:g+h", "project/p/env/deployment"})
    EXPECT_TRUE(is_valid_scope(ok)) << ok;
  for (const char* bad : {"", "/a", "a/", "a//b", "a b", "a/b?", "é", "a\\b"})
    EXPECT_FALSE(is_valid_scope(bad)) << bad;
  EXPECT_TRUE(is_valid_scope(std::string(1024, 'a')));
  EXPECT_FALSE(is_valid_scope(std::string(1025, 'a')));
}

TEST(CodecValidation, IdSyntax) {
  for (const char* ok :
       {"x", "0190c3e2-0000-7000-8000-000000000000", "a b", "~!@#$%^&*()"})
    EXPECT_TRUE(is_valid_id(ok)) << ok;
  for (const char* bad : {"", " a", "a ", "a\tb", "a\nb", "caf\xc3\xa9"})
    EXPECT_FALSE(is_valid_id(bad)) << bad;
  EXPECT_FALSE(is_valid_id(std::string("a\0b", 3)));
}

TEST(CodecValidation, TraceparentSyntax) {
  const std::string ok =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EXPECT_TRUE(is_valid_traceparent(ok));
  EXPECT_TRUE(is_valid_traceparent(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
  for (const std::string& bad : std::vector<std::string>{
           std::string{"ff"} + ok.substr(2), // version ff
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ""})
    EXPECT_FALSE(is_valid_traceparent(bad)) << bad;
}

TEST(CodecValidation, ValidateEventAssignsIdAndTime) {
  v1::Event ev;
  ev.set_name("x.y");
  ASSERT_FALSE(validate_event(ev, "", {}, now));
  EXPECT_EQ(ev.id().size(), 36u);
  EXPECT_EQ(ev.time_ns(), now);
  ev.set_scope("bad scope");
  auto e = describe(validate_event(ev, "/2", {}, now));
  EXPECT_EQ(e.code, errc::invalid_scope);
  EXPECT_EQ(e.field, "/2/scope");
  ev.clear_scope();
  (*ev.mutable_extensions())["Bad"] = "1";
  e = describe(validate_event(ev, "", {}, now));
  EXPECT_EQ(e.code, errc::invalid_field);
  EXPECT_EQ(e.field, "/extensions/Bad");
}

TEST(CodecValidation, ExtensionNames) {
  EXPECT_TRUE(is_valid_extension_name("comexampleextension1"));
  EXPECT_TRUE(is_valid_extension_name("a"));
  EXPECT_FALSE(is_valid_extension_name("comexampleextension12")); // 21
  EXPECT_FALSE(is_valid_extension_name(""));
  EXPECT_FALSE(is_valid_extension_name("Upper"));
  EXPECT_FALSE(is_valid_extension_name("with_underscore"));
  for (const char* mapped :
       {"id", "type", "subject", "time", "tenant", "user", "traceparent",
        "allowedgroups", "heraldseq", "origintask", "data"})
    EXPECT_FALSE(is_valid_extension_name(mapped)) << mapped;
}

TEST(CodecDecodeNative, ChecksOneObject) {
  auto ev = decode_native(json{{"name", "a.b"}, {"tenant", "t"}}, "/4", now);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->tenant(), "t");
  EXPECT_EQ(ev->time_ns(), now);
  auto bad = decode_native(json{{"name", "a"}, {"x", 1}}, "/4", now);
  ASSERT_FALSE(bad);
  EXPECT_EQ(describe(bad.error()).field, "/4/x");
  EXPECT_FALSE(decode_native(json::array(), "", now));
}

TEST(CodecDecodeEventObject, DetectsTheShapeAndValidates) {
  auto ce = decode_event_object(json::parse(R"({"specversion":"1.0","id":"1",
                                  "source":"s","type":"a.b"})"),
                                "/0", {}, now);
  ASSERT_TRUE(ce);
  EXPECT_EQ(ce->name(), "a.b");
  auto bad =
      decode_event_object(json{{"headers", {{"name", "a b"}}}}, "/7", {}, now);
  ASSERT_FALSE(bad);
  EXPECT_EQ(describe(bad.error()).field, "/7/headers/name");
  auto native = decode_event_object(json{{"name", "x"}}, "", {}, now);
  ASSERT_TRUE(native);
  EXPECT_EQ(native->id().size(), 36u);
}

TEST(CodecNativeOut, OmitsAbsentFieldsAndNeverWritesNull) {
  v1::Event ev;
  ev.set_id("i");
  ev.set_name("a.b");
  ev.set_time_ns(0);
  const auto out = to_native_json(ev);
  EXPECT_EQ(out, json::parse(R"({"id":"i","name":"a.b","kind":"user",
                                 "time":"1970-01-01T00:00:00Z"})"));
  ev.mutable_origin(); // present but empty: still omitted
  EXPECT_FALSE(to_native_json(ev).contains("origin"));
  EXPECT_EQ(
      to_native_json_text(ev),
      R"({"id":"i","name":"a.b","kind":"user","time":"1970-01-01T00:00:00Z"})");
}

TEST(CodecNativeOut, WritesEveryField) {
  v1::Event ev;
  ev.set_id("i");
  ev.set_name("a.b");
  ev.set_source("s");
  ev.set_kind(v1::KIND_SYS);
  ev.set_time_ns(1'500'000'000);
  ev.set_tenant("t");
  ev.set_user("u");
  ev.set_scope("x/y");
  ev.add_allowed_groups("g");
  ev.set_data_bytes("\x01\x02");
  ev.set_datacontenttype("application/octet-stream");
  ev.set_dataschema("urn:s");
  ev.set_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ev.mutable_origin()->set_task_id("task");
  (*ev.mutable_extensions())["ext"] = R"({"k":[1]})";
  ev.set_seq(42);
  ev.set_node("n1");
  ev.set_accept_time_ns(99);
  EXPECT_EQ(to_native_json(ev), json::parse(R"({
    "id":"i","name":"a.b","source":"s","kind":"sys",
    "time":"1970-01-01T00:00:01.5Z","tenant":"t","user":"u","scope":"x/y",
    "allowed_groups":["g"],"data_base64":"AQI=",
    "datacontenttype":"application/octet-stream","dataschema":"urn:s",
    "traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "origin":{"task_id":"task"},"extensions":{"ext":{"k":[1]}},
    "seq":42,"node":"n1"})"));
  ev.set_data_json(R"({"a":1})");
  EXPECT_EQ(to_native_json(ev)["data"], json::parse(R"({"a":1})"));
  EXPECT_FALSE(to_native_json(ev).contains("data_base64"));
}

TEST(CodecNativeOut, SystemEvent) {
  auto ev = make_system_event("server.ready", json{{"node", "n1"}}, now);
  EXPECT_EQ(ev.kind(), v1::KIND_SYS);
  EXPECT_EQ(ev.source(), "herald");
  EXPECT_EQ(ev.name(), "server.ready");
  EXPECT_EQ(ev.time_ns(), now);
  EXPECT_EQ(ev.id().size(), 36u);
  EXPECT_EQ(ev.data_json(), R"({"node":"n1"})");
  EXPECT_FALSE(make_system_event("x", json{}, now).has_data_json());
  // A client may not publish it back.
  EXPECT_EQ(error_of(to_native_json_text(ev)),
            error_pair("forbidden_field", "/kind"));
}

TEST(CodecRoundTrip, NativeOutDecodesToTheSameEvent) {
  const char* bodies[] = {
      R"({"name":"a"})",
      R"({"name":"iam.user.created","source":"iam","tenant":"acme",
        "user":"alice","scope":"inventory/test/app/1.0",
        "time":"1969-07-20T20:17:40.1+00:00","allowed_groups":["g1","g 2"],
        "data":{"x":[1,-2.5e-3,true,null,"\u00fc\u0000"],"big":18446744073709551615},
        "datacontenttype":"application/json","dataschema":"urn:x",
        "traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "extensions":{"a1":"s","n":1.5,"o":{"k":[]}}})",
      R"({"name":"b","id":"my id","data_base64":"/+7dzA==",
        "datacontenttype":"image/png","time":"2262-04-11T23:47:16.854775807Z"})",
      R"({"name":"c","data":"plain text","datacontenttype":"text/plain"})",
      R"({"name":"d","data":-0.0})",
      R"({"name":"e","data_base64":""})",
  };
  for (const char* body : bodies) {
    auto first = decode_one(body);
    auto text = to_native_json_text(first);
    auto second = decode_one(text);
    EXPECT_TRUE(same_event(first, second))
        << body << "\n -> " << text << "\n -> " << to_native_json_text(second);
  }
}

TEST(CodecRoundTrip, SeqAndNodeAreDropped) {
  auto ev = decode_one(R"({"name":"a","id":"x"})");
  ev.set_seq(7);
  ev.set_node("n1");
  auto back = decode_one(to_native_json_text(ev));
  ev.clear_seq();
  ev.clear_node();
  EXPECT_TRUE(same_event(ev, back));
}

} // namespace
} // namespace herald::runtime

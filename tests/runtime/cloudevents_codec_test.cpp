// CloudEvents 1.0 in: structured JSON (single, batch, mixed) and binary mode.

#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/time_format.hpp"
#include "tests/runtime/codec_test_support.hpp"

namespace herald::runtime {
namespace {

using nlohmann::json;
using header_list = std::vector<std::pair<std::string, std::string>>;

using codec_test::error_pair;
const int64_t now = codec_test::fixed_now;

v1::Event decode_one(const std::string& body) {
  return codec_test::decode_one_with(decode_publish, body);
}

error_pair error_of(const std::string& body) {
  return codec_test::error_of_with(decode_publish, body);
}

// A structured CloudEvent with the required attributes plus `extra`.
std::string ce(json extra = json::object()) {
  json obj = {{"specversion", "1.0"},
              {"id", "A234-1234-1234"},
              {"source", "https://github.com/cloudevents/spec/pull"},
              {"type", "com.github.pull_request.opened"}};
  for (auto& [k, v] : extra.items()) {
    if (v.is_null() && k.rfind("drop_", 0) == 0)
      obj.erase(k.substr(5));
    else
      obj[k] = v;
  }
  return obj.dump();
}

TEST(CodecCloudEvents, StructuredMapsContextAttributes) {
  auto ev = decode_one(ce({{"subject", "inventory/test/app"},
                           {"time", "2018-04-05T17:31:00Z"},
                           {"datacontenttype", "application/json"},
                           {"dataschema", "https://example.com/s.json"},
                           {"data", {{"pr", 42}}}}));
  EXPECT_EQ(ev.id(), "A234-1234-1234");
  EXPECT_EQ(ev.source(), "https://github.com/cloudevents/spec/pull");
  EXPECT_EQ(ev.name(), "com.github.pull_request.opened");
  EXPECT_EQ(ev.scope(), "inventory/test/app");
  EXPECT_EQ(format_rfc3339(ev.time_ns()), "2018-04-05T17:31:00Z");
  EXPECT_EQ(ev.datacontenttype(), "application/json");
  EXPECT_EQ(ev.dataschema(), "https://example.com/s.json");
  EXPECT_EQ(ev.data_json(), R"({"pr":42})");
  EXPECT_EQ(ev.kind(), v1::KIND_USER);
  EXPECT_TRUE(ev.extensions().empty());
}

TEST(CodecCloudEvents, StructuredMapsHeraldExtensionsAndKeepsOthers) {
  auto ev = decode_one(ce({
      {"tenant", "acme"},
      {"user", "alice"},
      {"traceparent",
       "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
      {"allowedgroups", "ops, dev,qa"},
      {"heraldseq", 9},
      {"heraldnode", "n2"},
      {"comexampleextension1", "value"},
      {"count", 5},
      {"flag", true},
      {"nothing", nullptr},
  }));
  EXPECT_EQ(ev.tenant(), "acme");
  EXPECT_EQ(ev.user(), "alice");
  EXPECT_EQ(ev.traceparent(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_EQ(ev.allowed_groups_size(), 3);
  EXPECT_EQ(ev.allowed_groups(0), "ops");
  EXPECT_EQ(ev.allowed_groups(1), "dev");
  EXPECT_EQ(ev.allowed_groups(2), "qa");
  EXPECT_EQ(ev.seq(), 0u);
  EXPECT_TRUE(ev.node().empty());
  EXPECT_EQ(ev.extensions().size(), 3u);
  EXPECT_EQ(ev.extensions().at("comexampleextension1"), R"("value")");
  EXPECT_EQ(ev.extensions().at("count"), "5");
  EXPECT_EQ(ev.extensions().at("flag"), "true");
}

TEST(CodecCloudEvents, StructuredKeepsBase64AndNonJsonData) {
  auto bin = decode_one(ce({{"data_base64", "SGVsbG8="},
                            {"datacontenttype", "application/octet-stream"}}));
  EXPECT_EQ(bin.data_bytes(), "Hello");
  EXPECT_EQ(bin.datacontenttype(), "application/octet-stream");
  auto text = decode_one(
      ce({{"data", "<much wow=\"xml\"/>"}, {"datacontenttype", "text/xml"}}));
  EXPECT_EQ(text.data_json(), R"("<much wow=\"xml\"/>")");
  EXPECT_EQ(text.datacontenttype(), "text/xml");
  EXPECT_EQ(to_native_json(text)["data"], "<much wow=\"xml\"/>");
}

TEST(CodecCloudEvents, StructuredErrorsNameTheAttribute) {
  EXPECT_EQ(error_of(ce({{"specversion", "0.3"}})),
            error_pair("invalid_field", "/specversion"));
  EXPECT_EQ(error_of(ce({{"specversion", 1.0}})),
            error_pair("invalid_field", "/specversion"));
  EXPECT_EQ(error_of(ce({{"drop_id", nullptr}})),
            error_pair("missing_field", "/id"));
  EXPECT_EQ(error_of(ce({{"drop_source", nullptr}})),
            error_pair("missing_field", "/source"));
  EXPECT_EQ(error_of(ce({{"drop_type", nullptr}})),
            error_pair("missing_field", "/type"));
  EXPECT_EQ(error_of(ce({{"id", ""}})), error_pair("invalid_id", "/id"));
  EXPECT_EQ(error_of(ce({{"id", 7}})), error_pair("invalid_field", "/id"));
  EXPECT_EQ(error_of(ce({{"source", ""}})),
            error_pair("invalid_field", "/source"));
  EXPECT_EQ(error_of(ce({{"type", "not a name"}})),
            error_pair("invalid_name", "/type"));
  EXPECT_EQ(error_of(ce({{"type", 3}})), error_pair("invalid_name", "/type"));
  EXPECT_EQ(error_of(ce({{"subject", "a//b"}})),
            error_pair("invalid_scope", "/subject"));
  EXPECT_EQ(error_of(ce({{"time", "2018-04-05 17:31:00Z"}})),
            error_pair("invalid_time", "/time"));
  EXPECT_EQ(error_of(ce({{"data", 1}, {"data_base64", "AA=="}})),
            error_pair("invalid_field", "/data_base64"));
  EXPECT_EQ(error_of(ce({{"data_base64", "%%"}})),
            error_pair("invalid_field", "/data_base64"));
  EXPECT_EQ(error_of(ce({{"tenant", 1}})),
            error_pair("invalid_field", "/tenant"));
  EXPECT_EQ(error_of(ce({{"tenant", std::string(257, 't')}})),
            error_pair("invalid_field", "/tenant"));
  EXPECT_EQ(error_of(ce({{"traceparent", "00-x"}})),
            error_pair("invalid_field", "/traceparent"));
  EXPECT_EQ(error_of(ce({{"allowedgroups", "a,,b"}})),
            error_pair("invalid_field", "/allowedgroups"));
  EXPECT_EQ(error_of(ce({{"origintrigger", "t1"}})),
            error_pair("forbidden_field", "/origintrigger"));
  EXPECT_EQ(error_of(ce({{"originworkflow", "w"}})),
            error_pair("forbidden_field", "/originworkflow"));
  EXPECT_EQ(error_of(ce({{"origintask", "t"}})),
            error_pair("forbidden_field", "/origintask"));
  EXPECT_EQ(error_of(ce({{"Upper", "x"}})),
            error_pair("invalid_field", "/Upper"));
  EXPECT_EQ(error_of(ce({{"name", "x"}})).first, "accepted")
      << "a legal extension name is kept";
  EXPECT_EQ(error_of(ce({{"abcdefghijabcdefghijk", "x"}})),
            error_pair("invalid_field", "/abcdefghijabcdefghijk"));
}

TEST(CodecCloudEvents, BatchesMayMixShapes) {
  const std::string body =
      "[" + ce() + R"(,{"name":"native.one"},)" + ce({{"type", "x..y"}}) + "]";
  EXPECT_EQ(error_of(body), error_pair("invalid_name", "/2/type"));
  auto batch =
      decode_publish("[" + ce() + R"(,{"name":"native.one"}])", {}, now);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->events.size(), 2u);
  EXPECT_EQ(batch->events[0].name(), "com.github.pull_request.opened");
  EXPECT_EQ(batch->events[1].name(), "native.one");
}

TEST(CodecCloudEvents, StructuredRoundTripsThroughNativeForm) {
  auto first = decode_one(ce({{"subject", "s/t"},
                              {"tenant", "acme"},
                              {"allowedgroups", "a,b"},
                              {"comexample", {{"nested", true}}},
                              {"data", {1, 2}}}));
  auto second = decode_one(to_native_json_text(first));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(first, second))
      << to_native_json_text(first);
}

// --- binary mode ----------------------------------------------------------

header_list required_headers() {
  return {{"ce-specversion", "1.0"},
          {"ce-id", "b-1"},
          {"ce-source", "/sensors/7"},
          {"ce-type", "sensor.reading"}};
}

caf::expected<publish_batch> binary(header_list headers,
                                    std::string_view content_type,
                                    std::string_view body) {
  return decode_cloudevent_binary(headers, content_type, body, {}, now);
}

error_pair binary_error(header_list headers, std::string_view content_type = {},
                        std::string_view body = {}) {
  auto batch = binary(std::move(headers), content_type, body);
  if (batch)
    return {"accepted", ""};
  auto e = describe(batch.error());
  return {std::string{e.code_str()}, e.field};
}

header_list with(header_list h,
                 std::vector<std::pair<std::string, std::string>> extra) {
  h.insert(h.end(), extra.begin(), extra.end());
  return h;
}

TEST(CodecCloudEventsBinary, MapsHeadersAndJsonBody) {
  auto h = with(required_headers(), {{"CE-Subject", "plant/7"},
                                     {"ce-time", "2026-11-22T10:00:00+02:00"},
                                     {"ce-tenant", "acme"},
                                     {"ce-user", "al%C3%AFce"},
                                     {"ce-allowedgroups", "ops,dev"},
                                     {"ce-dataschema", "urn:schema"},
                                     {"ce-comexample", "v%2C1"},
                                     {"ce-heraldseq", "5"},
                                     {"x-other-header", "ignored"}});
  auto batch = binary(h, "application/json; charset=utf-8", R"({"t": 21.5})");
  ASSERT_TRUE(batch) << describe(batch.error()).to_json();
  EXPECT_FALSE(batch->is_array);
  const auto& ev = batch->events.at(0);
  EXPECT_EQ(ev.id(), "b-1");
  EXPECT_EQ(ev.source(), "/sensors/7");
  EXPECT_EQ(ev.name(), "sensor.reading");
  EXPECT_EQ(ev.scope(), "plant/7");
  EXPECT_EQ(format_rfc3339(ev.time_ns()), "2026-11-22T08:00:00Z");
  EXPECT_EQ(ev.tenant(), "acme");
  EXPECT_EQ(ev.user(), "al\xc3\xaf"
                       "ce");
  EXPECT_EQ(ev.allowed_groups_size(), 2);
  EXPECT_EQ(ev.dataschema(), "urn:schema");
  EXPECT_EQ(ev.extensions().at("comexample"), R"("v,1")");
  EXPECT_EQ(ev.datacontenttype(), "application/json; charset=utf-8");
  EXPECT_EQ(ev.data_json(), R"({"t":21.5})");
}

TEST(CodecCloudEventsBinary, BodyByContentType) {
  auto text = binary(required_headers(), "text/plain", "hello");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->events[0].data_bytes(), "hello");
  EXPECT_EQ(text->events[0].datacontenttype(), "text/plain");
  auto plus = binary(required_headers(), "application/vnd.x+json", "[1]");
  ASSERT_TRUE(plus);
  EXPECT_EQ(plus->events[0].data_json(), "[1]");
  auto tj = binary(required_headers(), "Text/JSON", "\"s\"");
  ASSERT_TRUE(tj);
  EXPECT_EQ(tj->events[0].data_json(), "\"s\"");
  auto none = binary(required_headers(), "application/json", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->events[0].data_case(), v1::Event::DATA_NOT_SET);
  auto untyped = binary(required_headers(), "", std::string("\0\1", 2));
  ASSERT_TRUE(untyped);
  EXPECT_EQ(untyped->events[0].data_bytes(), std::string("\0\1", 2));
  EXPECT_EQ(binary_error(required_headers(), "application/json", "{bad"),
            error_pair("invalid_json", ""));
}

TEST(CodecCloudEventsBinary, ErrorsNameTheHeader) {
  for (const char* h : {"ce-specversion", "ce-id", "ce-source", "ce-type"}) {
    auto headers = required_headers();
    std::erase_if(headers, [&](auto& kv) { return kv.first == h; });
    EXPECT_EQ(binary_error(headers), error_pair("missing_field", h));
  }
  auto replace = [](std::string name, std::string value) {
    auto headers = required_headers();
    for (auto& kv : headers)
      if (kv.first == name)
        kv.second = value;
    return headers;
  };
  EXPECT_EQ(binary_error(replace("ce-specversion", "0.3")),
            error_pair("invalid_field", "ce-specversion"));
  EXPECT_EQ(binary_error(replace("ce-type", "a b")),
            error_pair("invalid_name", "ce-type"));
  EXPECT_EQ(binary_error(replace("ce-id", " x")),
            error_pair("invalid_id", "ce-id"));
  EXPECT_EQ(binary_error(replace("ce-source", "")),
            error_pair("invalid_field", "ce-source"));
  EXPECT_EQ(binary_error(with(required_headers(), {{"ce-subject", "a//b"}})),
            error_pair("invalid_scope", "ce-subject"));
  EXPECT_EQ(binary_error(with(required_headers(), {{"ce-time", "now"}})),
            error_pair("invalid_time", "ce-time"));
  EXPECT_EQ(binary_error(with(required_headers(), {{"ce-user", "%zz"}})),
            error_pair("invalid_field", "ce-user"));
  EXPECT_EQ(binary_error(with(required_headers(), {{"ce-user", "%ff"}})),
            error_pair("invalid_field", "ce-user"));
  EXPECT_EQ(binary_error(with(required_headers(),
                              {{"ce-tenant", std::string(300, 't')}})),
            error_pair("invalid_field", "ce-tenant"));
  EXPECT_EQ(binary_error(with(required_headers(), {{"ce-origintask", "t"}})),
            error_pair("forbidden_field", "ce-origintask"));
  EXPECT_EQ(binary_error(with(required_headers(), {{"ce-bad_name", "x"}})),
            error_pair("invalid_field", "ce-bad_name"));
  EXPECT_EQ(binary_error(with(required_headers(), {{"ce-traceparent", "x"}})),
            error_pair("invalid_field", "ce-traceparent"));
  EXPECT_EQ(binary_error(with(required_headers(), {{"ce-id", "again"}})),
            error_pair("invalid_field", "ce-id"));
  publish_limits small;
  small.max_event_bytes = 64;
  auto big = decode_cloudevent_binary(required_headers(), "text/plain",
                                      std::string(100, 'x'), small, now);
  ASSERT_FALSE(big);
  EXPECT_EQ(describe(big.error()).code, errc::too_large);
}

TEST(CodecCloudEventsBinary, RoundTripsThroughNativeForm) {
  auto batch = binary(with(required_headers(), {{"ce-myext", "1"}}),
                      "application/octet-stream", "\x01\x02\x03");
  ASSERT_TRUE(batch);
  const auto& first = batch->events[0];
  auto again = decode_publish(to_native_json_text(first), {}, now);
  ASSERT_TRUE(again);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      first, again->events[0]));
}

} // namespace
} // namespace herald::runtime

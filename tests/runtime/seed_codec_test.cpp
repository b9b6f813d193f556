// Seed shapes: 001's envelope and 002's resource-lifecycle event.

#include <string>

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

using codec_test::error_pair;
const int64_t now = codec_test::fixed_now;

v1::Event decode_one(const std::string& body) {
  return codec_test::decode_one_with(decode_publish, body);
}

error_pair error_of(const std::string& body) {
  return codec_test::error_of_with(decode_publish, body);
}

void expect_round_trip(const v1::Event& first) {
  auto again = decode_publish(to_native_json_text(first), {}, now);
  ASSERT_TRUE(again) << describe(again.error()).to_json();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      first, again->events.at(0)))
      << to_native_json_text(first);
}

// seeds/002: the example of "Resource lifecycle events", verbatim.
const std::string seed002_example = R"SEED(
{
"account_id": "abcdef2595f4d598c1725d60fc77",
"context": {
"activity": {
"action": "apprapp.instance.create",
"message": "App Configuration: create instance App Configuration-0001",
"outcome": "success",
"reason_reasonCode": 201,
"target_name": "App Configuration-0001"
},
"subject_id": "IBMid-xxxxxQExx",
"subject_name": "[email protected]"
},
"event_id": "7ca39870-eb1b-6c50-88b1-48c04123494",
"event_properties": {
"created_at": "2022-09-30T16:18:54.926735545Z",
"created_by": "IBMid-xxxxxQExx",
"crn": "crn:v1:staging:public:apprapp:us-south:a/abcdf222595g44d598c178525i60jc77:f4fca3f2-fdd3-485e-b86c-1234dd3eabc4::",
"guid": "a4bcc3f2-dee3-485f-a86b-4818dd3eabc4",
"last_operation": {
"description": "Completed create instance operation",
"state": "succeeded",
"type": "create"
},
"name": "App Configuration-z0",
"region_id": "us-south",
"resource_group_id": "ee24533eed37412e988179fe694062bc",
"resource_id": "apprapp-a6bcce47-d840-45b0-8ab9-ad15354defgea",
"state": "active",
"type": "service_instance",
"updated_at": "2022-09-30T16:18:55.295780335Z"
},
"event_type": "resource-controller.instance.create",
"timestamp": "2022-09-30T16:18:55Z"
}
)SEED";

TEST(CodecSeed001, MapsTheEnvelope) {
  auto ev = decode_one(R"({
    "headers": {"serviceName": "iam", "createdAt": "2026-11-22T09:00:00.25Z",
                "name": "iam.user.created"},
    "payload": {"user": "u-1", "tenant": "t-1", "email": "a@example.com"}})");
  EXPECT_EQ(ev.name(), "iam.user.created");
  EXPECT_EQ(ev.source(), "iam");
  EXPECT_EQ(format_rfc3339(ev.time_ns()), "2026-11-22T09:00:00.25Z");
  EXPECT_EQ(ev.user(), "u-1");
  EXPECT_EQ(ev.tenant(), "t-1");
  EXPECT_EQ(ev.data_json(),
            R"({"email":"a@example.com","tenant":"t-1","user":"u-1"})");
  EXPECT_EQ(ev.kind(), v1::KIND_USER);
  EXPECT_EQ(ev.id().size(), 36u);
  expect_round_trip(ev);
}

TEST(CodecSeed001, CreatedAtMayBeUnixMilliseconds) {
  auto ev = decode_one(
      R"({"headers":{"name":"flow.started","createdAt":1795341600123}})");
  EXPECT_EQ(format_rfc3339(ev.time_ns()), "2026-11-22T10:00:00.123Z");
  EXPECT_EQ(ev.data_case(), v1::Event::DATA_NOT_SET);
  auto fractional = decode_one(
      R"({"headers":{"name":"flow.started","createdAt":1795341600123.5}})");
  EXPECT_EQ(format_rfc3339(fractional.time_ns()), "2026-11-22T10:00:00.1235Z");
  auto before_1970 =
      decode_one(R"({"headers":{"name":"flow.started","createdAt":-1000}})");
  EXPECT_EQ(format_rfc3339(before_1970.time_ns()), "1969-12-31T23:59:59Z");
  EXPECT_EQ(decode_one(R"({"headers":{"name":"a"}})").time_ns(), now);
}

TEST(CodecSeed001, PayloadFieldsOfOtherTypesStayInData) {
  auto ev = decode_one(
      R"({"headers":{"name":"a.b"},"payload":{"user":{"id":1},"tenant":7}})");
  EXPECT_TRUE(ev.user().empty());
  EXPECT_TRUE(ev.tenant().empty());
  EXPECT_EQ(ev.data_json(), R"({"tenant":7,"user":{"id":1}})");
  EXPECT_EQ(decode_one(R"({"headers":{"name":"a"},"payload":[1]})").data_json(),
            "[1]");
}

TEST(CodecSeed001, ErrorsPointIntoTheEnvelope) {
  EXPECT_EQ(error_of(R"({"headers":{"name":"a b"}})"),
            error_pair("invalid_name", "/headers/name"));
  EXPECT_EQ(error_of(R"({"headers":{"name":1}})"),
            error_pair("invalid_name", "/headers/name"));
  EXPECT_EQ(error_of(R"({"headers":{"name":"a","createdAt":"yesterday"}})"),
            error_pair("invalid_time", "/headers/createdAt"));
  EXPECT_EQ(error_of(R"({"headers":{"name":"a","createdAt":1e300}})"),
            error_pair("invalid_time", "/headers/createdAt"));
  EXPECT_EQ(error_of(R"({"headers":{"name":"a","createdAt":true}})"),
            error_pair("invalid_field", "/headers/createdAt"));
  EXPECT_EQ(error_of(R"({"headers":{"name":"a","serviceName":5}})"),
            error_pair("invalid_field", "/headers/serviceName"));
  EXPECT_EQ(error_of(R"({"headers":{"name":"a","priority":5}})"),
            error_pair("unknown_field", "/headers/priority"));
  EXPECT_EQ(error_of(R"({"headers":{"name":"a"},"meta":{}})"),
            error_pair("unknown_field", "/meta"));
  EXPECT_EQ(error_of(json{{"headers", {{"name", "a"}}},
                          {"payload", {{"user", std::string(257, 'u')}}}}
                         .dump()),
            error_pair("invalid_field", "/payload/user"));
  EXPECT_EQ(error_of(R"([{"name":"x"},{"headers":{"name":"a.."}}])"),
            error_pair("invalid_name", "/1/headers/name"));
  // headers without a name is not the envelope: a native event with an
  // unknown field.
  EXPECT_EQ(error_of(R"({"headers":{"serviceName":"iam"},"name":"a"})"),
            error_pair("unknown_field", "/headers"));
}

TEST(CodecSeed002, TheSeedExampleIngests) {
  auto ev = decode_one(seed002_example);
  EXPECT_EQ(ev.name(), "resource-controller.instance.create");
  EXPECT_EQ(ev.id(), "7ca39870-eb1b-6c50-88b1-48c04123494");
  EXPECT_EQ(format_rfc3339(ev.time_ns()), "2022-09-30T16:18:55Z");
  EXPECT_EQ(ev.tenant(), "abcdef2595f4d598c1725d60fc77");
  EXPECT_EQ(ev.user(), "IBMid-xxxxxQExx");
  EXPECT_EQ(ev.source(), "resource-controller");
  EXPECT_EQ(ev.kind(), v1::KIND_USER);
  EXPECT_EQ(json::parse(ev.data_json()), json::parse(seed002_example));
  EXPECT_EQ(to_native_json(ev)["data"]["event_properties"]["state"], "active");
  expect_round_trip(ev);
}

TEST(CodecSeed002, InABatchAndWithOptionalFieldsAbsent) {
  auto batch =
      decode_publish("[" + seed002_example +
                         R"(,{"event_type":"key.create","event_id":"k-1"}])",
                     {}, now);
  ASSERT_TRUE(batch) << describe(batch.error()).to_json();
  ASSERT_EQ(batch->events.size(), 2u);
  const auto& minimal = batch->events[1];
  EXPECT_EQ(minimal.name(), "key.create");
  EXPECT_EQ(minimal.source(), "key");
  EXPECT_EQ(minimal.time_ns(), now);
  EXPECT_TRUE(minimal.tenant().empty());
  EXPECT_EQ(minimal.data_json(),
            R"({"event_id":"k-1","event_type":"key.create"})");
  auto single = decode_one(R"({"event_type":"Resource_group","event_id":"r"})");
  EXPECT_EQ(single.source(), "Resource_group");
}

TEST(CodecSeed002, ErrorsPointAtTheSeedFields) {
  EXPECT_EQ(error_of(R"({"event_type":"a b","event_id":"x"})"),
            error_pair("invalid_name", "/event_type"));
  EXPECT_EQ(error_of(R"({"event_type":["a"],"event_id":"x"})"),
            error_pair("invalid_name", "/event_type"));
  EXPECT_EQ(error_of(R"({"event_type":"a","event_id":""})"),
            error_pair("invalid_id", "/event_id"));
  EXPECT_EQ(error_of(R"({"event_type":"a","event_id":1})"),
            error_pair("invalid_field", "/event_id"));
  EXPECT_EQ(error_of(R"({"event_type":"a","event_id":"x","timestamp":"x"})"),
            error_pair("invalid_time", "/timestamp"));
  EXPECT_EQ(error_of(R"({"event_type":"a","event_id":"x","account_id":1})"),
            error_pair("invalid_field", "/account_id"));
  EXPECT_EQ(error_of(R"({"event_type":"a","event_id":"x","context":[]})"),
            error_pair("invalid_field", "/context"));
  EXPECT_EQ(
      error_of(
          R"({"event_type":"a","event_id":"x","context":{"subject_id":2}})"),
      error_pair("invalid_field", "/context/subject_id"));
  EXPECT_EQ(error_of(json{{"event_type", "a"},
                          {"event_id", "x"},
                          {"context", {{"subject_id", std::string(300, 's')}}}}
                         .dump()),
            error_pair("invalid_field", "/context/subject_id"));
  EXPECT_EQ(error_of(R"([{"name":"ok"},{"event_type":"a","event_id":" x"}])"),
            error_pair("invalid_id", "/1/event_id"));
}

TEST(CodecShapes, DetectionOrder) {
  // specversion wins over the seed shapes.
  auto ce = decode_one(R"({"specversion":"1.0","id":"1","source":"s",
                           "type":"t.x","eventtype":"y"})");
  EXPECT_EQ(ce.name(), "t.x");
  EXPECT_EQ(error_of(R"({"specversion":"1.0","id":"1","source":"s",
                         "type":"t","event_type":"a","event_id":"b"})"),
            error_pair("invalid_field", "/event_id"))
      << "event_id is no legal CloudEvents attribute name";
  // 002 needs both event_type and event_id; otherwise native.
  EXPECT_EQ(error_of(R"({"event_type":"a"})"),
            error_pair("unknown_field", "/event_type"));
  // 002 wins over 001.
  auto s2 = decode_one(R"({"event_type":"a","event_id":"b",
                           "headers":{"name":"c"}})");
  EXPECT_EQ(s2.name(), "a");
}

} // namespace
} // namespace herald::runtime

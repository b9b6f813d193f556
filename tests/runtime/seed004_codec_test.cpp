// Seed 004's Event object (EscapeKit's event service) in and out: DESIGN §3's
// mapping, exact nanosecond timestamps, scope levels, errors naming 004's
// fields.

#include <string>
#include <utility>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/seed004_codec.hpp"
#include "runtime/time_format.hpp"
#include "tests/runtime/codec_test_support.hpp"

namespace herald::runtime {
namespace {

using nlohmann::json;

using codec_test::error_pair;
const int64_t now = codec_test::fixed_now;

v1::Event decode_one(const std::string& body) {
  return codec_test::decode_one_with(decode_create_event, body);
}

error_pair error_of(const std::string& body) {
  return codec_test::error_of_with(decode_create_event, body);
}

TEST(seed004_codec, maps_the_seed_example_field_by_field) {
  // The Event example of seed 004, verbatim.
  auto ev = decode_one(R"({
    "allowed_groups": ["my-group", "your-group"],
    "id": "123",
    "inventory_project": "test",
    "timestamp": 12343434343434,
    "type": "CREATE_INVENTORY_PROJECT",
    "username": "user"})");
  EXPECT_EQ(ev.id(), "123");
  EXPECT_EQ(ev.name(), "CREATE_INVENTORY_PROJECT");
  EXPECT_EQ(ev.time_ns(), 12343434343434);
  EXPECT_EQ(ev.user(), "user");
  EXPECT_EQ(ev.scope(), "inventory/test");
  ASSERT_EQ(ev.allowed_groups_size(), 2);
  EXPECT_EQ(ev.allowed_groups(0), "my-group");
  EXPECT_EQ(ev.allowed_groups(1), "your-group");
  EXPECT_EQ(ev.kind(), v1::KIND_USER);
  EXPECT_FALSE(ev.has_data_json());
  EXPECT_EQ(to_seed004_json_text(ev),
            R"({"id":"123","type":"CREATE_INVENTORY_PROJECT",)"
            R"("timestamp":12343434343434,"username":"user",)"
            R"("allowed_groups":["my-group","your-group"],)"
            R"("inventory_project":"test"})");
}

TEST(seed004_codec, timestamps_are_exact_nanoseconds) {
  // 2^63-1 and values past 2^53 would be rounded by any double on the way.
  for (const char* ts : {"9223372036854775807", "1700000000123456789",
                         "9007199254740993", "-1", "1"}) {
    auto expected = std::stoll(ts);
    for (const std::string& literal :
         {std::string{ts}, "\"" + std::string{ts} + "\""}) {
      auto ev = decode_one(R"({"type":"X","timestamp":)" + literal + "}");
      EXPECT_EQ(ev.time_ns(), expected) << literal;
      auto out = json::parse(to_seed004_json_text(ev));
      ASSERT_TRUE(out["timestamp"].is_number_integer()) << out.dump();
      EXPECT_EQ(out["timestamp"].get<int64_t>(), expected);
      EXPECT_NE(to_seed004_json_text(ev).find(R"("timestamp":)" +
                                              std::to_string(expected)),
                std::string::npos);
    }
  }
  EXPECT_EQ(decode_one(R"({"type":"X"})").time_ns(), now);
  EXPECT_EQ(decode_one(R"({"type":"X","timestamp":null})").time_ns(), now);
}

TEST(seed004_codec, bad_timestamps_are_invalid_time) {
  for (const char* ts :
       {"1.5", "1e18", "1700000000123456789.0", "9223372036854775808",
        "\"9223372036854775808\"", "\"\"", "\"12a\"", "\" 12\"", "\"+12\"",
        "\"1.5\"", "true", "[1]", "{}"})
    EXPECT_EQ(error_of(R"({"type":"X","timestamp":)" + std::string{ts} + "}"),
              error_pair("invalid_time", "/timestamp"))
        << ts;
}

TEST(seed004_codec, inventory_and_state_levels_build_the_scope) {
  EXPECT_EQ(decode_one(R"({"type":"X","inventory_project":"p",)"
                       R"("inventory_application":"a",)"
                       R"("inventory_version":"1.0"})")
                .scope(),
            "inventory/p/a/1.0");
  EXPECT_EQ(decode_one(R"({"type":"X","inventory_project":"p",)"
                       R"("inventory_application":"a"})")
                .scope(),
            "inventory/p/a");
  EXPECT_EQ(decode_one(R"({"type":"CREATE_STATE_DEPLOYMENT",)"
                       R"("state_project":"state-test",)"
                       R"("state_environment":"dev",)"
                       R"("state_deployment":"deployment"})")
                .scope(),
            "project/state-test/dev/deployment");
  EXPECT_EQ(decode_one(R"({"type":"X","state_project":"s"})").scope(),
            "project/s");
  EXPECT_EQ(decode_one(R"({"type":"X","state_project":"s",)"
                       R"("inventory_project":null})")
                .scope(),
            "project/s");
  EXPECT_EQ(decode_one(R"({"type":"X"})").scope(), "");
}

TEST(seed004_codec, scope_level_errors_name_the_004_field) {
  EXPECT_EQ(error_of(R"({"type":"X","inventory_application":"a"})"),
            error_pair("invalid_field", "/inventory_application"));
  EXPECT_EQ(error_of(R"({"type":"X","inventory_project":"p",)"
                     R"("inventory_version":"1"})"),
            error_pair("invalid_field", "/inventory_version"));
  EXPECT_EQ(error_of(R"({"type":"X","state_deployment":"d"})"),
            error_pair("invalid_field", "/state_deployment"));
  EXPECT_EQ(error_of(R"({"type":"X","inventory_project":"p",)"
                     R"("state_project":"s"})"),
            error_pair("invalid_field", "/state_project"));
  EXPECT_EQ(error_of(R"({"type":"X","inventory_project":"a/b"})"),
            error_pair("invalid_scope", "/inventory_project"));
  EXPECT_EQ(error_of(R"({"type":"X","state_project":""})"),
            error_pair("invalid_scope", "/state_project"));
  EXPECT_EQ(error_of(R"({"type":"X","state_project":"s",)"
                     R"("state_environment":"a b"})"),
            error_pair("invalid_scope", "/state_environment"));
  EXPECT_EQ(error_of(R"({"type":"X","state_project":7})"),
            error_pair("invalid_field", "/state_project"));
}

TEST(seed004_codec, other_field_errors_name_the_004_field) {
  EXPECT_EQ(error_of(R"({"timestamp":1})"),
            error_pair("invalid_name", "/type"));
  EXPECT_EQ(error_of(R"({"type":"a..b"})"),
            error_pair("invalid_name", "/type"));
  EXPECT_EQ(error_of(R"({"type":5})"), error_pair("invalid_name", "/type"));
  EXPECT_EQ(error_of(R"({"type":"X","id":""})"),
            error_pair("invalid_id", "/id"));
  EXPECT_EQ(error_of(R"({"type":"X","username":1})"),
            error_pair("invalid_field", "/username"));
  EXPECT_EQ(
      error_of(R"({"type":"X","username":")" + std::string(300, 'u') + R"("})"),
      error_pair("invalid_field", "/username"));
  EXPECT_EQ(error_of(R"({"type":"X","allowed_groups":["g",1]})"),
            error_pair("invalid_field", "/allowed_groups/1"));
  EXPECT_EQ(error_of(R"({"type":"X","allowed_groups":[""]})"),
            error_pair("invalid_field", "/allowed_groups/0"));
  EXPECT_EQ(error_of(R"({"type":"X","allowed_roles":"admin"})"),
            error_pair("invalid_field", "/allowed_roles"));
  EXPECT_EQ(error_of(R"({"type":"X","inventory_namespace":["n"]})"),
            error_pair("invalid_field", "/inventory_namespace"));
  EXPECT_EQ(error_of(R"({"type":"X","source":"s"})"),
            error_pair("unknown_field", "/source"));
  EXPECT_EQ(error_of(R"({"type":"X","colour":null})"),
            error_pair("unknown_field", "/colour"));
  EXPECT_EQ(error_of(R"([{"type":"X"},{"type":"Y","bogus":1}])"),
            error_pair("unknown_field", "/1/bogus"));
}

TEST(seed004_codec, roles_namespace_and_data_round_trip) {
  auto ev = decode_one(R"({"id":"r1","type":"UPLOAD_INVENTORY_APPLICATION",)"
                       R"("timestamp":"1700000000000000001",)"
                       R"("allowed_roles":["admin","viewer"],)"
                       R"("inventory_namespace":"ns",)"
                       R"("inventory_project":"p",)"
                       R"("inventory_application":"a",)"
                       R"("data":{"size":12,"nested":{"ok":true}}})");
  EXPECT_EQ(ev.extensions().at("allowedroles"), R"(["admin","viewer"])");
  EXPECT_EQ(ev.extensions().at("inventorynamespace"), R"("ns")");
  EXPECT_EQ(ev.data_json(), R"({"nested":{"ok":true},"size":12})");
  const auto text = to_seed004_json_text(ev);
  EXPECT_EQ(text, R"({"id":"r1","type":"UPLOAD_INVENTORY_APPLICATION",)"
                  R"("timestamp":1700000000000000001,)"
                  R"("allowed_roles":["admin","viewer"],)"
                  R"("inventory_namespace":"ns","inventory_project":"p",)"
                  R"("inventory_application":"a",)"
                  R"("data":{"nested":{"ok":true},"size":12}})");
  // What a 004 client reads back it can create again: the same event.
  auto again = decode_one(text);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(ev, again))
      << ev.DebugString() << "\nvs\n"
      << again.DebugString();
}

TEST(seed004_codec, output_of_native_events) {
  v1::Event ev;
  ev.set_id("n1");
  ev.set_name("iam.user.created");
  ev.set_source("iam");
  ev.set_time_ns(1);
  ev.set_tenant("acme");
  ev.set_scope("project/p/e/d/extra");
  ev.set_data_bytes(std::string("\x00\x01", 2));
  // Fields 004 has no place for are left out; levels past the third too.
  EXPECT_EQ(to_seed004_json_text(ev),
            R"({"id":"n1","type":"iam.user.created","timestamp":1,)"
            R"("state_project":"p","state_environment":"e",)"
            R"("state_deployment":"d"})");
  ev.set_scope("other/p");
  ev.set_user("bob");
  ev.set_data_json("[1,2]");
  EXPECT_EQ(to_seed004_json_text(ev),
            R"({"id":"n1","type":"iam.user.created","timestamp":1,)"
            R"("username":"bob","data":[1,2]})");
  ev.set_scope("inventory");
  ev.set_time_ns(-5);
  ev.set_user("a\"b\xff");
  EXPECT_EQ(to_seed004_json_text(ev),
            "{\"id\":\"n1\",\"type\":\"iam.user.created\",\"timestamp\":-5,"
            "\"username\":\"a\\\"b\xef\xbf\xbd\",\"data\":[1,2]}");
}

TEST(seed004_codec, other_shapes_go_to_their_own_decoders) {
  EXPECT_TRUE(is_seed004_shape(json::parse(R"({"type":"X"})")));
  EXPECT_TRUE(is_seed004_shape(json::parse(R"({})")));
  EXPECT_FALSE(is_seed004_shape(json::parse(R"({"name":"x"})")));
  EXPECT_FALSE(is_seed004_shape(json::parse(
      R"({"specversion":"1.0","id":"1","source":"s","type":"t"})")));
  EXPECT_FALSE(is_seed004_shape(
      json::parse(R"({"event_type":"a.b","event_id":"1","timestamp":"x"})")));
  EXPECT_FALSE(is_seed004_shape(json::parse(R"({"headers":{"name":"a"}})")));
  EXPECT_FALSE(is_seed004_shape(json::parse(R"([])")));

  auto native = decode_one(R"({"name":"iam.user.created","scope":"a/b"})");
  EXPECT_EQ(native.name(), "iam.user.created");
  EXPECT_EQ(native.scope(), "a/b");
  auto ce = decode_one(
      R"({"specversion":"1.0","id":"c1","source":"s","type":"t.x"})");
  EXPECT_EQ(ce.name(), "t.x");
  EXPECT_EQ(ce.source(), "s");
  // A native event with a 004 field is a native event with an unknown one.
  EXPECT_EQ(error_of(R"({"name":"x","timestamp":1})"),
            error_pair("unknown_field", "/timestamp"));
}

TEST(seed004_codec, create_event_bodies) {
  auto batch = decode_create_event(R"([{"type":"A"},{"name":"b"}])", {}, now);
  ASSERT_TRUE(batch);
  EXPECT_TRUE(batch->is_array);
  ASSERT_EQ(batch->events.size(), 2u);
  EXPECT_FALSE(batch->events[0].id().empty()); // UUIDv7 assigned
  EXPECT_NE(batch->events[0].id(), batch->events[1].id());
  EXPECT_EQ(error_of("[]"), error_pair("invalid_field", ""));
  EXPECT_EQ(error_of("1"), error_pair("invalid_field", ""));
  EXPECT_EQ(error_of("{"), error_pair("invalid_json", ""));
  EXPECT_EQ(error_of("[1]"), error_pair("invalid_field", "/0"));
  publish_limits small;
  small.max_batch = 1;
  auto over = decode_create_event(R"([{"type":"A"},{"type":"B"}])", small, now);
  ASSERT_FALSE(over);
  EXPECT_EQ(describe(over.error()).code, errc::too_large);
}

TEST(seed004_codec, scope_helpers) {
  EXPECT_TRUE(is_valid_scope_segment("a.b~c@d:e+f-1_"));
  EXPECT_FALSE(is_valid_scope_segment(""));
  EXPECT_FALSE(is_valid_scope_segment("a/b"));
  EXPECT_FALSE(is_valid_scope_segment("a b"));
  EXPECT_FALSE(is_valid_scope_segment("%41"));
  EXPECT_EQ(seed004_scope("inventory", {}), "inventory");
  EXPECT_EQ(seed004_scope("project", {"p", "e", "deployment"}),
            "project/p/e/deployment");
}

} // namespace
} // namespace herald::runtime

// The listener protocol's frames (DESIGN §5) and the handles parameter.

#include "actors/automation/listener_codec.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"

namespace herald::automation {
namespace {

using json = nlohmann::json;
using kind = listener_frame::kind_t;

runtime::api_error error_of(std::string_view text) {
  auto f = decode_listener_frame(text);
  EXPECT_FALSE(f) << text;
  return f ? runtime::api_error{} : runtime::describe(f.error());
}

TEST(listener_codec, decodes_the_three_kinds) {
  auto done = decode_listener_frame(
      R"({"kind":"action_done","task_id":"t","step":"s","extra":1})");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->kind, kind::action_done);
  EXPECT_EQ(done->task_id, "t");
  EXPECT_EQ(done->step, "s");
  auto err = decode_listener_frame(
      R"({"kind":"action_error","task_id":"t","step":"s","error":"boom"})");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->kind, kind::action_error);
  EXPECT_EQ(err->error, "boom");
  auto prog = decode_listener_frame(
      R"({"kind":"progress","task_id":"t","step":"s","percent":12.5,"message":"m"})");
  ASSERT_TRUE(prog);
  EXPECT_EQ(prog->kind, kind::progress);
  EXPECT_EQ(prog->percent, 12.5);
  EXPECT_EQ(prog->message, "m");
  auto bare =
      decode_listener_frame(R"({"kind":"progress","task_id":"t","step":"s"})");
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare->percent);
}

TEST(listener_codec, refuses_what_is_not_a_listener_frame) {
  EXPECT_EQ(error_of("not json").code, runtime::errc::invalid_json);
  EXPECT_EQ(error_of("[1]").code, runtime::errc::invalid_json);
  EXPECT_EQ(error_of(R"({"task_id":"t","step":"s"})").field, "kind");
  EXPECT_EQ(error_of(R"({"kind":"action","task_id":"t","step":"s"})").field,
            "kind");
  EXPECT_EQ(error_of(R"({"kind":1,"task_id":"t","step":"s"})").field, "kind");
  EXPECT_EQ(error_of(R"({"kind":"action_done","step":"s"})").field, "task_id");
  EXPECT_EQ(error_of(R"({"kind":"action_done","task_id":"t","step":""})").field,
            "step");
  EXPECT_EQ(
      error_of(R"({"kind":"action_error","task_id":"t","step":"s","error":{}})")
          .field,
      "error");
  EXPECT_EQ(
      error_of(R"({"kind":"progress","task_id":"t","step":"s","percent":"5"})")
          .field,
      "percent");
  EXPECT_EQ(
      error_of(R"({"kind":"progress","task_id":"t","step":"s","percent":101})")
          .field,
      "percent");
}

TEST(listener_codec, encodes_action_and_abort_frames) {
  action_request r;
  r.task_id = "t1";
  r.step = "collect";
  r.action = "collect";
  r.data_json = R"({"a":[1,2]})";
  EXPECT_EQ(json::parse(encode_action_frame(r)),
            json({{"kind", "action"},
                  {"action", "collect"},
                  {"task_id", "t1"},
                  {"step", "collect"},
                  {"data", {{"a", {1, 2}}}}}));
  EXPECT_EQ(json::parse(encode_abort_frame(r)), json({{"kind", "action_abort"},
                                                      {"action", "collect"},
                                                      {"task_id", "t1"},
                                                      {"step", "collect"}}));
  EXPECT_TRUE(is_json_object("{}"));
  EXPECT_FALSE(is_json_object("[]"));
  EXPECT_FALSE(is_json_object("{"));
}

TEST(listener_codec, parses_handles) {
  auto none = parse_handles("");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto some = parse_handles("collect,cleanup,collect,pre_collect,a.b-c");
  ASSERT_TRUE(some);
  EXPECT_EQ(*some, (std::vector<std::string>{"a.b-c", "cleanup", "collect",
                                             "pre_collect"}));
  for (auto bad : {",", "a,", ",a", "a,,b", "a b", "a.*", "a..b", "é"}) {
    auto r = parse_handles(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(runtime::describe(r.error()).code,
              runtime::errc::invalid_parameter);
    EXPECT_EQ(runtime::describe(r.error()).field, "handles");
  }
}

} // namespace
} // namespace herald::automation

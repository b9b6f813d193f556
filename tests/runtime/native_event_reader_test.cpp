#include "runtime/native_event_reader.hpp"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"

namespace herald::runtime {
namespace {

using nlohmann::json;

v1::Event full_event() {
  v1::Event e;
  e.set_id("e-1");
  e.set_name("task.step.done");
  e.set_source("herald");
  e.set_kind(v1::KIND_SYS);
  e.set_time_ns(1'700'000'000'123'456'789);
  e.set_tenant("acme");
  e.set_user("alice");
  e.set_scope("inventory/p/a");
  e.add_allowed_groups("ops");
  e.set_data_json(R"({"a":[1,2.5,"x"]})");
  e.set_datacontenttype("application/json");
  e.set_dataschema("https://x/s");
  e.set_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  e.mutable_origin()->set_trigger_id("t");
  e.mutable_origin()->set_workflow_id("w");
  e.mutable_origin()->set_task_id("k");
  (*e.mutable_extensions())["color"] = R"("red")";
  e.set_seq(42);
  e.set_node("n2");
  return e;
}

TEST(native_event_reader, reads_back_what_to_native_json_writes) {
  auto e = full_event();
  auto back = read_native_event(json::parse(to_native_json_text(e)));
  ASSERT_TRUE(back) << describe(back.error()).message;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*back, e))
      << back->DebugString();
  EXPECT_EQ(to_native_json_text(*back), to_native_json_text(e));

  v1::Event bytes;
  bytes.set_id("b");
  bytes.set_name("x");
  bytes.set_time_ns(5);
  bytes.set_data_bytes(std::string("\0\1\2", 3));
  bytes.set_seq(1);
  bytes.set_node("n1");
  auto b = read_native_event(json::parse(to_native_json_text(bytes)));
  ASSERT_TRUE(b) << describe(b.error()).message;
  EXPECT_EQ(b->data_bytes(), bytes.data_bytes());
  EXPECT_EQ(b->kind(), v1::KIND_USER);
}

TEST(native_event_reader, needs_what_a_node_always_writes) {
  auto good = json::parse(to_native_json_text(full_event()));
  auto without = [&](const char* key) {
    auto j = good;
    j.erase(key);
    return j;
  };
  for (auto [doc, field] :
       {std::pair{without("seq"), "/seq"}, std::pair{without("node"), "/node"},
        std::pair{json{{"name", "x"}, {"seq", 0}, {"node", "n"}}, "/seq"},
        std::pair{json{{"name", "x"}, {"seq", -1}, {"node", "n"}}, "/seq"},
        std::pair{json{{"name", "x"}, {"seq", 1}, {"node", ""}}, "/node"},
        std::pair{json{{"name", "x"}, {"seq", 1}, {"node", "n"}, {"kind", "x"}},
                  "/kind"},
        std::pair{json{{"name", "x"}, {"seq", 1}, {"node", "n"}, {"origin", 1}},
                  "/origin"}}) {
    auto r = read_native_event(doc);
    ASSERT_FALSE(r) << doc.dump();
    EXPECT_EQ(describe(r.error()).field, field) << doc.dump();
  }
  EXPECT_FALSE(read_native_event(json::array()));
  auto unknown = good;
  unknown["surprise"] = 1;
  EXPECT_FALSE(read_native_event(unknown));
}

} // namespace
} // namespace herald::runtime

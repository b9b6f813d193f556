// Trigger definitions and 003's failure rules (runtime/flow/trigger.hpp).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/flow/trigger.hpp"
#include "runtime/time_format.hpp"

namespace herald::flow {
namespace {

using json = nlohmann::json;

runtime::api_error error_of(const json& doc) {
  auto t = trigger_def::parse("t1", doc);
  EXPECT_FALSE(t) << doc.dump();
  return t ? runtime::api_error{} : runtime::describe(t.error());
}

TEST(trigger_def, schedule_example_of_design) {
  auto doc = json::parse(R"({"type": "schedule", "name": "hourly collect",
    "cron": "0 * * * *", "timezone": "Europe/Berlin",
    "workflow": "collect_and_cleanup", "input": {"when": "${fire_time}"},
    "catch_up": "once",
    "wait_for_event": {"name": "inventory.ready", "filter": {}, "timeout": "1h"},
    "enabled": true})");
  auto t = trigger_def::parse("hourly", doc);
  ASSERT_TRUE(t) << runtime::describe(t.error()).message;
  EXPECT_EQ(t->kind(), trigger_kind::schedule);
  EXPECT_EQ(t->name(), "hourly collect");
  EXPECT_EQ(t->workflow(), "collect_and_cleanup");
  EXPECT_TRUE(t->enabled());
  ASSERT_TRUE(t->when());
  EXPECT_EQ(t->when()->timezone(), "Europe/Berlin");
  EXPECT_EQ(t->catch_up(), catch_up_policy::once);
  ASSERT_TRUE(t->wait());
  EXPECT_EQ(t->wait()->pattern, "inventory.ready");
  EXPECT_EQ(t->wait()->timeout, std::chrono::hours{1});
  template_context ctx;
  ctx.fire_time = "2026-12-06T10:00:00Z";
  auto in = t->render_input(ctx);
  ASSERT_TRUE(in);
  EXPECT_EQ(*in, json({{"when", "2026-12-06T10:00:00Z"}}));
}

TEST(trigger_def, event_example_of_design) {
  auto doc = json::parse(R"({"type": "event", "name": "welcome",
    "event": "iam.user.*", "filter": {"tenant": ["acme"]}, "priority": 10,
    "workflow": "onboard", "input": {"who": "${event.user}"}, "enabled": true})");
  auto t = trigger_def::parse("welcome", doc);
  ASSERT_TRUE(t) << runtime::describe(t.error()).message;
  EXPECT_EQ(t->kind(), trigger_kind::event);
  EXPECT_EQ(t->pattern(), "iam.user.*");
  EXPECT_EQ(t->priority(), 10);
  ASSERT_TRUE(t->filter());
  json ev{{"name", "iam.user.created"}, {"user", "alice"}};
  template_context ctx;
  ctx.event = &ev;
  auto in = t->render_input(ctx);
  ASSERT_TRUE(in);
  EXPECT_EQ(*in, json({{"who", "alice"}}));
  // An event without the field: 003's "failed to prepare input data".
  json bare{{"name", "iam.user.created"}};
  ctx.event = &bare;
  EXPECT_FALSE(t->render_input(ctx));
}

TEST(trigger_def, defaults) {
  auto t = trigger_def::parse(
      "x", json{{"type", "schedule"}, {"every", "90s"}, {"workflow", "w"}});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->name(), "x");
  EXPECT_TRUE(t->enabled());
  EXPECT_EQ(t->catch_up(), catch_up_policy::none);
  EXPECT_EQ(t->when()->timezone(), "UTC");
  auto in = t->render_input({});
  ASSERT_TRUE(in);
  EXPECT_EQ(*in, json::object());
  EXPECT_EQ(t->with_enabled(false)["enabled"], false);
}

TEST(trigger_def, input_template_renders_to_json) {
  auto t = trigger_def::parse(
      "x", json{{"type", "event"},
                {"event", "a.b"},
                {"workflow", "w"},
                {"input_template", R"({"n": ${event.data.n}})"}});
  ASSERT_TRUE(t) << runtime::describe(t.error()).message;
  json ev{{"name", "a.b"}, {"data", {{"n", 3}}}};
  template_context ctx;
  ctx.event = &ev;
  auto in = t->render_input(ctx);
  ASSERT_TRUE(in);
  EXPECT_EQ(*in, json({{"n", 3}}));
}

TEST(trigger_def, bad_input_names_the_field) {
  auto base =
      json{{"type", "schedule"}, {"cron", "0 * * * *"}, {"workflow", "w"}};
  auto with = [&](const char* k, json v) {
    auto d = base;
    d[k] = std::move(v);
    return d;
  };
  EXPECT_EQ(error_of(with("cron", "61 * * * *")).field, "/cron");
  EXPECT_EQ(error_of(with("cron", "* * *")).field, "/cron");
  EXPECT_EQ(error_of(with("timezone", "Mars/Olympus")).field, "/timezone");
  auto every = json{{"type", "schedule"}, {"workflow", "w"}};
  every["every"] = "0s";
  EXPECT_EQ(error_of(every).field, "/every");
  every["every"] = "500ms";
  EXPECT_EQ(error_of(every).field, "/every");
  EXPECT_EQ(error_of(with("catch_up", "sometimes")).field, "/catch_up");
  EXPECT_EQ(error_of(with("bogus", 1)).code, runtime::errc::unknown_field);
  EXPECT_EQ(error_of(with("event", "a.b")).code, runtime::errc::unknown_field);
  EXPECT_EQ(error_of(with("workflow", "")).field, "/workflow");
  auto no_wf = base;
  no_wf.erase("workflow");
  EXPECT_EQ(error_of(no_wf).code, runtime::errc::missing_field);
  EXPECT_EQ(error_of(with("type", "cron")).field, "/type");
  EXPECT_EQ(error_of(with("enabled", "yes")).field, "/enabled");
  // Templates that refer to nothing here.
  EXPECT_EQ(error_of(with("input", json{{"who", "${event.user}"}})).field,
            "/input/who");
  EXPECT_EQ(error_of(with("input", json{{"x", "${steps.a.output}"}})).field,
            "/input/x");
  EXPECT_EQ(error_of(with("input", json{{"x", "${nothing}"}})).field,
            "/input/x");
  auto both = with("input", json::object());
  both["input_template"] = "{}";
  EXPECT_EQ(error_of(both).field, "/input_template");
  auto wait = with("wait_for_event", json{{"name", "a..b"}});
  EXPECT_EQ(error_of(wait).field, "/wait_for_event/name");
  wait = with("wait_for_event", json{{"name", "a.b"}, {"timeout", "soon"}});
  EXPECT_EQ(error_of(wait).field, "/wait_for_event/timeout");

  auto ev = json{{"type", "event"}, {"event", "a.*"}, {"workflow", "w"}};
  auto evw = [&](const char* k, json v) {
    auto d = ev;
    d[k] = std::move(v);
    return d;
  };
  EXPECT_EQ(error_of(evw("event", "a.>.b")).code,
            runtime::errc::invalid_pattern);
  EXPECT_EQ(error_of(evw("filter", json{{"x", 1}})).code,
            runtime::errc::invalid_filter);
  EXPECT_EQ(error_of(evw("priority", 1.5)).field, "/priority");
  EXPECT_EQ(error_of(evw("cron", "* * * * *")).code,
            runtime::errc::unknown_field);
  EXPECT_EQ(error_of(evw("input", json{{"t", "${fire_time}"}})).field,
            "/input/t");
  auto no_event = ev;
  no_event.erase("event");
  EXPECT_EQ(error_of(no_event).field, "/event");
}

TEST(fire_failure, rules_of_003) {
  using k = trigger_kind;
  EXPECT_FALSE(disables(fire_failure::fetch_flow, k::schedule));
  EXPECT_FALSE(disables(fire_failure::fetch_flow, k::event));
  EXPECT_TRUE(disables(fire_failure::flow_validation, k::schedule));
  EXPECT_TRUE(disables(fire_failure::flow_validation, k::event));
  EXPECT_TRUE(disables(fire_failure::prepare_input, k::schedule));
  EXPECT_FALSE(disables(fire_failure::prepare_input, k::event));
  EXPECT_TRUE(disables(fire_failure::rejected_input, k::schedule));
  EXPECT_FALSE(disables(fire_failure::rejected_input, k::event));
  EXPECT_EQ(failure_message(fire_failure::fetch_flow, "no workflow 'w'"),
            "failed to fetch target flow: no workflow 'w'");
  EXPECT_EQ(failure_message(fire_failure::flow_validation, "x"),
            "flow validation failed: x");
  EXPECT_EQ(failure_message(fire_failure::prepare_input, "x"),
            "failed to prepare input data: x");
  EXPECT_EQ(failure_message(fire_failure::rejected_input, "x"),
            "flow rejected input data: x");
}

TEST(trigger_state, round_trip) {
  trigger_state s;
  s.last_fire_ns = 1'700'000'000'000'000'000;
  s.next_fire_ns = 1'700'000'060'000'000'000;
  s.failures = 2;
  s.fires = 7;
  s.disabled_reason = "flow validation failed: x";
  s.pending_task = "f123";
  s.pending_node = "n2";
  auto back = trigger_state::parse(s.to_json_text());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->last_fire_ns, s.last_fire_ns);
  EXPECT_EQ(back->next_fire_ns, s.next_fire_ns);
  EXPECT_EQ(back->failures, 2u);
  EXPECT_EQ(back->fires, 7u);
  EXPECT_EQ(back->disabled_reason, s.disabled_reason);
  EXPECT_EQ(back->pending_task, "f123");
  EXPECT_EQ(back->pending_node, "n2");
  auto empty = trigger_state::parse("");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->fires, 0u);
  EXPECT_FALSE(trigger_state::parse("[1]"));
}

TEST(fire_task_id, deterministic_and_distinct) {
  EXPECT_EQ(fire_task_id("t", "1"), fire_task_id("t", "1"));
  EXPECT_NE(fire_task_id("t", "1"), fire_task_id("t", "2"));
  EXPECT_NE(fire_task_id("t1", ""), fire_task_id("t", "1"));
  EXPECT_EQ(fire_task_id("t", "1").size(), 33u);
}

} // namespace
} // namespace herald::flow

// The task record and its state machine (runtime/flow/task.hpp).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/flow/task.hpp"

namespace herald::flow {
namespace {

using json = nlohmann::json;

workflow_plan plan_of(const json& doc) {
  auto p = workflow_plan::parse("wf", doc);
  if (!p)
    ADD_FAILURE() << runtime::describe(p.error()).message;
  return std::move(*p);
}

const json three_steps = json::parse(R"({"name": "Three", "steps": [
  {"name": "a", "emit": {"name": "x.a", "data": {"n": 1}}},
  {"name": "b", "emit": {"name": "x.b"}, "on_error": "continue"},
  {"name": "c", "http": {"method": "POST", "url": "http://127.0.0.1:9/x"}}
]})");

TEST(task_machine, runs_steps_in_order_to_success) {
  auto plan = plan_of(three_steps);
  auto rec = task_machine::make(plan, "t1", json{{"who", "me"}}, {}, 100);
  EXPECT_EQ(rec.state, task_state::running);
  ASSERT_EQ(rec.steps.size(), 3u);
  EXPECT_EQ(rec.trace_id.size(), 32u);
  task_machine m{plan, std::move(rec)};
  const auto* s = m.begin_step(110);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name, "a");
  EXPECT_EQ(m.record().steps[0].state, step_state::running);
  m.finish_step(true, json{{"id", "t1.0"}}, {}, 120);
  EXPECT_EQ(m.record().steps[0].state, step_state::succeeded);
  s = m.begin_step(130);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name, "b");
  m.finish_step(true, nullptr, {}, 140);
  s = m.begin_step(150);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->kind, step_kind::http);
  m.finish_step(true, json{{"status", 200}}, {}, 160);
  EXPECT_TRUE(m.ended());
  EXPECT_EQ(m.record().state, task_state::succeeded);
  EXPECT_EQ(m.record().ended_ns, 160);
  EXPECT_EQ(m.begin_step(170), nullptr);
  EXPECT_EQ(m.record().outputs().size(), 2u); // b had no output
}

TEST(task_machine, a_failing_step_stops_unless_continue) {
  auto plan = plan_of(three_steps);
  task_machine m{plan, task_machine::make(plan, "t1", {}, {}, 0)};
  m.begin_step(1);
  m.finish_step(true, nullptr, {}, 2);
  m.begin_step(3);
  m.finish_step(false, nullptr, "boom", 4); // on_error continue
  EXPECT_FALSE(m.ended());
  EXPECT_EQ(m.record().steps[1].state, step_state::failed);
  EXPECT_EQ(m.record().steps[1].error, "boom");
  m.begin_step(5);
  m.finish_step(false, nullptr, "HTTP 500", 6); // on_error stop
  EXPECT_TRUE(m.ended());
  EXPECT_EQ(m.record().state, task_state::failed);
  EXPECT_EQ(m.record().error, "step 'c': HTTP 500");
}

TEST(task_machine, a_run_that_continued_past_a_failure_ends_failed) {
  auto plan = plan_of(three_steps);
  task_machine m{plan, task_machine::make(plan, "t1", {}, {}, 0)};
  m.begin_step(1);
  m.finish_step(true, nullptr, {}, 2);
  m.begin_step(3);
  m.finish_step(false, nullptr, "boom", 4); // on_error continue
  m.begin_step(5);
  m.finish_step(true, nullptr, {}, 6); // the last step still runs
  EXPECT_EQ(m.record().steps[2].state, step_state::succeeded);
  EXPECT_EQ(m.record().state, task_state::failed);
  EXPECT_EQ(m.record().error, "step 'b': boom");
}

TEST(task_machine, cancel_ends_the_running_step) {
  auto plan = plan_of(three_steps);
  task_machine m{plan, task_machine::make(plan, "t1", {}, {}, 0)};
  m.begin_step(1);
  m.cancel(5);
  EXPECT_EQ(m.record().state, task_state::cancelled);
  EXPECT_EQ(m.record().steps[0].state, step_state::cancelled);
  EXPECT_EQ(m.begin_step(6), nullptr);
  m.cancel(7); // idempotent
  EXPECT_EQ(m.record().ended_ns, 5);
}

TEST(task_machine, resume_redoes_a_step_but_never_an_http_call) {
  auto plan = plan_of(three_steps);
  task_machine m{plan, task_machine::make(plan, "t1", {}, {}, 0)};
  m.begin_step(1); // a is running when the node dies
  auto stored = m.record().to_storage();
  auto back = task_record::parse(stored);
  ASSERT_TRUE(back);
  task_machine again{plan, std::move(*back)};
  EXPECT_TRUE(again.resume(10));
  const auto* s = again.begin_step(11);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name, "a");
  EXPECT_EQ(again.record().steps[0].started_ns, 1); // its start is kept

  // Cut during the http step: it may have been sent, so the task fails.
  task_machine h{plan, task_machine::make(plan, "t2", {}, {}, 0)};
  for (int i = 0; i < 2; ++i) {
    h.begin_step(i);
    h.finish_step(true, nullptr, {}, i);
  }
  h.begin_step(3);
  auto cut = task_record::parse(h.record().to_storage());
  ASSERT_TRUE(cut);
  task_machine r{plan, std::move(*cut)};
  EXPECT_FALSE(r.resume(20));
  EXPECT_EQ(r.record().state, task_state::failed);
  EXPECT_NE(r.record().error.find("http step 'c'"), std::string::npos);
}

TEST(task_machine, a_changed_workflow_fails_the_resumed_task) {
  auto plan = plan_of(three_steps);
  task_machine m{plan, task_machine::make(plan, "t1", {}, {}, 0)};
  m.begin_step(1);
  m.finish_step(true, nullptr, {}, 2);
  auto other = plan_of(json::parse(
      R"({"steps": [{"name": "a", "emit": {"name": "x.a"}},
                    {"name": "z", "emit": {"name": "x.z"}}]})"));
  task_machine r{other, m.record()};
  EXPECT_EQ(r.begin_step(3), nullptr);
  EXPECT_EQ(r.record().state, task_state::failed);
}

TEST(task_record, storage_round_trip_and_api_shape) {
  auto plan = plan_of(three_steps);
  task_origin o;
  o.trigger_id = "trig";
  o.trigger_kind = "event";
  o.event_id = "e1";
  o.event_type = "x.y";
  auto rec = task_machine::make(plan, "t1", json{{"a", 1}}, o,
                                1'700'000'000'000'000'000);
  rec.event = json{{"name", "x.y"}};
  rec.fire_time = "2026-01-01T00:00:00Z";
  task_machine m{plan, rec};
  m.begin_step(1'700'000'000'100'000'000);
  m.finish_step(true, json{{"id", "t1.0"}}, {}, 1'700'000'000'200'000'000);
  m.set_status("degraded", "partial");
  auto back = task_record::parse(m.record().to_storage());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->to_storage(), m.record().to_storage());
  auto api = back->to_api();
  EXPECT_EQ(api["id"], "t1");
  EXPECT_EQ(api["workflow_id"], "wf");
  EXPECT_EQ(api["trigger_id"], "trig");
  EXPECT_EQ(api["state"], "running");
  EXPECT_EQ(api["status"], "degraded");
  EXPECT_EQ(api["status_msg"], "partial");
  EXPECT_EQ(api["input"], json({{"a", 1}}));
  EXPECT_EQ(api["outputs"], json::array({json{{"id", "t1.0"}}}));
  ASSERT_EQ(api["steps"].size(), 3u);
  EXPECT_EQ(api["steps"][0]["state"], "succeeded");
  EXPECT_EQ(api["steps"][0]["duration_ms"], 100);
  EXPECT_FALSE(api["steps"][1].contains("started"));
  EXPECT_EQ(api["started"], "2023-11-14T22:13:20Z");
  EXPECT_FALSE(api.contains("ended"));
  EXPECT_FALSE(task_record::parse("{}"));
  EXPECT_FALSE(task_record::parse("not json"));
}

TEST(task_state, names) {
  for (auto s : {task_state::running, task_state::succeeded, task_state::failed,
                 task_state::cancelled})
    EXPECT_EQ(parse_task_state(to_string(s)), s);
  EXPECT_FALSE(parse_task_state("done"));
}

TEST(traceparent, carries_the_trace_with_new_spans) {
  task_record r;
  r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto a = make_traceparent(r, 1);
  auto b = make_traceparent(r, 2);
  EXPECT_EQ(a.size(), 55u);
  EXPECT_EQ(a.substr(0, 36), "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  EXPECT_NE(a, b);
  auto p = parse_traceparent(a);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, r.trace_id);
  EXPECT_EQ(p->second, "01");
  EXPECT_FALSE(parse_traceparent("00-0000"));
  EXPECT_FALSE(parse_traceparent(
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parse_traceparent(
      "00-4bf92f3577b34da6a3ce929d0e0e473X-00f067aa0ba902b7-01"));
}

} // namespace
} // namespace herald::flow

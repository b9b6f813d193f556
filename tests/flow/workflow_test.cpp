#include "runtime/flow/workflow.hpp"

#include <gtest/gtest.h>

#include "runtime/errc.hpp"

namespace herald::flow {
namespace {

using json = nlohmann::json;
using runtime::errc;
using namespace std::chrono_literals;

/// DESIGN §5's example document, with a real URL.
json design_example() {
  return json::parse(R"({
    "name": "Nightly sync",
    "input_schema": {"type": "object", "required": ["who"]},
    "overlap": "skip",
    "steps": [
      {"name": "announce", "emit": {"name": "sync.started", "data": {"who": "${input.who}"}}},
      {"name": "collect",  "perform_action": {"action": "collect"}, "timeout": "30m", "on_error": "stop"},
      {"name": "ready",    "wait_for_event": {"name": "sync.ready", "filter": {}}, "timeout": "10m"},
      {"name": "notify",   "http": {"method": "POST", "url": "https://hooks.example.com/sync", "headers": {}, "body": {}}, "timeout": "10s"},
      {"name": "mark",     "set_status": {"status": "degraded", "message": "partial data"}},
      {"phase": "cleanup", "timeout": "1h"}
    ]
  })");
}

/// A one-step document around `step`.
json one_step(json step) {
  return {{"steps", json::array({std::move(step)})}};
}

workflow_plan parse_ok(const json& doc) {
  auto p = workflow_plan::parse("wf", doc);
  EXPECT_TRUE(p) << doc.dump() << ": " << caf::to_string(p.error());
  return p ? *p
           : *workflow_plan::parse("wf", one_step({{"emit", {{"name", "x"}}}}));
}

void expect_error(const caf::error& err, errc code, const std::string& field,
                  const std::string& says) {
  auto d = runtime::describe(err);
  EXPECT_EQ(d.code, code) << runtime::to_string(d.code) << ": " << d.message;
  EXPECT_EQ(d.field, field) << d.message;
  EXPECT_NE(d.message.find(says), std::string::npos)
      << "'" << d.message << "' does not say '" << says << "'";
}

void parse_fails(const json& doc, errc code, const std::string& field,
                 const std::string& says = "") {
  auto p = workflow_plan::parse("wf", doc);
  ASSERT_FALSE(p) << doc.dump() << " parsed";
  expect_error(p.error(), code, field, says);
}

// -- the example and the defaults ---------------------------------------------

TEST(workflow_parse, design_example_parses_into_its_steps) {
  auto plan = parse_ok(design_example());
  EXPECT_EQ(plan.id(), "wf");
  EXPECT_EQ(plan.name(), "Nightly sync");
  EXPECT_EQ(plan.overlap(), overlap_policy::skip);
  ASSERT_TRUE(plan.schema());
  EXPECT_EQ(plan.source(), design_example());
  const auto& s = plan.steps();
  ASSERT_EQ(s.size(), 8u); // five steps, a phase of three
  std::vector<std::string> names;
  for (const auto& step : s)
    names.push_back(step.name);
  EXPECT_EQ(names, (std::vector<std::string>{"announce", "collect", "ready",
                                             "notify", "mark", "pre_cleanup",
                                             "cleanup", "post_cleanup"}));
  EXPECT_EQ(s[0].kind, step_kind::emit);
  ASSERT_TRUE(s[0].emit);
  EXPECT_EQ(s[0].emit->name, "sync.started");
  EXPECT_FALSE(s[0].emit->name_template);
  EXPECT_EQ(s[0].timeout, default_step_timeout);
  EXPECT_EQ(s[0].pointer, "/steps/0");
  json input = {{"who", "alice"}};
  template_context ctx;
  ctx.input = &input;
  EXPECT_EQ(*s[0].emit->data.render(ctx), json({{"who", "alice"}}));

  EXPECT_EQ(s[1].kind, step_kind::perform_action);
  ASSERT_TRUE(s[1].action);
  EXPECT_EQ(s[1].action->action, "collect");
  EXPECT_EQ(*s[1].action->data.render({}), json::object());
  EXPECT_EQ(s[1].timeout, 30min);
  EXPECT_FALSE(s[1].continue_on_error);

  EXPECT_EQ(s[2].kind, step_kind::wait_for_event);
  ASSERT_TRUE(s[2].wait);
  EXPECT_EQ(s[2].wait->pattern, "sync.ready");
  ASSERT_TRUE(s[2].wait->filter);
  EXPECT_TRUE(s[2].wait->filter->empty());
  EXPECT_EQ(s[2].timeout, 10min);

  EXPECT_EQ(s[3].kind, step_kind::http);
  ASSERT_TRUE(s[3].http);
  EXPECT_EQ(s[3].http->method, "POST");
  EXPECT_EQ(*s[3].http->url.render({}), "https://hooks.example.com/sync");
  EXPECT_TRUE(s[3].http->headers.empty());
  ASSERT_TRUE(s[3].http->body);
  EXPECT_EQ(*s[3].http->body->render({}), json::object());
  EXPECT_EQ(s[3].timeout, 10s);

  EXPECT_EQ(s[4].kind, step_kind::set_status);
  ASSERT_TRUE(s[4].status);
  EXPECT_EQ(s[4].status->status, "degraded");
  EXPECT_EQ(*s[4].status->message.render_text({}), "partial data");

  for (size_t i = 5; i < 8; ++i) {
    EXPECT_EQ(s[i].kind, step_kind::perform_action);
    ASSERT_TRUE(s[i].action);
    EXPECT_EQ(s[i].action->action, s[i].name);
    EXPECT_EQ(s[i].timeout, 1h);
    EXPECT_EQ(s[i].pointer, "/steps/5");
    EXPECT_EQ(s[i].phase, "cleanup");
  }
  EXPECT_EQ(plan.check_input({{"who", "x"}}), "");
  EXPECT_EQ(plan.check_input(json::object()),
            "/who: required property missing");
}

TEST(workflow_parse, defaults_name_overlap_timeouts_and_step_names) {
  auto plan = parse_ok({{"steps",
                         {{{"emit", {{"name", "a"}}}},
                          {{"perform_action", {{"action", "b"}}}},
                          {{"wait_for_event", {{"name", "c.>"}}}},
                          {{"http", {{"url", "http://h"}}}},
                          {{"set_status", {{"status", "ok"}}}}}}});
  EXPECT_EQ(plan.name(), "wf");
  EXPECT_EQ(plan.overlap(), overlap_policy::skip);
  EXPECT_FALSE(plan.schema());
  EXPECT_EQ(plan.check_input("anything"), "");
  const auto& s = plan.steps();
  ASSERT_EQ(s.size(), 5u);
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(s[i].name, "step" + std::to_string(i));
    EXPECT_EQ(s[i].kind, static_cast<step_kind>(i));
    EXPECT_FALSE(s[i].continue_on_error);
    EXPECT_FALSE(s[i].phase);
  }
  EXPECT_EQ(s[0].timeout, default_step_timeout);
  EXPECT_EQ(s[1].timeout, default_action_timeout);
  EXPECT_EQ(s[2].timeout, default_step_timeout);
  EXPECT_EQ(s[3].timeout, default_http_timeout);
  EXPECT_EQ(s[4].timeout, default_step_timeout);
  EXPECT_EQ(*s[0].emit->data.render({}), json::object());
  EXPECT_FALSE(s[0].emit->scope);
  EXPECT_FALSE(s[2].wait->filter);
  EXPECT_EQ(s[3].http->method, "POST");
  EXPECT_FALSE(s[3].http->body);
  EXPECT_EQ(*s[4].status->message.render_text({}), "");
}

TEST(workflow_parse, every_overlap_and_on_error_value_is_read) {
  for (auto p : {overlap_policy::skip, overlap_policy::queue,
                 overlap_policy::parallel, overlap_policy::replace}) {
    auto doc = one_step({{"emit", {{"name", "a"}}}});
    doc["overlap"] = std::string{to_string(p)};
    EXPECT_EQ(parse_ok(doc).overlap(), p);
  }
  auto plan = parse_ok({{"steps",
                         {{{"emit", {{"name", "a"}}}, {"on_error", "continue"}},
                          {{"emit", {{"name", "a"}}}, {"on_error", "stop"}}}}});
  EXPECT_TRUE(plan.steps()[0].continue_on_error);
  EXPECT_FALSE(plan.steps()[1].continue_on_error);
}

TEST(workflow_parse, to_string_names_kinds_and_policies) {
  EXPECT_EQ(to_string(step_kind::emit), "emit");
  EXPECT_EQ(to_string(step_kind::perform_action), "perform_action");
  EXPECT_EQ(to_string(step_kind::wait_for_event), "wait_for_event");
  EXPECT_EQ(to_string(step_kind::http), "http");
  EXPECT_EQ(to_string(step_kind::set_status), "set_status");
  EXPECT_EQ(to_string(overlap_policy::skip), "skip");
  EXPECT_EQ(to_string(overlap_policy::queue), "queue");
  EXPECT_EQ(to_string(overlap_policy::parallel), "parallel");
  EXPECT_EQ(to_string(overlap_policy::replace), "replace");
}

TEST(workflow_parse, step_templates_see_earlier_steps_and_every_root) {
  auto plan = parse_ok(json::parse(R"({"steps": [
    {"name": "fetch", "http": {"method": "GET", "url": "https://api.example.com/${input.id}",
      "headers": {"Authorization": "Bearer ${input.token}"}}},
    {"name": "tell", "emit": {"name": "fetched.${input.kind}", "scope": "a/b",
      "data": {"status": "${steps.fetch.output.status}", "by": "${event.user}",
               "at": "${fire_time}", "task": "${task.id}"}}},
    {"name": "mark", "set_status": {"status": "done", "message": "got ${steps.fetch.output.status}"}}
  ]})"));
  const auto& s = plan.steps();
  ASSERT_EQ(s.size(), 3u);
  json input = {{"id", 7}, {"token", "t0k"}, {"kind", "x"}};
  json event = {{"user", "bob"}};
  json steps = {{"fetch", {{"output", {{"status", 200}}}}}};
  template_context ctx;
  ctx.input = &input;
  ctx.event = &event;
  ctx.fire_time = "2026-01-01T00:00:00Z";
  ctx.task_id = "t1";
  ctx.steps = &steps;
  EXPECT_EQ(*s[0].http->url.render_text(ctx), "https://api.example.com/7");
  ASSERT_EQ(s[0].http->headers.size(), 1u);
  EXPECT_EQ(s[0].http->headers[0].first, "Authorization");
  EXPECT_EQ(*s[0].http->headers[0].second.render_text(ctx), "Bearer t0k");
  ASSERT_TRUE(s[1].emit->name_template);
  EXPECT_EQ(*s[1].emit->name_template->render_text(ctx), "fetched.x");
  EXPECT_EQ(s[1].emit->scope, "a/b");
  EXPECT_EQ(*s[1].emit->data.render(ctx), json({{"status", 200},
                                                {"by", "bob"},
                                                {"at", "2026-01-01T00:00:00Z"},
                                                {"task", "t1"}}));
  EXPECT_EQ(*s[2].status->message.render_text(ctx), "got 200");
}

TEST(workflow_parse, phases_expand_to_three_actions_with_its_settings) {
  auto plan = parse_ok(
      {{"steps",
        {{{"name", "first"}, {"emit", {{"name", "a"}}}},
         {{"phase", "deploy-1"}, {"timeout", "5m"}, {"on_error", "continue"}},
         {{"name", "last"},
          {"emit",
           {{"name", "b"}, {"data", "${steps.post_deploy-1.output}"}}}}}}});
  const auto& s = plan.steps();
  ASSERT_EQ(s.size(), 5u);
  const char* names[] = {"pre_deploy-1", "deploy-1", "post_deploy-1"};
  for (size_t i = 0; i < 3; ++i) {
    const auto& st = s[i + 1];
    EXPECT_EQ(st.name, names[i]);
    EXPECT_EQ(st.kind, step_kind::perform_action);
    EXPECT_EQ(st.action->action, names[i]);
    EXPECT_EQ(*st.action->data.render({}), json::object());
    EXPECT_EQ(st.timeout, 5min);
    EXPECT_TRUE(st.continue_on_error);
    EXPECT_EQ(st.pointer, "/steps/1");
    EXPECT_EQ(st.phase, "deploy-1");
  }
  auto defaults = parse_ok(one_step({{"phase", "x"}}));
  ASSERT_EQ(defaults.steps().size(), 3u);
  EXPECT_EQ(defaults.steps()[0].timeout, default_action_timeout);
  EXPECT_FALSE(defaults.steps()[0].continue_on_error);
}

TEST(workflow_parse, step_names_may_use_the_whole_charset) {
  auto plan = parse_ok(
      {{"steps",
        {{{"name", "a.B-9_"}, {"emit", {{"name", "x"}}}},
         {{"name", std::string(64, 'n')}, {"emit", {{"name", "x"}}}},
         {{"emit", {{"name", "x"}, {"data", "${steps.a.B-9_.output}"}}}}}}});
  EXPECT_EQ(plan.steps()[2].name, "step2");
}

// -- the builtin workflow -----------------------------------------------------

TEST(builtin_workflow, expands_to_seed_000s_thirteen_actions_in_order) {
  auto plan =
      workflow_plan::parse(builtin_workflow_id, builtin_workflow_document());
  ASSERT_TRUE(plan) << caf::to_string(plan.error());
  EXPECT_EQ(plan->id(), "collect_and_cleanup");
  EXPECT_EQ(plan->name(), "Collect and cleanup");
  EXPECT_EQ(plan->overlap(), overlap_policy::skip);
  std::vector<std::string> actions;
  for (const auto& s : plan->steps()) {
    EXPECT_EQ(s.kind, step_kind::perform_action) << s.name;
    ASSERT_TRUE(s.action);
    EXPECT_EQ(s.action->action, s.name);
    EXPECT_GE(s.timeout, 10min);
    EXPECT_LE(s.timeout, 1h);
    actions.push_back(s.action->action);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "pre_collect", "collect", "merge_outer_edges",
                         "post_collect", "pre_cleanup_plan", "cleanup_plan",
                         "post_cleanup_plan", "pre_cleanup", "cleanup",
                         "post_cleanup", "pre_generate_metrics",
                         "generate_metrics", "post_generate_metrics"}));
  EXPECT_EQ(plan->steps()[1].timeout, 1h); // collect
  EXPECT_EQ(&builtin_workflow_document(), &builtin_workflow_document());
}

// -- bad documents ------------------------------------------------------------

TEST(workflow_errors, the_document_and_its_members) {
  parse_fails(json::array(), errc::invalid_field, "", "JSON object");
  parse_fails("steps", errc::invalid_field, "", "JSON object");
  auto doc = one_step({{"emit", {{"name", "a"}}}});
  doc["triggers"] = json::array();
  parse_fails(doc, errc::unknown_field, "/triggers", "'triggers'");
  doc = one_step({{"emit", {{"name", "a"}}}});
  doc["name"] = 5;
  parse_fails(doc, errc::invalid_field, "/name");
  doc["name"] = "";
  parse_fails(doc, errc::invalid_field, "/name");
  doc["name"] = std::string(257, 'x');
  parse_fails(doc, errc::invalid_field, "/name");
  doc["name"] = "ok";
  doc["description"] = json::object();
  parse_fails(doc, errc::invalid_field, "/description");
}

TEST(workflow_errors, steps_missing_not_an_array_or_empty) {
  parse_fails(json::object(), errc::missing_field, "/steps", "needs steps");
  parse_fails({{"name", "x"}}, errc::missing_field, "/steps");
  parse_fails({{"steps", json::object()}}, errc::invalid_field, "/steps",
              "array");
  parse_fails({{"steps", "emit"}}, errc::invalid_field, "/steps", "array");
  parse_fails({{"steps", json::array()}}, errc::invalid_field, "/steps",
              "must not be empty");
}

TEST(workflow_errors, too_many_steps_counting_phases) {
  json steps = json::array();
  for (size_t i = 0; i < max_steps / 3; ++i)
    steps.push_back({{"phase", "p" + std::to_string(i)}});
  EXPECT_EQ(parse_ok({{"steps", steps}}).steps().size(), max_steps / 3 * 3);
  steps.push_back({{"phase", "one_more"}});
  parse_fails({{"steps", steps}}, errc::invalid_field, "/steps",
              "more than 256 steps");
}

TEST(workflow_errors, bad_overlap) {
  auto doc = one_step({{"emit", {{"name", "a"}}}});
  doc["overlap"] = "sometimes";
  parse_fails(doc, errc::invalid_field, "/overlap",
              "skip, queue, parallel or replace");
  doc["overlap"] = 1;
  parse_fails(doc, errc::invalid_field, "/overlap");
}

TEST(workflow_errors, bad_on_error) {
  parse_fails(
      one_step(
          {{"name", "n"}, {"emit", {{"name", "a"}}}, {"on_error", "retry"}}),
      errc::invalid_field, "/steps/0/on_error",
      "step 'n': on_error must be \"stop\" or \"continue\"");
  parse_fails(one_step({{"emit", {{"name", "a"}}}, {"on_error", true}}),
              errc::invalid_field, "/steps/0/on_error");
  parse_fails(one_step({{"phase", "p"}, {"on_error", "ignore"}}),
              errc::invalid_field, "/steps/0/on_error", "phase 'p'");
}

TEST(workflow_errors, step_that_is_not_an_object) {
  parse_fails({{"steps", {"emit"}}}, errc::invalid_field, "/steps/0",
              "must be an object");
}

TEST(workflow_errors, unknown_step_type) {
  parse_fails({{"steps",
                {{{"emit", {{"name", "a"}}}},
                 {{"name", "n"}, {"send_mail", {{"to", "x"}}}}}}},
              errc::unknown_field, "/steps/1/send_mail",
              "step 'n': unknown step type 'send_mail'");
  parse_fails(one_step({{"foo", 1}}), errc::unknown_field, "/steps/0/foo",
              "step 0: unknown step type 'foo'");
  // With a kind, another member is an unknown member.
  parse_fails(
      one_step({{"name", "n"}, {"emit", {{"name", "a"}}}, {"retry", 3}}),
      errc::unknown_field, "/steps/0/retry", "unknown member 'retry'");
}

TEST(workflow_errors, a_step_with_zero_or_two_kinds) {
  parse_fails(one_step({{"name", "n"}}), errc::missing_field, "/steps/0",
              "needs one of emit");
  parse_fails(
      one_step({{"emit", {{"name", "a"}}}, {"http", {{"url", "http://h"}}}}),
      errc::invalid_field, "/steps/0/http", "has both 'emit' and 'http'");
  parse_fails(one_step({{"emit", {{"name", "a"}}}, {"phase", "p"}}),
              errc::invalid_field, "/steps/0/phase", "has both");
}

TEST(workflow_errors, duplicate_step_names) {
  parse_fails({{"steps",
                {{{"name", "a"}, {"emit", {{"name", "x"}}}},
                 {{"name", "b"}, {"emit", {{"name", "x"}}}},
                 {{"name", "a"}, {"emit", {{"name", "x"}}}}}}},
              errc::invalid_field, "/steps/2/name",
              "step 'a': the name 'a' is taken");
  // An unnamed step's default name counts too.
  parse_fails({{"steps",
                {{{"emit", {{"name", "x"}}}},
                 {{"name", "step0"}, {"emit", {{"name", "x"}}}}}}},
              errc::invalid_field, "/steps/1/name", "taken");
  // A phase's steps collide with a named step, either way round.
  parse_fails(
      {{"steps",
        {{{"name", "pre_c"}, {"emit", {{"name", "x"}}}}, {{"phase", "c"}}}}},
      errc::invalid_field, "/steps/1/phase", "'pre_c' is taken");
  parse_fails(
      {{"steps",
        {{{"phase", "c"}}, {{"name", "c"}, {"emit", {{"name", "x"}}}}}}},
      errc::invalid_field, "/steps/1/name", "taken");
}

TEST(workflow_errors, step_names_outside_the_charset) {
  for (json bad : {json(""), json("a b"), json("a/b"), json("ü"),
                   json(std::string(65, 'n')), json(3)})
    parse_fails(one_step({{"name", bad}, {"emit", {{"name", "x"}}}}),
                errc::invalid_field, "/steps/0/name", "[A-Za-z0-9_.-]");
}

TEST(workflow_errors, bad_phases) {
  parse_fails(one_step({{"phase", "a.b"}}), errc::invalid_name,
              "/steps/0/phase", "one event name segment");
  parse_fails(one_step({{"phase", ""}}), errc::invalid_name, "/steps/0/phase");
  parse_fails(one_step({{"phase", 1}}), errc::invalid_name, "/steps/0/phase");
  parse_fails(one_step({{"phase", std::string(60, 'p')}}), errc::invalid_name,
              "/steps/0/phase");
  parse_fails(one_step({{"phase", "p"}, {"name", "n"}}), errc::unknown_field,
              "/steps/0/name", "a phase takes no name");
  parse_fails(one_step({{"phase", "p"}, {"data", {}}}), errc::unknown_field,
              "/steps/0/data", "unknown member 'data'");
}

TEST(workflow_errors, timeout_out_of_range_at_both_ends) {
  parse_fails(
      one_step({{"name", "n"}, {"emit", {{"name", "a"}}}, {"timeout", "99ms"}}),
      errc::invalid_field, "/steps/0/timeout",
      "step 'n': timeout 99ms is out of range (100ms..30d)");
  parse_fails(one_step({{"emit", {{"name", "a"}}}, {"timeout", "31d"}}),
              errc::invalid_field, "/steps/0/timeout", "out of range");
  parse_fails(one_step({{"emit", {{"name", "a"}}}, {"timeout", "0s"}}),
              errc::invalid_field, "/steps/0/timeout", "out of range");
  parse_fails(one_step({{"phase", "p"}, {"timeout", "30d1ms"}}),
              errc::invalid_field, "/steps/0/timeout", "out of range");
  auto edges = parse_ok({{"steps",
                          {{{"emit", {{"name", "a"}}}, {"timeout", "100ms"}},
                           {{"emit", {{"name", "a"}}}, {"timeout", "30d"}}}}});
  EXPECT_EQ(edges.steps()[0].timeout, min_step_timeout);
  EXPECT_EQ(edges.steps()[1].timeout, max_step_timeout);
}

TEST(workflow_errors, malformed_timeout) {
  for (json bad :
       {json("5x"), json("10"), json(""), json("1.5h"), json("-1s"), json("s")})
    parse_fails(one_step({{"emit", {{"name", "a"}}}, {"timeout", bad}}),
                errc::invalid_field, "/steps/0/timeout", "step 'step0': ");
  parse_fails(one_step({{"emit", {{"name", "a"}}}, {"timeout", 30}}),
              errc::invalid_field, "/steps/0/timeout", "duration text");
}

TEST(workflow_errors, templates_referring_to_nothing) {
  // Unknown root.
  parse_fails(
      one_step(
          {{"name", "n"},
           {"emit", {{"name", "a"}, {"data", {{"who", "${user.name}"}}}}}}),
      errc::invalid_field, "/steps/0/emit/data/who",
      "step 'n': ${user.name} refers to nothing");
  // A later step.
  parse_fails(
      {{"steps",
        {{{"name", "first"},
          {"emit",
           {{"name", "a"}, {"data", {{"who", "${steps.later.output}"}}}}}},
         {{"name", "later"}, {"emit", {{"name", "b"}}}}}}},
      errc::invalid_field, "/steps/0/emit/data/who",
      "${steps.later.output} refers to no earlier step");
  // A step that does not exist; and a step cannot refer to itself.
  parse_fails(
      one_step({{"name", "self"},
                {"set_status",
                 {{"status", "x"}, {"message", "${steps.self.output}"}}}}),
      errc::invalid_field, "/steps/0/set_status/message",
      "refers to no earlier step");
  parse_fails(one_step({{"http",
                         {{"url", "http://h"},
                          {"body", {{"l", {1, "${steps.x.output}"}}}}}}}),
              errc::invalid_field, "/steps/0/http/body/l/1", "no earlier step");
  parse_fails(
      one_step(
          {{"http", {{"url", "http://h"}, {"headers", {{"X-A", "${input"}}}}}}),
      errc::invalid_field, "/steps/0/http/headers/X-A", "not closed");
  parse_fails(one_step({{"perform_action",
                         {{"action", "a"}, {"data", {{"k", "${}"}}}}}}),
              errc::invalid_field, "/steps/0/perform_action/data/k", "empty");
  parse_fails(one_step({{"emit", {{"name", "a.${nope}"}}}}),
              errc::invalid_field, "/steps/0/emit/name", "${nope}");
  parse_fails(one_step({{"http", {{"url", "https://h/${x.y}"}}}}),
              errc::invalid_field, "/steps/0/http/url", "${x.y}");
}

TEST(workflow_errors, emit) {
  parse_fails(one_step({{"emit", "a"}}), errc::invalid_field, "/steps/0/emit");
  parse_fails(one_step({{"emit", json::object()}}), errc::missing_field,
              "/steps/0/emit/name");
  parse_fails(one_step({{"emit", {{"name", 1}}}}), errc::invalid_field,
              "/steps/0/emit/name");
  for (auto bad : {"a..b", "a b", ".a", "a.*", "$${x}"})
    parse_fails(one_step({{"name", "n"}, {"emit", {{"name", bad}}}}),
                errc::invalid_name, "/steps/0/emit/name",
                "step 'n': '" + std::string{bad} + "' is not an event name");
  parse_fails(one_step({{"emit", {{"name", "a"}, {"scope", "/bad/"}}}}),
              errc::invalid_scope, "/steps/0/emit/scope");
  parse_fails(one_step({{"emit", {{"name", "a"}, {"scope", 3}}}}),
              errc::invalid_scope, "/steps/0/emit/scope");
  parse_fails(one_step({{"emit", {{"name", "a"}, {"tenant", "t"}}}}),
              errc::unknown_field, "/steps/0/emit/tenant");
}

TEST(workflow_errors, perform_action) {
  parse_fails(one_step({{"perform_action", "collect"}}), errc::invalid_field,
              "/steps/0/perform_action");
  parse_fails(one_step({{"perform_action", json::object()}}),
              errc::missing_field, "/steps/0/perform_action/action");
  parse_fails(one_step({{"perform_action", {{"action", "a,b"}}}}),
              errc::invalid_name, "/steps/0/perform_action/action",
              "named after it");
  parse_fails(one_step({{"perform_action", {{"action", "a"}, {"data", 1}}}}),
              errc::invalid_field, "/steps/0/perform_action/data",
              "must be an object");
  parse_fails(one_step({{"perform_action", {{"action", "a"}, {"who", 1}}}}),
              errc::unknown_field, "/steps/0/perform_action/who");
}

TEST(workflow_errors, wait_for_event_bad_pattern) {
  for (auto bad : {"a.>.b", "a..b", "a*", ""})
    parse_fails(one_step({{"name", "w"}, {"wait_for_event", {{"name", bad}}}}),
                errc::invalid_pattern, "/steps/0/wait_for_event/name",
                "step 'w': ");
  parse_fails(one_step({{"wait_for_event", json::object()}}),
              errc::missing_field, "/steps/0/wait_for_event/name");
  parse_fails(
      one_step({{"wait_for_event", {{"name", "a"}, {"timeout", "1h"}}}}),
      errc::unknown_field, "/steps/0/wait_for_event/timeout");
  parse_fails(one_step({{"wait_for_event", 1}}), errc::invalid_field,
              "/steps/0/wait_for_event");
}

TEST(workflow_errors, wait_for_event_bad_filter) {
  parse_fails(one_step({{"name", "w"},
                        {"wait_for_event",
                         {{"name", "a"}, {"filter", {{"source", "iam"}}}}}}),
              errc::invalid_filter, "/steps/0/wait_for_event/filter/source",
              "step 'w': ");
  parse_fails(one_step({{"wait_for_event", {{"name", "a"}, {"filter", 3}}}}),
              errc::invalid_filter, "/steps/0/wait_for_event/filter");
  auto ok = parse_ok(one_step(
      {{"wait_for_event",
        {{"name", "iam.*"}, {"filter", {{"data.state", {"active"}}}}}}}));
  ASSERT_TRUE(ok.steps()[0].wait->filter);
  EXPECT_FALSE(ok.steps()[0].wait->filter->empty());
}

TEST(workflow_errors, malformed_http_url) {
  for (auto bad :
       {"ftp://host/x", "https://", "https:///path", "http://:80/",
        "hooks.example.com", "https://a b", "https://h:0/", "https://h:65536",
        "https://h:x", "https://h:", "https://[::1", "http://ho^st/", ""})
    parse_fails(one_step({{"name", "notify"},
                          {"http", {{"method", "POST"}, {"url", bad}}}}),
                errc::invalid_field, "/steps/0/http/url",
                "step 'notify': url '");
  parse_fails(one_step({{"http", {{"method", "GET"}}}}), errc::missing_field,
              "/steps/0/http/url");
  parse_fails(one_step({{"http", {{"url", 5}}}}), errc::invalid_field,
              "/steps/0/http/url");
}

TEST(workflow_errors, http_method_headers_and_members) {
  for (json bad : {json("get"), json("TRACE"), json(1)})
    parse_fails(one_step({{"http", {{"method", bad}, {"url", "http://h"}}}}),
                errc::invalid_field, "/steps/0/http/method");
  for (auto m : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})
    EXPECT_EQ(
        parse_ok(one_step({{"http", {{"method", m}, {"url", "http://h"}}}}))
            .steps()[0]
            .http->method,
        m);
  parse_fails(one_step({{"http", {{"url", "http://h"}, {"headers", {"a"}}}}}),
              errc::invalid_field, "/steps/0/http/headers");
  parse_fails(
      one_step({{"http", {{"url", "http://h"}, {"headers", {{"A", 1}}}}}}),
      errc::invalid_field, "/steps/0/http/headers/A");
  parse_fails(
      one_step({{"http", {{"url", "http://h"}, {"headers", {{"A B", "x"}}}}}}),
      errc::invalid_field, "/steps/0/http/headers/A B", "not a header name");
  parse_fails(
      one_step(
          {{"http", {{"url", "http://h"}, {"headers", {{"A", "x\r\nB: y"}}}}}}),
      errc::invalid_field, "/steps/0/http/headers/A", "line break");
  parse_fails(one_step({{"http", {{"url", "http://h"}, {"query", "q"}}}}),
              errc::unknown_field, "/steps/0/http/query");
}

TEST(check_http_url, accepts_http_and_https_with_a_host) {
  for (auto ok : {"http://h", "https://hooks.example.com/a/b?c=d#e",
                  "HTTPS://Example.COM", "http://127.0.0.1:8080/x",
                  "https://user:pw@host:443/", "http://[::1]:9000/",
                  "http://[fe80::1]", "https://my_host.internal/?q=${x}"})
    EXPECT_FALSE(check_http_url(ok, "/u")) << ok;
  auto err = check_http_url("mailto:x@y", "/u");
  expect_error(err, errc::invalid_field, "/u", "http:// or https://");
  expect_error(check_http_url("https://", "/u"), errc::invalid_field, "/u",
               "no host");
  expect_error(check_http_url("https://h:99999", "/u"), errc::invalid_field,
               "/u", "1-65535");
}

TEST(workflow_errors, set_status) {
  parse_fails(one_step({{"set_status", json::object()}}), errc::missing_field,
              "/steps/0/set_status/status");
  parse_fails(one_step({{"set_status", {{"status", ""}}}}), errc::invalid_field,
              "/steps/0/set_status/status", "1-64");
  parse_fails(one_step({{"set_status", {{"status", std::string(65, 's')}}}}),
              errc::invalid_field, "/steps/0/set_status/status", "1-64");
  parse_fails(one_step({{"set_status", {{"status", "x"}, {"message", 1}}}}),
              errc::invalid_field, "/steps/0/set_status/message");
  parse_fails(one_step({{"set_status", "x"}}), errc::invalid_field,
              "/steps/0/set_status");
  EXPECT_EQ(
      parse_ok(one_step({{"set_status", {{"status", std::string(64, 's')}}}}))
          .steps()[0]
          .status->status.size(),
      64u);
}

TEST(workflow_errors, schema_that_is_not_an_object) {
  for (json bad : {json(true), json("object"), json::array(), json(nullptr)}) {
    auto doc = one_step({{"emit", {{"name", "a"}}}});
    doc["input_schema"] = bad;
    parse_fails(doc, errc::invalid_field, "/input_schema", "JSON object");
  }
  auto doc = one_step({{"emit", {{"name", "a"}}}});
  doc["input_schema"] = {{"type", "object"}, {"if", json::object()}};
  parse_fails(doc, errc::unknown_field, "/input_schema/if", "'if'");
}

} // namespace
} // namespace herald::flow

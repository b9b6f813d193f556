// Fuzz target for the definitions of DESIGN §5 that clients send: the
// first byte picks the parser, the rest is its input.
//   0: workflow document (PUT /api/v1/workflows/{id}); a valid plan's
//      templates are rendered against a fixed context and its input schema
//      checked against fixed inputs
//   1: trigger document (PUT /api/v1/triggers/{id}); a valid schedule is
//      previewed and asked for missed instants
//   2: cron expression text; 3: duration text; 4: text template
// Errors must be DESIGN §7 error values; a crash, an exception or a
// disagreement is a bug.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/error_check.hpp"
#include "runtime/errc.hpp"
#include "runtime/flow/cron.hpp"
#include "runtime/flow/duration.hpp"
#include "runtime/flow/schedule.hpp"
#include "runtime/flow/template.hpp"
#include "runtime/flow/trigger.hpp"
#include "runtime/flow/workflow.hpp"

namespace {

using json = nlohmann::json;
namespace flow = herald::flow;

void check(bool ok) {
  if (!ok)
    std::abort();
}

template <class T>
bool ok_or_api_error(const caf::expected<T>& r, const char* what) {
  if (r)
    return true;
  herald::fuzz::check_error_body(r.error(), what);
  return false;
}

const json& context_input() {
  static const json v = json::parse(
      R"({"who":"ada","n":3,"items":[1,{"a":"b"}],"deep":{"x":{"y":null}}})");
  return v;
}

const json& context_event() {
  static const json v = json::parse(
      R"({"id":"e1","name":"iam.user.created","user":"alice","data":{"k":[true]}})");
  return v;
}

flow::template_context context(const json& steps) {
  flow::template_context ctx;
  ctx.input = &context_input();
  ctx.event = &context_event();
  ctx.fire_time = "2026-12-06T10:00:00Z";
  ctx.task_id = "t1";
  ctx.steps = &steps;
  return ctx;
}

void workflow(std::string_view text) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return;
  auto plan = flow::workflow_plan::parse("fuzz", doc);
  if (!ok_or_api_error(plan, "flow_fuzz/workflow"))
    return;
  json steps = json::object();
  for (const auto& s : plan->steps()) {
    auto ctx = context(steps);
    if (s.emit) {
      (void)s.emit->data.render(ctx);
      if (s.emit->name_template)
        (void)s.emit->name_template->render_text(ctx);
    }
    if (s.action)
      (void)s.action->data.render(ctx);
    if (s.http) {
      (void)s.http->url.render(ctx);
      if (s.http->body)
        (void)s.http->body->render(ctx);
    }
    if (s.status)
      (void)s.status->message.render_text(ctx);
    steps[s.name] = json{{"output", json{{"ok", true}}}};
  }
  for (const auto& in : {context_input(), json{}, json::array(), json(1)})
    (void)plan->check_input(in);
}

void trigger(std::string_view text) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return;
  auto t = flow::trigger_def::parse("fuzz", doc);
  if (!ok_or_api_error(t, "flow_fuzz/trigger"))
    return;
  json steps = json::object();
  (void)t->render_input(context(steps));
  if (const auto& when = t->when()) {
    const int64_t from = 1'795'341'600'000'000'000; // 2026-11-22
    auto fires = when->preview(from, 5);
    for (size_t i = 1; i < fires.size(); ++i)
      check(fires[i - 1] < fires[i]);
    for (auto f : fires)
      check(f >= from);
    size_t skipped = 0;
    auto missed =
        when->missed(from - 86'400'000'000'000, from, t->catch_up(), &skipped);
    check(missed.size() <= flow::max_catch_up);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view text{reinterpret_cast<const char*>(data) + 1, size - 1};
  switch (data[0] % 5) {
  case 0:
    workflow(text);
    break;
  case 1:
    trigger(text);
    break;
  case 2: {
    auto c = flow::cron_expr::parse(text);
    if (ok_or_api_error(c, "flow_fuzz/cron")) {
      auto n = c->next(flow::civil_minute{2026, 12, 6, 10, 0});
      if (n)
        check(c->matches(*n));
    }
    break;
  }
  case 3: {
    auto d = flow::parse_duration(text, "timeout");
    if (ok_or_api_error(d, "flow_fuzz/duration")) {
      auto back = flow::parse_duration(flow::format_duration(*d), "timeout");
      check(back && *back == *d);
    }
    break;
  }
  case 4: {
    flow::template_scope scope;
    scope.event = scope.fire_time = true;
    auto t = flow::json_template::compile_text(text, scope, "/input_template");
    if (ok_or_api_error(t, "flow_fuzz/template")) {
      json steps = json::object();
      (void)t->render(context(steps));
    }
    break;
  }
  }
  return 0;
}

#include "runtime/flow/task.hpp"

#include <cstdio>
#include <random>

#include "runtime/errc.hpp"
#include "runtime/time_format.hpp"

namespace herald::flow {

namespace {

using json = nlohmann::json;

std::string hex(uint64_t v, int digits) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%0*llx", digits,
                static_cast<unsigned long long>(v));
  return std::string{buf, static_cast<size_t>(digits)};
}

uint64_t random64() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen();
}

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

std::optional<step_state> parse_step_state(std::string_view s) {
  for (auto st :
       {step_state::pending, step_state::running, step_state::succeeded,
        step_state::failed, step_state::cancelled})
    if (to_string(st) == s)
      return st;
  return std::nullopt;
}

} // namespace

std::string_view to_string(task_state s) noexcept {
  switch (s) {
  case task_state::running:
    return "running";
  case task_state::succeeded:
    return "succeeded";
  case task_state::failed:
    return "failed";
  case task_state::cancelled:
    return "cancelled";
  }
  return "running";
}

std::optional<task_state> parse_task_state(std::string_view text) noexcept {
  for (auto s : {task_state::running, task_state::succeeded, task_state::failed,
                 task_state::cancelled})
    if (to_string(s) == text)
      return s;
  return std::nullopt;
}

std::string_view to_string(step_state s) noexcept {
  switch (s) {
  case step_state::pending:
    return "pending";
  case step_state::running:
    return "running";
  case step_state::succeeded:
    return "succeeded";
  case step_state::failed:
    return "failed";
  case step_state::cancelled:
    return "cancelled";
  }
  return "pending";
}

json task_record::outputs() const {
  json out = json::array();
  for (const auto& s : steps)
    if (!s.output.is_null())
      out.push_back(s.output);
  return out;
}

json task_record::to_api() const {
  json j{{"id", id},
         {"workflow_id", workflow_id},
         {"state", to_string(state)},
         {"status", status},
         {"status_msg", status_msg},
         {"input", input},
         {"outputs", outputs()}};
  if (!origin.trigger_id.empty())
    j["trigger_id"] = origin.trigger_id;
  if (!origin.event_id.empty())
    j["event_id"] = origin.event_id;
  json st = json::array();
  for (const auto& s : steps) {
    json one{{"name", s.name}, {"state", to_string(s.state)}};
    if (s.started_ns)
      one["started"] = runtime::format_rfc3339(s.started_ns);
    if (s.ended_ns)
      one["ended"] = runtime::format_rfc3339(s.ended_ns);
    if (s.started_ns && s.ended_ns)
      one["duration_ms"] = (s.ended_ns - s.started_ns) / 1000000;
    if (!s.output.is_null())
      one["output"] = s.output;
    if (!s.error.empty())
      one["error"] = s.error;
    st.push_back(std::move(one));
  }
  j["steps"] = std::move(st);
  if (started_ns)
    j["started"] = runtime::format_rfc3339(started_ns);
  if (ended_ns) {
    j["ended"] = runtime::format_rfc3339(ended_ns);
    j["duration_ms"] = (ended_ns - started_ns) / 1000000;
  }
  if (!error.empty())
    j["error"] = error;
  return j;
}

std::string task_record::to_storage() const {
  json st = json::array();
  for (const auto& s : steps)
    st.push_back(json{{"name", s.name},
                      {"state", to_string(s.state)},
                      {"started_ns", s.started_ns},
                      {"ended_ns", s.ended_ns},
                      {"output", s.output},
                      {"error", s.error}});
  json j{{"id", id},
         {"workflow_id", workflow_id},
         {"workflow_name", workflow_name},
         {"origin", json{{"trigger_id", origin.trigger_id},
                         {"trigger_name", origin.trigger_name},
                         {"trigger_kind", origin.trigger_kind},
                         {"trigger_priority", origin.trigger_priority},
                         {"event_id", origin.event_id},
                         {"event_type", origin.event_type}}},
         {"state", to_string(state)},
         {"status", status},
         {"status_msg", status_msg},
         {"input", input},
         {"steps", std::move(st)},
         {"started_ns", started_ns},
         {"ended_ns", ended_ns},
         {"error", error},
         {"trace_id", trace_id},
         {"trace_flags", trace_flags},
         {"current", current}};
  if (event)
    j["event"] = *event;
  if (fire_time)
    j["fire_time"] = *fire_time;
  return j.dump();
}

caf::expected<task_record> task_record::parse(std::string_view text) {
  auto j = json::parse(text, nullptr, false);
  auto bad = [] {
    return runtime::make_api_error(runtime::errc::invalid_field,
                                   "stored task record is malformed", "task");
  };
  if (!j.is_object())
    return bad();
  task_record r;
  auto str = [&](const json& o, const char* k) -> std::string {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>()
                                            : std::string{};
  };
  auto num = [&](const json& o, const char* k) -> int64_t {
    auto it = o.find(k);
    return it != o.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
  };
  r.id = str(j, "id");
  r.workflow_id = str(j, "workflow_id");
  r.workflow_name = str(j, "workflow_name");
  if (auto o = j.find("origin"); o != j.end() && o->is_object()) {
    r.origin.trigger_id = str(*o, "trigger_id");
    r.origin.trigger_name = str(*o, "trigger_name");
    r.origin.trigger_kind = str(*o, "trigger_kind");
    r.origin.trigger_priority = static_cast<int>(num(*o, "trigger_priority"));
    r.origin.event_id = str(*o, "event_id");
    r.origin.event_type = str(*o, "event_type");
  }
  auto st = parse_task_state(str(j, "state"));
  if (!st || r.id.empty())
    return bad();
  r.state = *st;
  r.status = str(j, "status");
  r.status_msg = str(j, "status_msg");
  if (auto in = j.find("input"); in != j.end())
    r.input = *in;
  if (auto steps = j.find("steps"); steps != j.end() && steps->is_array()) {
    for (const auto& s : *steps) {
      if (!s.is_object())
        return bad();
      step_record sr;
      sr.name = str(s, "name");
      auto ss = parse_step_state(str(s, "state"));
      if (!ss)
        return bad();
      sr.state = *ss;
      sr.started_ns = num(s, "started_ns");
      sr.ended_ns = num(s, "ended_ns");
      if (auto o = s.find("output"); o != s.end())
        sr.output = *o;
      sr.error = str(s, "error");
      r.steps.push_back(std::move(sr));
    }
  }
  r.started_ns = num(j, "started_ns");
  r.ended_ns = num(j, "ended_ns");
  r.error = str(j, "error");
  r.trace_id = str(j, "trace_id");
  r.trace_flags = str(j, "trace_flags");
  r.current = static_cast<size_t>(num(j, "current"));
  if (auto e = j.find("event"); e != j.end())
    r.event = *e;
  if (auto f = j.find("fire_time"); f != j.end() && f->is_string())
    r.fire_time = f->get<std::string>();
  return r;
}

json task_record::steps_context() const {
  json ctx = json::object();
  for (const auto& s : steps)
    if (s.state == step_state::succeeded || s.state == step_state::failed)
      ctx[s.name] = json{{"output", s.output}};
  return ctx;
}

task_record task_machine::make(const workflow_plan& plan, std::string id,
                               json input, task_origin origin, int64_t now_ns) {
  task_record r;
  r.id = std::move(id);
  r.workflow_id = plan.id();
  r.workflow_name = plan.name();
  r.origin = std::move(origin);
  r.input = std::move(input);
  r.started_ns = now_ns;
  for (const auto& s : plan.steps()) {
    step_record sr;
    sr.name = s.name;
    r.steps.push_back(std::move(sr));
  }
  r.trace_id = hex(random64(), 16) + hex(random64(), 16);
  return r;
}

task_machine::task_machine(const workflow_plan& plan, task_record rec)
    : plan_(plan), rec_(std::move(rec)) {
  // A record written for another version of the workflow keeps its own
  // step list; steps the plan no longer has end the run (checked by
  // begin_step).
}

const step_plan* task_machine::begin_step(int64_t now_ns) {
  if (ended())
    return nullptr;
  if (rec_.current >= rec_.steps.size()) {
    end_after_last(now_ns);
    return nullptr;
  }
  const auto& steps = plan_.steps();
  if (rec_.current >= steps.size() ||
      steps[rec_.current].name != rec_.steps[rec_.current].name) {
    fail(now_ns, "the workflow changed while the task ran: step '" +
                     rec_.steps[rec_.current].name + "' is not in it");
    return nullptr;
  }
  auto& s = rec_.steps[rec_.current];
  if (s.state != step_state::running) {
    s.state = step_state::running;
    s.started_ns = now_ns;
  }
  return &steps[rec_.current];
}

void task_machine::finish_step(bool ok, json output, std::string error,
                               int64_t now_ns) {
  if (ended() || rec_.current >= rec_.steps.size())
    return;
  auto& s = rec_.steps[rec_.current];
  s.ended_ns = now_ns;
  s.output = std::move(output);
  const bool go_on = ok || (rec_.current < plan_.steps().size() &&
                            plan_.steps()[rec_.current].continue_on_error);
  s.state = ok ? step_state::succeeded : step_state::failed;
  s.error = ok ? std::string{} : error;
  ++rec_.current;
  if (!go_on) {
    end(task_state::failed, now_ns, "step '" + s.name + "': " + error);
    return;
  }
  if (rec_.current >= rec_.steps.size())
    end_after_last(now_ns);
}

void task_machine::end_after_last(int64_t now_ns) {
  // Steps that failed with on_error continue let the run go on, but the
  // run did not do all it was asked: it ends failed, naming the first.
  for (const auto& s : rec_.steps)
    if (s.state == step_state::failed)
      return end(task_state::failed, now_ns,
                 "step '" + s.name + "': " + s.error);
  end(task_state::succeeded, now_ns, {});
}

void task_machine::set_status(std::string status, std::string message) {
  rec_.status = std::move(status);
  rec_.status_msg = std::move(message);
}

void task_machine::cancel(int64_t now_ns, std::string reason) {
  if (ended())
    return;
  if (rec_.current < rec_.steps.size()) {
    auto& s = rec_.steps[rec_.current];
    if (s.state == step_state::running) {
      s.state = step_state::cancelled;
      s.ended_ns = now_ns;
    }
  }
  end(task_state::cancelled, now_ns, std::move(reason));
}

void task_machine::fail(int64_t now_ns, std::string reason) {
  if (ended())
    return;
  if (rec_.current < rec_.steps.size()) {
    auto& s = rec_.steps[rec_.current];
    if (s.state == step_state::running) {
      s.state = step_state::failed;
      s.ended_ns = now_ns;
      s.error = reason;
    }
  }
  end(task_state::failed, now_ns, std::move(reason));
}

bool task_machine::resume(int64_t now_ns) {
  if (ended())
    return false;
  if (rec_.current < rec_.steps.size() &&
      rec_.steps[rec_.current].state == step_state::running &&
      rec_.current < plan_.steps().size() &&
      plan_.steps()[rec_.current].kind == step_kind::http) {
    fail(now_ns, "cut by a restart during http step '" +
                     rec_.steps[rec_.current].name +
                     "'; not retried: it may have been sent");
    return false;
  }
  return true;
}

template_context task_machine::context(const json& steps_ctx) const {
  template_context ctx;
  ctx.input = &rec_.input;
  ctx.event = rec_.event ? &*rec_.event : nullptr;
  ctx.fire_time = rec_.fire_time;
  ctx.task_id = rec_.id;
  ctx.steps = &steps_ctx;
  return ctx;
}

void task_machine::end(task_state s, int64_t now_ns, std::string error) {
  rec_.state = s;
  rec_.ended_ns = now_ns;
  rec_.error = std::move(error);
}

std::string make_traceparent(const task_record& rec, uint64_t seed) {
  uint64_t span = random64() ^ (seed * 0x9e3779b97f4a7c15ULL);
  if (span == 0)
    span = 1;
  const auto flags = rec.trace_flags.size() == 2 ? rec.trace_flags : "01";
  return "00-" + rec.trace_id + "-" + hex(span, 16) + "-" + flags;
}

std::optional<std::pair<std::string, std::string>>
parse_traceparent(std::string_view tp) {
  // 00-<32 hex>-<16 hex>-<2 hex>
  if (tp.size() != 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-')
    return std::nullopt;
  auto trace = tp.substr(3, 32);
  auto span = tp.substr(36, 16);
  auto flags = tp.substr(53, 2);
  if (!is_hex(tp.substr(0, 2)) || !is_hex(trace) || !is_hex(span) ||
      !is_hex(flags) || trace == std::string(32, '0'))
    return std::nullopt;
  return std::make_pair(std::string{trace}, std::string{flags});
}

} // namespace herald::flow

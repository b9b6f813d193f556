#include "runtime/flow/trigger.hpp"

#include <array>
#include <cstdio>

#include "runtime/errc.hpp"
#include "runtime/subject.hpp"

namespace herald::flow {

namespace {

using json = nlohmann::json;
using runtime::errc;
using runtime::make_api_error;

caf::error bad(std::string message, std::string field) {
  return make_api_error(errc::invalid_field, std::move(message),
                        std::move(field));
}

bool valid_id_text(std::string_view s) {
  if (s.empty() || s.size() > 256)
    return false;
  for (unsigned char c : s)
    if (c < 0x21 || c == 0x7f)
      return false;
  return true;
}

caf::expected<std::optional<runtime::content_filter>>
parse_filter(const json& doc, const char* key, std::string prefix) {
  auto it = doc.find(key);
  if (it == doc.end())
    return std::optional<runtime::content_filter>{};
  if (!it->is_object())
    return make_api_error(errc::invalid_filter, "a filter is a JSON object",
                          prefix);
  auto f = runtime::content_filter::parse(*it, prefix);
  if (!f)
    return std::move(f.error());
  return std::optional<runtime::content_filter>{std::move(*f)};
}

} // namespace

std::string_view to_string(trigger_kind k) noexcept {
  return k == trigger_kind::schedule ? "schedule" : "event";
}

caf::expected<trigger_def> trigger_def::parse(std::string_view id,
                                              const json& doc) {
  if (!doc.is_object())
    return bad("a trigger is a JSON object", "");
  trigger_def t;
  t.id_ = std::string{id};
  t.source_ = doc;
  auto type = doc.find("type");
  if (type == doc.end())
    return make_api_error(errc::missing_field,
                          "type (\"schedule\" or \"event\") is required",
                          "/type");
  if (*type == "schedule")
    t.kind_ = trigger_kind::schedule;
  else if (*type == "event")
    t.kind_ = trigger_kind::event;
  else
    return bad("type is \"schedule\" or \"event\"", "/type");
  const bool sched = t.kind_ == trigger_kind::schedule;
  static const std::array<std::string_view, 7> common{
      "type",  "name",           "description", "workflow",
      "input", "input_template", "enabled"};
  static const std::array<std::string_view, 5> sched_only{
      "cron", "every", "timezone", "catch_up", "wait_for_event"};
  static const std::array<std::string_view, 3> event_only{"event", "filter",
                                                          "priority"};
  for (const auto& item : doc.items()) {
    // A plain name, not a structured binding: clang 14 (the fuzz build)
    // cannot capture bindings in a lambda.
    const std::string& key = item.key();
    auto in = [&](const auto& list) {
      for (auto k : list)
        if (!k.empty() && k == key)
          return true;
      return false;
    };
    if (in(common) || (sched ? in(sched_only) : in(event_only)))
      continue;
    return make_api_error(errc::unknown_field,
                          "unknown field for a " +
                              std::string{to_string(t.kind_)} +
                              " trigger: " + key,
                          "/" + key);
  }
  if (auto n = doc.find("name"); n != doc.end()) {
    if (!n->is_string() || n->get_ref<const std::string&>().size() > 256)
      return bad("name is a string of at most 256 characters", "/name");
    t.name_ = n->get<std::string>();
  }
  if (t.name_.empty())
    t.name_ = t.id_;
  if (auto d = doc.find("description"); d != doc.end() && !d->is_string())
    return bad("description is a string", "/description");
  auto wf = doc.find("workflow");
  if (wf == doc.end())
    return make_api_error(errc::missing_field, "workflow is required",
                          "/workflow");
  if (!wf->is_string() || !valid_id_text(wf->get_ref<const std::string&>()))
    return bad("workflow is a workflow id (1-256 printable characters)",
               "/workflow");
  t.workflow_ = wf->get<std::string>();
  if (auto e = doc.find("enabled"); e != doc.end()) {
    if (!e->is_boolean())
      return bad("enabled is true or false", "/enabled");
    t.enabled_ = e->get<bool>();
  }
  template_scope scope;
  scope.steps.clear();
  scope.task = false;
  if (sched) {
    auto str =
        [&](const char* key) -> caf::expected<std::optional<std::string>> {
      auto it = doc.find(key);
      if (it == doc.end())
        return std::optional<std::string>{};
      if (!it->is_string())
        return bad(std::string{key} + " is a string", "/" + std::string{key});
      return std::optional<std::string>{it->get<std::string>()};
    };
    auto cron = str("cron");
    if (!cron)
      return std::move(cron.error());
    auto every = str("every");
    if (!every)
      return std::move(every.error());
    auto tz = str("timezone");
    if (!tz)
      return std::move(tz.error());
    auto when = schedule::parse(*cron, *every, tz->value_or("UTC"));
    if (!when)
      return std::move(when.error());
    t.when_ = std::move(*when);
    if (auto c = doc.find("catch_up"); c != doc.end()) {
      if (!c->is_string())
        return bad("catch_up is \"none\", \"once\" or \"all\"", "/catch_up");
      auto p = parse_catch_up(c->get_ref<const std::string&>(), "/catch_up");
      if (!p)
        return std::move(p.error());
      t.catch_up_ = *p;
    }
    if (auto w = doc.find("wait_for_event"); w != doc.end()) {
      if (!w->is_object())
        return bad("wait_for_event is an object with name, filter, timeout",
                   "/wait_for_event");
      trigger_wait tw;
      for (const auto& [key, value] : w->items())
        if (key != "name" && key != "filter" && key != "timeout")
          return make_api_error(errc::unknown_field,
                                "unknown field of wait_for_event: " + key,
                                "/wait_for_event/" + key);
      auto n = w->find("name");
      if (n == w->end())
        return make_api_error(errc::missing_field,
                              "wait_for_event needs the event name pattern",
                              "/wait_for_event/name");
      if (!n->is_string())
        return make_api_error(errc::invalid_pattern,
                              "the event name pattern is a string",
                              "/wait_for_event/name");
      if (auto err = runtime::validate_pattern(n->get_ref<const std::string&>(),
                                               "/wait_for_event/name"))
        return err;
      tw.pattern = n->get<std::string>();
      auto f = parse_filter(*w, "filter", "/wait_for_event/filter");
      if (!f)
        return std::move(f.error());
      tw.filter = std::move(*f);
      if (auto to = w->find("timeout"); to != w->end()) {
        if (!to->is_string())
          return bad("timeout is a duration such as \"1h\"",
                     "/wait_for_event/timeout");
        auto d = parse_duration(to->get_ref<const std::string&>(),
                                "/wait_for_event/timeout");
        if (!d)
          return std::move(d.error());
        if (*d < millis{100})
          return bad("timeout is at least 100ms", "/wait_for_event/timeout");
        tw.timeout = *d;
      }
      t.wait_ = std::move(tw);
      scope.event = true;
    }
    scope.fire_time = true;
  } else {
    auto e = doc.find("event");
    if (e == doc.end())
      return make_api_error(errc::missing_field,
                            "event (a name pattern) is required", "/event");
    if (!e->is_string())
      return make_api_error(errc::invalid_pattern,
                            "event is a name pattern string", "/event");
    if (auto err = runtime::validate_pattern(e->get_ref<const std::string&>(),
                                             "/event"))
      return err;
    t.pattern_ = e->get<std::string>();
    auto f = parse_filter(doc, "filter", "/filter");
    if (!f)
      return std::move(f.error());
    t.filter_ = std::move(*f);
    if (auto p = doc.find("priority"); p != doc.end()) {
      if (!p->is_number_integer() || p->get<int64_t>() < -1000000 ||
          p->get<int64_t>() > 1000000)
        return bad("priority is an integer between -1000000 and 1000000",
                   "/priority");
      t.priority_ = p->get<int>();
    }
    scope.event = true;
  }
  auto in = doc.find("input");
  auto in_t = doc.find("input_template");
  if (in != doc.end() && in_t != doc.end())
    return bad("give input or input_template, not both", "/input_template");
  scope.input = false;
  if (in != doc.end()) {
    auto c = json_template::compile(*in, scope, "/input");
    if (!c)
      return std::move(c.error());
    t.input_ = std::move(*c);
  } else if (in_t != doc.end()) {
    if (!in_t->is_string())
      return bad("input_template is a text template that renders to JSON",
                 "/input_template");
    auto c = json_template::compile_text(in_t->get_ref<const std::string&>(),
                                         scope, "/input_template");
    if (!c)
      return std::move(c.error());
    t.input_ = std::move(*c);
  }
  return t;
}

caf::expected<json>
trigger_def::render_input(const template_context& ctx) const {
  if (!input_)
    return json::object();
  return input_->render(ctx);
}

json trigger_def::with_enabled(bool on) const {
  auto doc = source_;
  doc["enabled"] = on;
  return doc;
}

std::string failure_message(fire_failure f, std::string_view detail) {
  std::string_view head;
  switch (f) {
  case fire_failure::fetch_flow:
    head = "failed to fetch target flow";
    break;
  case fire_failure::flow_validation:
    head = "flow validation failed";
    break;
  case fire_failure::prepare_input:
    head = "failed to prepare input data";
    break;
  case fire_failure::rejected_input:
    head = "flow rejected input data";
    break;
  }
  std::string out{head};
  out += ": ";
  out += detail;
  return out;
}

bool disables(fire_failure f, trigger_kind k) noexcept {
  switch (f) {
  case fire_failure::fetch_flow:
    return false;
  case fire_failure::flow_validation:
    return true;
  case fire_failure::prepare_input:
  case fire_failure::rejected_input:
    return k == trigger_kind::schedule;
  }
  return false;
}

std::string trigger_state::to_json_text() const {
  json j{{"last_fire_ns", last_fire_ns},
         {"next_fire_ns", next_fire_ns},
         {"failures", failures},
         {"fires", fires}};
  if (!disabled_reason.empty())
    j["disabled_reason"] = disabled_reason;
  if (!pending_task.empty())
    j["pending_task"] = pending_task;
  if (!pending_node.empty())
    j["pending_node"] = pending_node;
  return j.dump();
}

caf::expected<trigger_state> trigger_state::parse(std::string_view text) {
  trigger_state s;
  if (text.empty())
    return s;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object())
    return bad("trigger state is not a JSON object", "state");
  auto num = [&](const char* key, auto& out) {
    if (auto it = j.find(key); it != j.end() && it->is_number_integer())
      out = it->get<std::decay_t<decltype(out)>>();
  };
  num("last_fire_ns", s.last_fire_ns);
  num("next_fire_ns", s.next_fire_ns);
  num("failures", s.failures);
  num("fires", s.fires);
  if (auto it = j.find("disabled_reason"); it != j.end() && it->is_string())
    s.disabled_reason = it->get<std::string>();
  if (auto it = j.find("pending_task"); it != j.end() && it->is_string())
    s.pending_task = it->get<std::string>();
  if (auto it = j.find("pending_node"); it != j.end() && it->is_string())
    s.pending_node = it->get<std::string>();
  return s;
}

std::string fire_task_id(std::string_view trigger_id, std::string_view what) {
  // Two FNV-1a 64-bit hashes with different bases: 128 bits, stable
  // across builds and platforms (std::hash is not).
  auto fnv = [&](uint64_t h) {
    auto mix = [&h](std::string_view s) {
      for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
      }
    };
    mix(trigger_id);
    mix(std::string_view{"\x1f", 1});
    mix(what);
    return h;
  };
  const uint64_t a = fnv(0xcbf29ce484222325ULL);
  const uint64_t b = fnv(0x84222325cbf29ce4ULL);
  char buf[40];
  std::snprintf(buf, sizeof buf, "f%016llx%016llx",
                static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return buf;
}

} // namespace herald::flow

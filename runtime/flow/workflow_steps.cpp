// The step parsers behind workflow_plan::parse (DESIGN §5): one per step
// kind, the members every step has, and the phase shorthand.

#include <algorithm>
#include <array>
#include <cctype>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/flow/detail.hpp"
#include "runtime/flow/workflow.hpp"
#include "runtime/subject.hpp"
#include "runtime/text_util.hpp"

namespace herald::flow::detail {

using runtime::errc;
using json = nlohmann::json;

namespace {

constexpr size_t max_step_name = 64;
constexpr size_t max_status = 64;

/// The members that name a step's kind, in step_kind order, then "phase".
constexpr std::array<std::string_view, 6> kind_members = {
    "emit", "perform_action", "wait_for_event", "http", "set_status", "phase"};
constexpr size_t phase_kind = 5;

caf::error error(errc code, std::string message, std::string field) {
  return runtime::make_api_error(code, std::move(message), std::move(field));
}

caf::error invalid(std::string message, std::string field) {
  return error(errc::invalid_field, std::move(message), std::move(field));
}

/// `e` (an error of a callee) with `label` in front of its message.
caf::error in_step(const std::string& label, const caf::error& e) {
  auto d = runtime::describe(e);
  return error(d.code, label + ": " + d.message, std::move(d.field));
}

bool is_step_name(std::string_view s) noexcept {
  if (s.empty() || s.size() > max_step_name)
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           c == '.' || c == '-';
  });
}

/// One segment of an event name: [A-Za-z0-9_-]+.
bool is_name_segment(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

/// RFC 9110 token characters (header names).
bool is_token(std::string_view s) noexcept {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           extra.find(c) != std::string_view::npos;
  });
}

/// Checks an object's members against `allowed`; the first other member is
/// unknown_field.
caf::error only_members(const json& obj,
                        std::initializer_list<const char*> allowed,
                        const std::string& ptr, const std::string& label) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (auto a : allowed)
      if (it.key() == a)
        ok = true;
    if (!ok)
      return error(errc::unknown_field,
                   label + ": unknown member '" + it.key() + "'",
                   runtime::json_pointer_append(ptr, it.key()));
  }
  return {};
}

/// What a step's parsers share.
struct step_context {
  std::string ptr;   ///< "/steps/3"
  std::string label; ///< "step 'notify'"
  template_scope scope;

  caf::error fail(errc code, const std::string& why,
                  const std::string& sub) const {
    return error(code, label + ": " + why, ptr + sub);
  }
  caf::expected<json_template> compile(const json& v,
                                       const std::string& sub) const {
    auto t = json_template::compile(v, scope, ptr + sub);
    if (!t)
      return in_step(label, t.error());
    return t;
  }
  /// A required string member.
  caf::expected<std::string> text(const json& obj, const char* key,
                                  const std::string& sub) const {
    auto it = obj.find(key);
    if (it == obj.end())
      return fail(errc::missing_field, std::string{key} + " is required",
                  sub + "/" + key);
    if (!it->is_string())
      return fail(errc::invalid_field, std::string{key} + " must be a string",
                  sub + "/" + key);
    return it->get<std::string>();
  }
};

caf::error parse_emit(const json& v, const step_context& sc, step_plan& out) {
  const std::string sub = "/emit";
  if (!v.is_object())
    return sc.fail(errc::invalid_field, "emit must be an object", sub);
  if (auto err =
          only_members(v, {"name", "data", "scope"}, sc.ptr + sub, sc.label))
    return err;
  emit_step e;
  auto name = sc.text(v, "name", sub);
  if (!name)
    return name.error();
  e.name = std::move(*name);
  auto name_tpl = sc.compile(json(e.name), sub + "/name");
  if (!name_tpl)
    return name_tpl.error();
  if (name_tpl->is_constant()) {
    auto literal = name_tpl->render_text({});
    if (!literal || !runtime::is_valid_name(*literal))
      return sc.fail(errc::invalid_name,
                     "'" + e.name +
                         "' is not an event name (dot-separated "
                         "[A-Za-z0-9_-]+ segments, at most 256 bytes)",
                     sub + "/name");
    e.name = std::move(*literal);
  } else {
    e.name_template = std::move(*name_tpl);
  }
  auto data = v.find("data");
  auto data_tpl =
      sc.compile(data == v.end() ? json::object() : *data, sub + "/data");
  if (!data_tpl)
    return data_tpl.error();
  e.data = std::move(*data_tpl);
  if (auto scope = v.find("scope"); scope != v.end()) {
    if (!scope->is_string() ||
        !runtime::is_valid_scope(scope->get_ref<const std::string&>()))
      return sc.fail(errc::invalid_scope,
                     "scope must be '/'-separated non-empty segments of "
                     "[A-Za-z0-9._~@:+-], at most 1024 bytes",
                     sub + "/scope");
    e.scope = scope->get<std::string>();
  }
  out.emit = std::move(e);
  return {};
}

caf::error parse_action(const json& v, const step_context& sc, step_plan& out) {
  const std::string sub = "/perform_action";
  if (!v.is_object())
    return sc.fail(errc::invalid_field, "perform_action must be an object",
                   sub);
  if (auto err = only_members(v, {"action", "data"}, sc.ptr + sub, sc.label))
    return err;
  action_step a;
  auto action = sc.text(v, "action", sub);
  if (!action)
    return action.error();
  if (!runtime::is_valid_name(*action))
    return sc.fail(errc::invalid_name,
                   "action '" + *action +
                       "' is not an event name (its event is named after it)",
                   sub + "/action");
  a.action = std::move(*action);
  auto data = v.find("data");
  if (data != v.end() && !data->is_object())
    return sc.fail(errc::invalid_field, "data must be an object",
                   sub + "/data");
  auto data_tpl =
      sc.compile(data == v.end() ? json::object() : *data, sub + "/data");
  if (!data_tpl)
    return data_tpl.error();
  a.data = std::move(*data_tpl);
  out.action = std::move(a);
  return {};
}

caf::error parse_wait(const json& v, const step_context& sc, step_plan& out) {
  const std::string sub = "/wait_for_event";
  if (!v.is_object())
    return sc.fail(errc::invalid_field, "wait_for_event must be an object",
                   sub);
  if (auto err = only_members(v, {"name", "filter"}, sc.ptr + sub, sc.label))
    return err;
  wait_step w;
  auto name = sc.text(v, "name", sub);
  if (!name)
    return name.error();
  if (auto err = runtime::validate_pattern(*name, sc.ptr + sub + "/name"))
    return in_step(sc.label, err);
  w.pattern = std::move(*name);
  if (auto filter = v.find("filter"); filter != v.end()) {
    auto f = runtime::content_filter::parse(*filter, sc.ptr + sub + "/filter");
    if (!f)
      return in_step(sc.label, f.error());
    w.filter = std::move(*f);
  }
  out.wait = std::move(w);
  return {};
}

caf::error parse_http(const json& v, const step_context& sc, step_plan& out) {
  const std::string sub = "/http";
  if (!v.is_object())
    return sc.fail(errc::invalid_field, "http must be an object", sub);
  if (auto err = only_members(v, {"method", "url", "headers", "body"},
                              sc.ptr + sub, sc.label))
    return err;
  http_step h;
  if (auto method = v.find("method"); method != v.end()) {
    static constexpr std::array<std::string_view, 6> methods = {
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
    if (!method->is_string() ||
        std::find(methods.begin(), methods.end(),
                  method->get_ref<const std::string&>()) == methods.end())
      return sc.fail(errc::invalid_field,
                     "method must be GET, POST, PUT, PATCH, DELETE or HEAD",
                     sub + "/method");
    h.method = method->get<std::string>();
  }
  auto url = sc.text(v, "url", sub);
  if (!url)
    return url.error();
  auto url_tpl = sc.compile(json(*url), sub + "/url");
  if (!url_tpl)
    return url_tpl.error();
  if (url_tpl->is_constant()) {
    auto literal = url_tpl->render_text({});
    if (!literal)
      return literal.error();
    if (auto err = check_http_url(*literal, sc.ptr + sub + "/url"))
      return in_step(sc.label, err);
  }
  h.url = std::move(*url_tpl);
  if (auto headers = v.find("headers"); headers != v.end()) {
    if (!headers->is_object())
      return sc.fail(errc::invalid_field,
                     "headers must be an object of strings", sub + "/headers");
    for (auto it = headers->begin(); it != headers->end(); ++it) {
      auto hsub = runtime::json_pointer_append(sub + "/headers", it.key());
      if (!is_token(it.key()))
        return sc.fail(errc::invalid_field,
                       "'" + it.key() + "' is not a header name", hsub);
      if (!it->is_string())
        return sc.fail(errc::invalid_field,
                       "header '" + it.key() + "' must be a string", hsub);
      const auto& value = it->get_ref<const std::string&>();
      if (value.find_first_of(std::string_view{"\r\n\0", 3}) !=
          std::string::npos)
        return sc.fail(errc::invalid_field,
                       "header '" + it.key() + "' holds a line break", hsub);
      auto tpl = sc.compile(*it, hsub);
      if (!tpl)
        return tpl.error();
      h.headers.emplace_back(it.key(), std::move(*tpl));
    }
  }
  if (auto body = v.find("body"); body != v.end()) {
    auto tpl = sc.compile(*body, sub + "/body");
    if (!tpl)
      return tpl.error();
    h.body = std::move(*tpl);
  }
  out.http = std::move(h);
  return {};
}

caf::error parse_status(const json& v, const step_context& sc, step_plan& out) {
  const std::string sub = "/set_status";
  if (!v.is_object())
    return sc.fail(errc::invalid_field, "set_status must be an object", sub);
  if (auto err = only_members(v, {"status", "message"}, sc.ptr + sub, sc.label))
    return err;
  status_step s;
  auto status = sc.text(v, "status", sub);
  if (!status)
    return status.error();
  if (status->empty() || status->size() > max_status)
    return sc.fail(errc::invalid_field, "status must be 1-64 characters",
                   sub + "/status");
  s.status = std::move(*status);
  auto message = v.find("message");
  if (message != v.end() && !message->is_string())
    return sc.fail(errc::invalid_field, "message must be a string",
                   sub + "/message");
  auto tpl =
      sc.compile(message == v.end() ? json("") : *message, sub + "/message");
  if (!tpl)
    return tpl.error();
  s.message = std::move(*tpl);
  out.status = std::move(s);
  return {};
}

millis default_timeout(step_kind k) {
  switch (k) {
  case step_kind::perform_action:
    return default_action_timeout;
  case step_kind::http:
    return default_http_timeout;
  default:
    return default_step_timeout;
  }
}

/// Parses the members every step (and phase) has: timeout and on_error.
caf::error parse_common(const json& step, const step_context& sc,
                        step_plan& out) {
  if (auto on_error = step.find("on_error"); on_error != step.end()) {
    if (!on_error->is_string() ||
        (*on_error != "stop" && *on_error != "continue"))
      return sc.fail(errc::invalid_field,
                     "on_error must be \"stop\" or \"continue\"", "/on_error");
    out.continue_on_error = *on_error == "continue";
  }
  if (auto timeout = step.find("timeout"); timeout != step.end()) {
    if (!timeout->is_string())
      return sc.fail(errc::invalid_field,
                     "timeout must be a duration text like \"30s\"",
                     "/timeout");
    // The field is named in the message; the error gets the pointer.
    auto d = parse_duration(timeout->get_ref<const std::string&>(), "timeout");
    if (!d)
      return sc.fail(errc::invalid_field, runtime::describe(d.error()).message,
                     "/timeout");
    if (*d < min_step_timeout || *d > max_step_timeout)
      return sc.fail(errc::invalid_field,
                     "timeout " + timeout->get<std::string>() +
                         " is out of range (" +
                         format_duration(min_step_timeout) + ".." +
                         format_duration(max_step_timeout) + ")",
                     "/timeout");
    out.timeout = *d;
  }
  return {};
}

} // namespace

caf::error parse_steps(const json& steps, std::vector<step_plan>& out) {
  std::vector<std::string> names; // in order: the scope of later steps
  auto add_name = [&](const std::string& name, const step_context& sc,
                      const std::string& sub) -> caf::error {
    if (std::find(names.begin(), names.end(), name) != names.end())
      return sc.fail(errc::invalid_field,
                     "the name '" + name + "' is taken by an earlier step",
                     sub);
    names.push_back(name);
    return {};
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    step_context sc;
    sc.ptr = "/steps/" + std::to_string(i);
    sc.label = "step " + std::to_string(i);
    if (!step.is_object())
      return invalid(sc.label + ": a step must be an object", sc.ptr);
    if (auto name = step.find("name");
        name != step.end() && name->is_string() &&
        is_step_name(name->get_ref<const std::string&>()))
      sc.label = "step '" + name->get<std::string>() + "'";
    // Its kind (exactly one), and no member that is neither kind nor common.
    std::optional<size_t> kind;
    std::string unknown;
    for (auto it = step.begin(); it != step.end(); ++it) {
      const auto& key = it.key();
      if (key == "name" || key == "timeout" || key == "on_error")
        continue;
      auto k = std::find(kind_members.begin(), kind_members.end(), key);
      if (k == kind_members.end()) {
        if (unknown.empty())
          unknown = key;
        continue;
      }
      if (kind)
        return sc.fail(errc::invalid_field,
                       "has both '" + std::string{kind_members[*kind]} +
                           "' and '" + key + "'; a step does one thing",
                       "/" + key);
      kind = static_cast<size_t>(k - kind_members.begin());
    }
    if (!unknown.empty())
      return sc.fail(errc::unknown_field,
                     kind ? "unknown member '" + unknown + "'"
                          : "unknown step type '" + unknown + "'",
                     runtime::json_pointer_append("", unknown));
    if (!kind)
      return sc.fail(errc::missing_field,
                     "needs one of emit, perform_action, wait_for_event, "
                     "http, set_status or phase",
                     "");
    sc.scope.input = sc.scope.event = sc.scope.fire_time = sc.scope.task = true;
    sc.scope.steps = names;
    if (*kind == phase_kind) {
      const auto& phase = step["phase"];
      if (step.contains("name"))
        return sc.fail(errc::unknown_field,
                       "a phase takes no name: its steps are pre_X, X and "
                       "post_X",
                       "/name");
      if (!phase.is_string() ||
          !is_name_segment(phase.get_ref<const std::string&>()) ||
          phase.get_ref<const std::string&>().size() + 5 > max_step_name)
        return sc.fail(errc::invalid_name,
                       "phase must be one event name segment "
                       "([A-Za-z0-9_-], at most 59 characters)",
                       "/phase");
      const auto& x = phase.get_ref<const std::string&>();
      sc.label = "phase '" + x + "'";
      step_plan proto;
      proto.kind = step_kind::perform_action;
      proto.timeout = default_action_timeout;
      proto.pointer = sc.ptr;
      proto.phase = x;
      if (auto err = parse_common(step, sc, proto))
        return err;
      for (auto name : {"pre_" + x, x, "post_" + x}) {
        if (auto err = add_name(name, sc, "/phase"))
          return err;
        auto s = proto;
        s.name = name;
        s.action = action_step{name, {}};
        auto data = json_template::compile(json::object(), sc.scope, sc.ptr);
        s.action->data = std::move(*data);
        out.push_back(std::move(s));
      }
    } else {
      step_plan s;
      s.kind = static_cast<step_kind>(*kind);
      s.timeout = default_timeout(s.kind);
      s.pointer = sc.ptr;
      s.name = "step" + std::to_string(i);
      if (auto name = step.find("name"); name != step.end()) {
        if (!name->is_string() ||
            !is_step_name(name->get_ref<const std::string&>()))
          return sc.fail(errc::invalid_field,
                         "a step name must be 1-64 characters of "
                         "[A-Za-z0-9_.-]",
                         "/name");
        s.name = name->get<std::string>();
      }
      sc.label = "step '" + s.name + "'";
      if (auto err = add_name(s.name, sc, "/name"))
        return err;
      if (auto err = parse_common(step, sc, s))
        return err;
      const auto& body = step[std::string{kind_members[*kind]}];
      caf::error err;
      switch (s.kind) {
      case step_kind::emit:
        err = parse_emit(body, sc, s);
        break;
      case step_kind::perform_action:
        err = parse_action(body, sc, s);
        break;
      case step_kind::wait_for_event:
        err = parse_wait(body, sc, s);
        break;
      case step_kind::http:
        err = parse_http(body, sc, s);
        break;
      case step_kind::set_status:
        err = parse_status(body, sc, s);
        break;
      }
      if (err)
        return err;
      out.push_back(std::move(s));
    }
    if (out.size() > max_steps)
      return invalid("more than " + std::to_string(max_steps) +
                         " steps (a phase counts three)",
                     "/steps");
  }
  return {};
}

} // namespace herald::flow::detail

#include "runtime/flow/workflow.hpp"
#include "runtime/text_util.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "runtime/errc.hpp"
#include "runtime/flow/detail.hpp"

namespace herald::flow {

using runtime::errc;
using json = nlohmann::json;

std::string_view to_string(step_kind k) noexcept {
  switch (k) {
  case step_kind::emit:
    return "emit";
  case step_kind::perform_action:
    return "perform_action";
  case step_kind::wait_for_event:
    return "wait_for_event";
  case step_kind::http:
    return "http";
  case step_kind::set_status:
    return "set_status";
  }
  return "unknown";
}

std::string_view to_string(overlap_policy p) noexcept {
  switch (p) {
  case overlap_policy::skip:
    return "skip";
  case overlap_policy::queue:
    return "queue";
  case overlap_policy::parallel:
    return "parallel";
  case overlap_policy::replace:
    return "replace";
  }
  return "unknown";
}

namespace {

constexpr size_t max_workflow_name = 256;

caf::error error(errc code, std::string message, std::string field) {
  return runtime::make_api_error(code, std::move(message), std::move(field));
}

caf::error invalid(std::string message, std::string field) {
  return error(errc::invalid_field, std::move(message), std::move(field));
}

} // namespace

caf::error check_http_url(std::string_view url, std::string_view field) {
  auto bad = [&](std::string why) {
    return invalid("url '" + std::string{url.substr(0, 200)} + "' " + why,
                   std::string{field});
  };
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f)
      return bad("holds whitespace or a control character");
  }
  auto lower_prefix = [&](std::string_view prefix) {
    if (url.size() < prefix.size())
      return false;
    for (size_t i = 0; i < prefix.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(url[i])) != prefix[i])
        return false;
    return true;
  };
  std::string_view rest;
  if (lower_prefix("http://"))
    rest = url.substr(7);
  else if (lower_prefix("https://"))
    rest = url.substr(8);
  else
    return bad("must start with http:// or https://");
  auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos || close == 1)
      return bad("has a malformed IPv6 host");
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return bad("has a malformed IPv6 host");
      port = after.substr(1);
      if (port.empty())
        return bad("has an empty port");
    }
    if (!std::all_of(host.begin(), host.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' ||
                 c == '.';
        }))
      return bad("has a malformed IPv6 host");
  } else {
    auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty())
        return bad("has an empty port");
    }
    if (host.empty())
      return bad("has no host");
    if (!std::all_of(host.begin(), host.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                 c == '.' || c == '_' || c == '%';
        }))
      return bad("has a malformed host");
  }
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] =
        std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535)
      return bad("has a port outside 1-65535");
  }
  return {};
}

caf::expected<workflow_plan> workflow_plan::parse(std::string_view id,
                                                  const nlohmann::json& doc) {
  if (!doc.is_object())
    return invalid("a workflow must be a JSON object", "");
  workflow_plan out;
  out.id_ = std::string{id};
  out.name_ = out.id_;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const auto& key = it.key();
    const auto& v = it.value();
    auto field = runtime::json_pointer_append("", key);
    if (key == "name") {
      if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
          v.get_ref<const std::string&>().size() > max_workflow_name)
        return invalid("name must be a string of 1-256 bytes", field);
      out.name_ = v.get<std::string>();
    } else if (key == "description") {
      if (!v.is_string())
        return invalid("description must be a string", field);
    } else if (key == "input_schema") {
      auto schema = input_schema::compile(v, field);
      if (!schema)
        return std::move(schema.error());
      out.schema_ = std::move(*schema);
    } else if (key == "overlap") {
      static constexpr std::array<overlap_policy, 4> all = {
          overlap_policy::skip, overlap_policy::queue, overlap_policy::parallel,
          overlap_policy::replace};
      auto p = std::find_if(all.begin(), all.end(), [&](overlap_policy x) {
        return v.is_string() && v.get_ref<const std::string&>() == to_string(x);
      });
      if (p == all.end())
        return invalid("overlap must be skip, queue, parallel or replace",
                       field);
      out.overlap_ = *p;
    } else if (key != "steps") {
      return error(errc::unknown_field,
                   "unknown workflow member '" + key +
                       "' (name, description, input_schema, overlap, steps)",
                   field);
    }
  }
  auto steps = doc.find("steps");
  if (steps == doc.end())
    return error(errc::missing_field, "a workflow needs steps", "/steps");
  if (!steps->is_array())
    return invalid("steps must be an array of steps", "/steps");
  if (steps->empty())
    return invalid("steps must not be empty", "/steps");
  if (auto err = detail::parse_steps(*steps, out.steps_))
    return err;
  out.source_ = doc;
  return out;
}

std::string workflow_plan::check_input(const nlohmann::json& input) const {
  return schema_ ? schema_->check(input) : std::string{};
}

const nlohmann::json& builtin_workflow_document() {
  // Seed 000's event sequence. Steps continue on error, as the upstream
  // product's do: a failed collector must not keep metrics from being
  // generated, and every event of the sequence is emitted on each run.
  static const json doc = json::parse(R"({
    "name": "Collect and cleanup",
    "description": "Collects resources, plans and performs their cleanup, generates metrics (seed 000).",
    "overlap": "skip",
    "steps": [
      {"name": "pre_collect", "perform_action": {"action": "pre_collect"},
       "timeout": "10m", "on_error": "continue"},
      {"name": "collect", "perform_action": {"action": "collect"},
       "timeout": "1h", "on_error": "continue"},
      {"name": "merge_outer_edges",
       "perform_action": {"action": "merge_outer_edges"},
       "timeout": "30m", "on_error": "continue"},
      {"name": "post_collect", "perform_action": {"action": "post_collect"},
       "timeout": "10m", "on_error": "continue"},
      {"phase": "cleanup_plan", "timeout": "30m", "on_error": "continue"},
      {"phase": "cleanup", "timeout": "1h", "on_error": "continue"},
      {"phase": "generate_metrics", "timeout": "30m", "on_error": "continue"}
    ]
  })");
  return doc;
}

} // namespace herald::flow

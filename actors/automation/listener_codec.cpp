#include "actors/automation/listener_codec.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"
#include "runtime/subject.hpp"

namespace herald::automation {

namespace {

using json = nlohmann::json;
using runtime::errc;
using runtime::make_api_error;

/// Most handles one connection may declare.
constexpr size_t max_handles = 256;

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// The string field `key` of `obj`: nullopt when absent; an error when it is
/// not a string.
caf::expected<std::optional<std::string>> string_field(const json& obj,
                                                       const char* key) {
  auto it = obj.find(key);
  if (it == obj.end())
    return std::optional<std::string>{};
  if (!it->is_string())
    return make_api_error(errc::invalid_field,
                          std::string{key} + " must be a string", key);
  return std::optional<std::string>{it->get<std::string>()};
}

} // namespace

caf::expected<listener_frame> decode_listener_frame(std::string_view text) {
  auto obj = json::parse(text, nullptr, false);
  if (obj.is_discarded() || !obj.is_object())
    return make_api_error(errc::invalid_json, "a frame must be a JSON object");
  auto kind = string_field(obj, "kind");
  if (!kind)
    return std::move(kind.error());
  if (!*kind)
    return make_api_error(errc::missing_field, "kind is missing", "kind");
  listener_frame out;
  if (**kind == "action_done")
    out.kind = listener_frame::kind_t::action_done;
  else if (**kind == "action_error")
    out.kind = listener_frame::kind_t::action_error;
  else if (**kind == "progress")
    out.kind = listener_frame::kind_t::progress;
  else
    return make_api_error(errc::invalid_field,
                          "kind must be action_done, action_error or progress",
                          "kind");
  for (auto [key, dest] :
       {std::pair{"task_id", &out.task_id}, std::pair{"step", &out.step}}) {
    auto value = string_field(obj, key);
    if (!value)
      return std::move(value.error());
    if (!*value || (*value)->empty())
      return make_api_error(errc::missing_field,
                            std::string{key} + " is missing", key);
    *dest = std::move(**value);
  }
  for (auto [key, dest] :
       {std::pair{"error", &out.error}, std::pair{"message", &out.message}}) {
    auto value = string_field(obj, key);
    if (!value)
      return std::move(value.error());
    if (*value)
      *dest = std::move(**value);
  }
  if (auto it = obj.find("percent"); it != obj.end() && !it->is_null()) {
    if (!it->is_number())
      return make_api_error(errc::invalid_field, "percent must be a number",
                            "percent");
    auto p = it->get<double>();
    if (!std::isfinite(p) || p < 0 || p > 100)
      return make_api_error(errc::invalid_field,
                            "percent must be between 0 and 100", "percent");
    out.percent = p;
  }
  return out;
}

bool is_json_object(std::string_view text) {
  auto value = json::parse(text, nullptr, false);
  return !value.is_discarded() && value.is_object();
}

std::string encode_action_frame(const action_request& req) {
  auto data = json::parse(req.data_json, nullptr, false);
  if (data.is_discarded() || !data.is_object())
    data = json::object();
  return dump(json{{"kind", "action"},
                   {"action", req.action},
                   {"task_id", req.task_id},
                   {"step", req.step},
                   {"data", std::move(data)}});
}

std::string encode_abort_frame(const action_request& req) {
  return dump(json{{"kind", "action_abort"},
                   {"action", req.action},
                   {"task_id", req.task_id},
                   {"step", req.step}});
}

caf::expected<std::vector<std::string>> parse_handles(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty())
    return out;
  size_t start = 0;
  for (;;) {
    auto comma = text.find(',', start);
    auto item = text.substr(start, comma == std::string_view::npos
                                       ? std::string_view::npos
                                       : comma - start);
    if (!runtime::is_valid_name(item))
      return make_api_error(
          errc::invalid_parameter,
          "handles must be comma-separated action names ('.'-separated "
          "segments of [A-Za-z0-9_-]); '" +
              std::string{item.substr(0, 64)} + "' is not one",
          "handles");
    out.emplace_back(item);
    if (out.size() > max_handles)
      return make_api_error(errc::invalid_parameter,
                            "at most " + std::to_string(max_handles) +
                                " handles per listener",
                            "handles");
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

} // namespace herald::automation

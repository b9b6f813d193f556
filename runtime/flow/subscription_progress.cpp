#include "runtime/flow/subscription_progress.hpp"

#include <nlohmann/json.hpp>

#include "runtime/errc.hpp"

namespace herald::flow {

std::string_view to_string(subscription_state s) noexcept {
  switch (s) {
  case subscription_state::active:
    return "active";
  case subscription_state::paused:
    return "paused";
  case subscription_state::disabled:
    return "disabled";
  }
  return "active";
}

std::string subscription_progress::to_json_text() const {
  nlohmann::json j{{"incarnation", incarnation},
                   {"cursor", cursor},
                   {"state", std::string{to_string(state)}}};
  if (!reason.empty())
    j["reason"] = reason;
  return j.dump();
}

caf::expected<subscription_progress>
subscription_progress::parse(std::string_view text) {
  auto bad = [] {
    return runtime::make_api_error(runtime::errc::invalid_field,
                                   "not a subscription progress document",
                                   "progress");
  };
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object())
    return bad();
  subscription_progress p;
  auto inc = j.find("incarnation");
  auto cur = j.find("cursor");
  auto st = j.find("state");
  if (inc == j.end() || !inc->is_string() || cur == j.end() ||
      !cur->is_number_unsigned() || st == j.end() || !st->is_string())
    return bad();
  p.incarnation = inc->get<std::string>();
  p.cursor = cur->get<uint64_t>();
  const auto s = st->get<std::string>();
  if (s == "active")
    p.state = subscription_state::active;
  else if (s == "paused")
    p.state = subscription_state::paused;
  else if (s == "disabled")
    p.state = subscription_state::disabled;
  else
    return bad();
  if (auto r = j.find("reason"); r != j.end() && r->is_string())
    p.reason = r->get<std::string>();
  return p;
}

caf::expected<subscription_wanted_state>
subscription_wanted_state::parse(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto st = j.is_object() ? j.find("state") : j.end();
  auto inc = j.is_object() ? j.find("incarnation") : j.end();
  if (st == j.end() || !st->is_string() || inc == j.end() ||
      !inc->is_string() || (*st != "paused" && *st != "active"))
    return runtime::make_api_error(runtime::errc::invalid_field,
                                   "not a subscription state record", "state");
  return subscription_wanted_state{*st == "paused", inc->get<std::string>()};
}

} // namespace herald::flow

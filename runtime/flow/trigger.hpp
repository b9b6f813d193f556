#pragma once

// Trigger definitions and the rules of firing them (DESIGN §5, seed 003):
//
//   {"type": "schedule", "name": …, "cron": "0 * * * *" | "every": "90s",
//    "timezone": "Europe/Berlin", "workflow": "collect_and_cleanup",
//    "input": {…} | "input_template": "…", "catch_up": "once",
//    "wait_for_event": {"name": …, "filter": {…}, "timeout": "1h"},
//    "enabled": true}
//   {"type": "event", "name": …, "event": "iam.user.*", "filter": {…},
//    "priority": 10, "workflow": "onboard", "input": {…}, "enabled": true}
//
// A fire goes through four checks in 003's order; the first that fails is
// the fire's cause, reported as `trigger.<kind>.failed` and, where 003 says
// so, followed by `trigger.<kind>.disabled`:
//
//   workflow missing ─▶ "failed to fetch target flow"   never disables
//   workflow invalid ─▶ "flow validation failed"        disables both kinds
//   input can't render ▶ "failed to prepare input data" disables schedule only
//   input_schema fails ▶ "flow rejected input data"     disables schedule only
//
// Pure: no clock, no storage; callers pass instants.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "runtime/content_filter.hpp"
#include "runtime/flow/schedule.hpp"
#include "runtime/flow/template.hpp"

namespace herald::flow {

enum class trigger_kind { schedule, event };
/// "schedule" | "event" (the middle part of 003's event names).
std::string_view to_string(trigger_kind k) noexcept;

/// A schedule trigger's wait_for_event: at the instant, wait for a matching
/// event, then run; at the timeout, the instant ends with
/// trigger.schedule.error.
struct trigger_wait {
  std::string pattern;
  std::optional<runtime::content_filter> filter;
  millis timeout{std::chrono::hours{1}};
};

class trigger_def {
public:
  /// Checks and compiles `doc`. Errors name the field: "/type",
  /// "/cron", "/every", "/timezone", "/catch_up", "/event" (pattern),
  /// "/filter", "/priority", "/workflow", "/input", "/input_template",
  /// "/wait_for_event/…", "/enabled"; unknown members are unknown_field.
  static caf::expected<trigger_def> parse(std::string_view id,
                                          const nlohmann::json& doc);

  const std::string& id() const noexcept { return id_; }
  /// Display name: "name", else the id.
  const std::string& name() const noexcept { return name_; }
  trigger_kind kind() const noexcept { return kind_; }
  const std::string& workflow() const noexcept { return workflow_; }
  bool enabled() const noexcept { return enabled_; }
  int priority() const noexcept { return priority_; }
  /// Schedule triggers only.
  const std::optional<schedule>& when() const noexcept { return when_; }
  catch_up_policy catch_up() const noexcept { return catch_up_; }
  const std::optional<trigger_wait>& wait() const noexcept { return wait_; }
  /// Event triggers only.
  const std::string& pattern() const noexcept { return pattern_; }
  const std::optional<runtime::content_filter>& filter() const noexcept {
    return filter_;
  }
  /// The document as given.
  const nlohmann::json& source() const noexcept { return source_; }

  /// The run's input: `input` or `input_template` rendered against `ctx`,
  /// `{}` when neither is given. Errors: the template's (003's "failed to
  /// prepare input data").
  caf::expected<nlohmann::json> render_input(const template_context& ctx) const;

  /// The document with "enabled" set to `on` (enable/disable).
  nlohmann::json with_enabled(bool on) const;

private:
  std::string id_;
  std::string name_;
  trigger_kind kind_ = trigger_kind::schedule;
  std::string workflow_;
  bool enabled_ = true;
  int priority_ = 0;
  std::optional<schedule> when_;
  catch_up_policy catch_up_ = catch_up_policy::none;
  std::optional<trigger_wait> wait_;
  std::string pattern_;
  std::optional<runtime::content_filter> filter_;
  std::optional<json_template> input_;
  nlohmann::json source_;
};

/// Why a fire could not run its workflow (003's four causes).
enum class fire_failure {
  fetch_flow,      ///< "failed to fetch target flow"
  flow_validation, ///< "flow validation failed"
  prepare_input,   ///< "failed to prepare input data"
  rejected_input,  ///< "flow rejected input data"
};

/// 003's text for `f` followed by ": " and `detail`.
std::string failure_message(fire_failure f, std::string_view detail);

/// Does a fire failing with `f` disable a trigger of kind `k`? (003.)
bool disables(fire_failure f, trigger_kind k) noexcept;

/// A trigger's persisted state (DESIGN §5), kept as the coordinator's
/// progress of key "trigger/<id>" (JSON). `enabled` lives in the
/// definition.
struct trigger_state {
  int64_t last_fire_ns = 0; ///< the last instant fired (0: never)
  int64_t next_fire_ns = 0; ///< schedule triggers: the next instant due
  uint64_t failures = 0;    ///< fires that failed (003's failed events)
  uint64_t fires = 0;       ///< fires that started a run
  std::string disabled_reason;
  /// The task a committed fire starts (a restart that finds it missing
  /// starts it: nothing is lost, nothing repeated).
  std::string pending_task;
  /// The node that committed that fire: only it starts the task again
  /// (another node cannot tell whether it ran). Empty in states written
  /// before it was recorded: then any owner starts it.
  std::string pending_node;

  std::string to_json_text() const;
  /// Errors: invalid_field when `text` is not such a document.
  static caf::expected<trigger_state> parse(std::string_view text);
};

/// The deterministic task id of a trigger's fire at instant `fire_ns` (or
/// for event `event_id`): a restart that repeats the decision finds the
/// task already there instead of starting another.
std::string fire_task_id(std::string_view trigger_id, std::string_view what);

} // namespace herald::flow

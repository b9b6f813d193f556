#pragma once

// A workflow definition checked and compiled into a plan (DESIGN §5):
//
//   {"name": "Nightly sync", "input_schema": {…}, "overlap": "skip",
//    "steps": [{"name": "announce", "emit": {"name": "sync.started",
//               "data": {"who": "${input.who}"}}}, …]}
//
// Steps: emit, perform_action, wait_for_event, http, set_status, and the
// shorthand {"phase": "X"} = three perform_action steps pre_X, X, post_X
// (each emits its event and waits for the listeners that handle it; with
// none it completes at once, so the trail shows pre_X, X, post_X).
// Per step: "name", "timeout" (duration, 100ms..30d; default per kind) and
// "on_error": "stop" (default) | "continue"; a phase takes "phase",
// "timeout" and "on_error" (applied to each of its three steps).
//
// Step members by kind (anything else is unknown_field):
//   emit            name (event name, or a text with placeholders, checked
//                   when run), data (any JSON template; absent: {}), scope
//                   (a literal scope, errc::invalid_scope)
//   perform_action  action (an event name: its event is named after it),
//                   data (an object template; absent: {})
//   wait_for_event  name (a pattern), filter (a content filter)
//   http            method (GET POST PUT PATCH DELETE HEAD; absent: POST),
//                   url (http:// or https:// with a host, or a text with
//                   placeholders, checked when run: check_http_url), headers
//                   (object of text templates), body (any JSON template)
//   set_status      status (1-64 characters), message (a text template)
// A step member that is no kind when the step has none is "unknown step
// type 'foo'" (unknown_field "/steps/N/foo"); no kind at all is
// missing_field "/steps/N"; two kinds are invalid_field on the second.
//
// Templates in steps may use every root: ${input…}, ${task.id}, ${event…}
// and ${fire_time} (a run may come from an event or a schedule trigger, or
// from the API; a root the run lacks fails when rendered, so a workflow
// meant for one trigger kind may use its root) and ${steps.NAME.output…}
// naming an earlier step only.
//
// Validation errors are runtime::errc::invalid_field / missing_field /
// unknown_field / invalid_name / invalid_scope / invalid_pattern /
// invalid_filter with the JSON Pointer of the field at fault
// ("/steps/2/timeout", "/steps/1/http/url") and a message that names the
// step ("step 'notify': …"). The first error found is returned.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "runtime/content_filter.hpp"
#include "runtime/flow/duration.hpp"
#include "runtime/flow/template.hpp"

namespace herald::flow {

enum class step_kind { emit, perform_action, wait_for_event, http, set_status };
std::string_view to_string(step_kind k) noexcept;

enum class overlap_policy { skip, queue, parallel, replace };
std::string_view to_string(overlap_policy p) noexcept;

/// The JSON Schema subset Herald checks `input` against (docs/API.md):
/// `type` (string or list of: object, array, string, number, integer,
/// boolean, null), `required`, `properties` (recursively),
/// `additionalProperties` (boolean), `enum`, `const`, `minimum`, `maximum`,
/// `exclusiveMinimum`, `exclusiveMaximum`, `minLength`, `maxLength`,
/// `pattern` (ECMAScript regex of at most 1024 bytes; a string over 1024
/// bytes fails it, as std::regex recurses per character), `items` (one
/// schema), `minItems`, `maxItems`; `title`, `description`, `default`,
/// `$schema`, `$id`, `examples` are accepted and ignored. Any other keyword is
/// refused at definition time (unknown_field), so a schema never silently
/// checks less than its author meant. Keywords apply as in JSON Schema:
/// `minimum` only to numbers, `pattern` (unanchored search) only to strings,
/// lengths in code points; `integer` accepts 2.0. Immutable after compile
/// (regexes compiled once, shared by copies); check() is safe to call
/// concurrently.
class input_schema {
public:
  /// Errors: invalid_field `field` when `schema` is not an object (or a
  /// nested schema is not: its pointer), unknown_field for an unsupported
  /// keyword, invalid_field for a keyword with a wrong value (field = its
  /// pointer, "/input_schema/properties/who/pattern").
  static caf::expected<input_schema> compile(const nlohmann::json& schema,
                                             std::string field);
  /// The first failure as "<JSON Pointer into value>: why"
  /// ("/who: required property missing"; the root is "/"), or empty.
  std::string check(const nlohmann::json& value) const;

  const nlohmann::json& source() const noexcept { return schema_; }

  struct node;

private:
  nlohmann::json schema_;
  std::shared_ptr<const node> root_;
};

/// Is `url` an absolute http:// or https:// URL with a host (optional
/// userinfo and port 1-65535, no whitespace or control characters)?
/// Errors: invalid_field `field`. For an http step's url rendered at run
/// time.
caf::error check_http_url(std::string_view url, std::string_view field);

struct emit_step {
  std::string name; ///< event name as written (may hold placeholders)
  /// Set when `name` holds placeholders: render_text() it and check the
  /// result with runtime::is_valid_name when the step runs.
  std::optional<json_template> name_template;
  json_template data;               ///< the event's data ({} when absent)
  std::optional<std::string> scope; ///< a valid scope
};

struct action_step {
  std::string action; ///< what listeners handle (`collect`)
  json_template data; ///< sent to listeners as "data" ({} by default)
};

struct wait_step {
  std::string pattern; ///< event name pattern
  std::optional<runtime::content_filter> filter;
};

struct http_step {
  std::string method = "POST"; ///< GET POST PUT PATCH DELETE HEAD
  json_template url;           ///< a string: http:// or https://
  std::vector<std::pair<std::string, json_template>> headers;
  std::optional<json_template> body; ///< JSON body (absent: none)
};

struct status_step {
  std::string status;    ///< e.g. "degraded"
  json_template message; ///< a string; render with render_text() ("")
};

struct step_plan {
  std::string name;
  step_kind kind = step_kind::emit;
  millis timeout{0};
  bool continue_on_error = false;
  std::string pointer; ///< "/steps/3" (for messages; a phase's three share it)
  std::optional<std::string> phase; ///< "cleanup" for pre_cleanup ...
  std::optional<emit_step> emit;
  std::optional<action_step> action;
  std::optional<wait_step> wait;
  std::optional<http_step> http;
  std::optional<status_step> status;
};

/// Default and allowed step timeouts.
inline constexpr millis default_step_timeout{std::chrono::minutes{10}};
inline constexpr millis default_action_timeout{std::chrono::hours{1}};
inline constexpr millis default_http_timeout{std::chrono::seconds{30}};
inline constexpr millis min_step_timeout{100};
inline constexpr millis max_step_timeout{std::chrono::hours{24 * 30}};
/// Most steps in one workflow (after phase expansion).
inline constexpr size_t max_steps = 256;

class workflow_plan {
public:
  /// Checks and compiles the workflow document `doc` with id `id`. Field
  /// pointers are relative to the document root ("/steps/0/emit/name").
  /// Accepted top-level members: name, description, input_schema, overlap,
  /// steps (non-empty array). Step names: unique, [A-Za-z0-9_.-]{1,64}; a
  /// step without "name" is named "step<index>" (phase steps: pre_X, X,
  /// post_X).
  static caf::expected<workflow_plan> parse(std::string_view id,
                                            const nlohmann::json& doc);

  const std::string& id() const noexcept { return id_; }
  /// Display name (003's flow_name): "name", else the id.
  const std::string& name() const noexcept { return name_; }
  overlap_policy overlap() const noexcept { return overlap_; }
  const std::vector<step_plan>& steps() const noexcept { return steps_; }
  const std::optional<input_schema>& schema() const noexcept { return schema_; }
  /// The document as given.
  const nlohmann::json& source() const noexcept { return source_; }

  /// Empty when `input` passes input_schema (always without one), else why
  /// not (003: "flow rejected input data: <this>").
  std::string check_input(const nlohmann::json& input) const;

private:
  std::string id_;
  std::string name_;
  overlap_policy overlap_ = overlap_policy::skip;
  std::optional<input_schema> schema_;
  std::vector<step_plan> steps_;
  nlohmann::json source_;
};

/// Seed 000's workflow, built in (DESIGN §5): actions pre_collect, collect,
/// merge_outer_edges, post_collect, then phases cleanup_plan, cleanup and
/// generate_metrics; each action emits its event and waits for listeners
/// that handle it. Every step has on_error "continue" (a failed collector
/// must not keep metrics from being generated; each run emits all 13
/// events); timeouts: collect and the cleanup phase 1h, the rest 10-30m.
inline constexpr std::string_view builtin_workflow_id = "collect_and_cleanup";
const nlohmann::json& builtin_workflow_document();

} // namespace herald::flow

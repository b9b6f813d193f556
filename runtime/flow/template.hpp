#pragma once

// Templates in workflow steps and trigger inputs (DESIGN §5):
//
//   ${input.who}          the run's input (a path into it; ${input} = all)
//   ${event.data.user}    the triggering event in its native JSON form
//   ${fire_time}          a schedule's instant, RFC 3339 UTC
//   ${task.id}            the run's task id
//   ${steps.NAME.output…} an earlier step's output
//
// Paths are dot-separated keys; a segment of digits also indexes an array
// (`${input.items.0}`). A segment is one or more characters other than `.`,
// `{`, `}`, `$` and whitespace; `${fire_time}` and `${task.id}` take no
// path; `${steps.NAME…}` must continue with `.output` (a step name may hold
// dots: the shortest earlier step name followed by `.output` is taken). A JSON
// string that is exactly one placeholder is replaced by the JSON value (object,
// number, ...); a placeholder inside other text inserts the value as text
// (strings as they are, other values as compact JSON). `$${` writes a literal
// `${`. Object keys are not templated.
//
// compile() checks at definition time that every placeholder refers to
// something that can exist in that place (a root the scope offers, a step
// that comes earlier) and is well-formed (a `${` without its `}`, `${}`, an
// empty segment); render() fails when a path has no value in this run.
// compile() finds the placeholders once; render() copies the constant
// parts and fills in the placeholders without scanning strings again.
//
// Pure and immutable after compile(); copies share the compiled form; safe
// to share across threads.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace herald::flow {

/// What placeholders may refer to where a template is compiled.
struct template_scope {
  bool input = true;      ///< ${input…}
  bool event = false;     ///< ${event…} (event triggers, wait_for_event)
  bool fire_time = false; ///< ${fire_time} (schedule triggers)
  bool task = true;       ///< ${task.id}
  /// Step names ${steps.NAME…} may name (the earlier steps).
  std::vector<std::string> steps;
};

/// What a template renders against. Null pointers / nullopt / an empty
/// task_id: absent (a placeholder naming it has no value).
struct template_context {
  const nlohmann::json* input = nullptr;
  const nlohmann::json* event = nullptr; ///< native JSON form
  std::optional<std::string> fire_time;
  std::string task_id;
  /// {"NAME": {"output": …}, …} for the steps that ended.
  const nlohmann::json* steps = nullptr;
};

class json_template {
public:
  /// Compiles a JSON value whose strings may hold placeholders. Errors:
  /// runtime::errc::invalid_field with field `field` + the JSON Pointer
  /// inside `value` ("/steps/0/emit/data/who") and a message naming the
  /// placeholder ("${steps.later.output} refers to no earlier step").
  static caf::expected<json_template> compile(const nlohmann::json& value,
                                              const template_scope& scope,
                                              std::string field);

  /// Compiles a text template (a trigger's `input_template`) that must
  /// render to JSON text.
  static caf::expected<json_template> compile_text(std::string_view text,
                                                   const template_scope& scope,
                                                   std::string field);

  /// Renders against `ctx`. Errors: runtime::errc::invalid_field whose
  /// message names the placeholder that has no value ("${input.who} has
  /// no value") or, for a text template, says the result is not JSON.
  caf::expected<nlohmann::json> render(const template_context& ctx) const;

  /// Renders a template whose source is a string as text, as the free
  /// render_text() does (a whole-string placeholder is inserted as text
  /// too, never parsed). Any other source renders as compact JSON. For
  /// templates checked once at definition time and rendered as text
  /// (`set_status` messages, an emit step's event name).
  caf::expected<std::string> render_text(const template_context& ctx) const;

  /// Does it contain any placeholder? (`$${` escapes do not count.)
  bool is_constant() const noexcept;

  /// The source as given (JSON value, or a string for compile_text).
  const nlohmann::json& source() const noexcept { return source_; }

  struct impl;

private:
  nlohmann::json source_;
  bool text_ = false;
  bool constant_ = true;
  /// The compiled form (constant parts with escapes resolved, and where
  /// each placeholder goes); null for a default-constructed template,
  /// which renders as its (null) source.
  std::shared_ptr<const impl> impl_;
};

/// Renders the text `text` (placeholders as text, never JSON-inserted);
/// every root is allowed (nothing is checked beforehand), so a malformed
/// placeholder is an error here too; the same errors as render(). For
/// texts rendered once (the Slack template); a text rendered many times is
/// better compiled once and rendered with json_template::render_text.
caf::expected<std::string> render_text(std::string_view text,
                                       const template_context& ctx);

} // namespace herald::flow

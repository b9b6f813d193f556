#pragma once

// EventBridge-style content filters (DESIGN §2) compiled once, matched many
// times. Pure class; immutable after parse, so safe to share across threads.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

namespace herald::v1 {
class Event;
} // namespace herald::v1

namespace herald::runtime {

/// A read-only view of an event for filter matching that parses the event's
/// JSON data and formats its time at most once, however many filters look at
/// it. Holds a reference: the event must outlive the view. Not thread-safe
/// (lazy caches); use one view per thread.
class event_view {
public:
  explicit event_view(const v1::Event& ev);
  ~event_view();
  event_view(const event_view&) = delete;
  event_view& operator=(const event_view&) = delete;

  const v1::Event& event() const noexcept { return ev_; }
  /// The parsed `data` (nullptr when the event has no JSON data or it does
  /// not parse).
  const nlohmann::json* data() const;
  /// The event's time as RFC 3339 UTC (format_rfc3339), what `time` filters
  /// compare against.
  const std::string& time_text() const;

private:
  const v1::Event& ev_;
  mutable bool parsed_ = false;
  mutable std::unique_ptr<nlohmann::json> data_;
  mutable std::optional<std::string> time_;
};

/// A compiled content filter (EventBridge semantics).
///
/// Keys are event fields (`id`, `name`, `source`, `kind` ("user"|"sys"),
/// `time` (RFC 3339 UTC text), `tenant`, `user`, `scope`, `allowed_groups`,
/// `datacontenttype`, `traceparent`, `node`, `seq` (a number),
/// `origin.trigger_id`, `origin.workflow_id`, `origin.task_id`) or `data` /
/// `data.<path>` (dots descend into objects; arrays met on the way are
/// descended element-wise). Nested objects in the filter are the same as
/// dotted keys (`{"data":{"state":[...]}}` == `{"data.state":[...]}`). Each
/// key maps to a non-empty array of alternatives (OR); keys are AND. An empty
/// filter matches everything.
///
/// A field is absent when the event lacks it: an empty string field, an empty
/// `allowed_groups`, seq 0, a data path that does not resolve. `null` inside
/// data is present. Every alternative except `{"exists":false}` requires the
/// field to be present; when the field's value is an array, the key matches
/// when any element does.
///
/// Alternatives:
///  - a literal: strings match equal strings, numbers equal numbers compared
///    numerically (5 == 5.0), booleans and null by equality; no coercion
///    ("5" never matches 5).
///  - `{"prefix":s}`, `{"suffix":s}` (s may be `{"equals-ignore-case":s}`),
///    `{"equals-ignore-case":s}` (ASCII case folding), `{"wildcard":"a*b"}`
///    (`*` = any run of characters, `**` is invalid; in the string value `\*`
///    is a literal star and `\\` a backslash, any other `\` is invalid):
///    strings only.
///  - `{"exists":true}` matches a present field of any value (null, object
///    and empty array included); `{"exists":false}` an absent one.
///  - `{"numeric":[op,n]}` or a range `{"numeric":[">"|">=",lo,"<"|"<=",hi]}`
///    with ops `=`,`<`,`<=`,`>`,`>=`: numbers only.
///  - `{"anything-but": literal | [literals] | {"prefix"|"suffix"|
///    "equals-ignore-case"|"wildcard": s}}` with string or number literals:
///    matches a present value equal to none of them (any type), or a string
///    that fails the string test.
///
/// Limits (checked by parse): at most 64 KiB of JSON text, nesting at most
/// 32 levels, at most 1000 alternatives in total (anything-but list entries
/// count), finite numbers only.
class content_filter {
public:
  content_filter();
  ~content_filter();
  content_filter(const content_filter&);
  content_filter& operator=(const content_filter&);
  content_filter(content_filter&&) noexcept;
  content_filter& operator=(content_filter&&) noexcept;

  /// Compiles a filter. Errors are `invalid_filter` with `field` set to
  /// `field_prefix` + a JSON Pointer to the offending part (for a query
  /// parameter pass "filter").
  static caf::expected<content_filter>
  parse(const nlohmann::json& spec, std::string_view field_prefix = "");
  /// Same from JSON text; malformed JSON is `invalid_filter` too.
  static caf::expected<content_filter>
  parse(std::string_view text, std::string_view field_prefix = "");
  /// Text overloads that keep `parse("{...}")` and `parse(std::string)`
  /// unambiguous (nlohmann::json converts from both).
  static caf::expected<content_filter>
  parse(const char* text, std::string_view field_prefix = "");
  static caf::expected<content_filter>
  parse(const std::string& text, std::string_view field_prefix = "");

  /// True for the filter that matches every event (no keys).
  bool empty() const noexcept;
  /// Whether the event satisfies every key of the filter. Never throws.
  bool matches(const event_view& ev) const;
  bool matches(const v1::Event& ev) const;

  /// The filter as given, as compact JSON with object keys sorted
  /// (`{}` for the empty filter), for logs and persistence; parse(text())
  /// yields a filter that matches the same events.
  const std::string& text() const noexcept;

  struct impl;

private:
  std::shared_ptr<const impl> impl_;
};

} // namespace herald::runtime

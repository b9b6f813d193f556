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
/// JSON data at most once, however many filters look at it.
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

private:
  const v1::Event& ev_;
  mutable bool parsed_ = false;
  mutable std::unique_ptr<nlohmann::json> data_;
};

/// A compiled content filter. Keys are event fields (`id`, `name`, `source`,
/// `kind`, `time`, `tenant`, `user`, `scope`, `allowed_groups`,
/// `datacontenttype`, `traceparent`, `node`, `seq`) or `data.<path>` (dots
/// descend into objects); nested objects in the filter are the same as dotted
/// keys (`{"data":{"state":[...]}}` == `{"data.state":[...]}`). Each key maps
/// to a non-empty array of alternatives (OR); keys are AND. An empty filter
/// matches everything. Alternatives: a literal (string, number, bool, null:
/// equality; numbers compare numerically), `{"prefix":s}`, `{"suffix":s}`,
/// `{"equals-ignore-case":s}`, `{"wildcard":"a*b"}`, `{"exists":bool}`,
/// `{"numeric":[op,n(,op,n)]}` with ops `=`,`<`,`<=`,`>`,`>=`,
/// `{"anything-but":literal|[literals]|{"prefix":s}|{"suffix":s}}`.
/// If the field's value is an array, the key matches when any element does
/// (EventBridge semantics).
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
  static caf::expected<content_filter> parse(const nlohmann::json& spec,
                                             std::string_view field_prefix = "");
  /// Same from JSON text; malformed JSON is `invalid_filter` too.
  static caf::expected<content_filter> parse(std::string_view text,
                                             std::string_view field_prefix = "");

  bool empty() const noexcept;
  bool matches(const event_view& ev) const;
  bool matches(const v1::Event& ev) const;

  /// The filter as given (normalized JSON text), for logs and persistence.
  const std::string& text() const noexcept;

  struct impl;

private:
  std::shared_ptr<const impl> impl_;
};

} // namespace herald::runtime

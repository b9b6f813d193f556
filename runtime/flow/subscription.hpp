#pragma once

// Topics and subscriptions as users define them (DESIGN §4, seeds 002 and
// 004):
//
//   topic        {"description"?: …,
//                 "rules": [{"source"?: "…", "name"?: pattern,
//                            "filter"?: {…}}, …]}
//   subscription {"description"?: …, "topic": "t" | "name": pattern,
//                 "filter"?: {…}, "scope"?: "project/x",
//                 "destination": {"type": "webhook", "url": …,
//                                  "headers"?: {…},
//                                  "format"?: "native"|"cloudevents"}
//                              | {"type": "slack", "url": …,
//                                 "slack_username"?: …, "slack_icon"?: …,
//                                 "template"?: "…"},
//                 "retry"?: {"max_attempts": 10, "max_age": "24h",
//                            "initial_backoff": "1s", "max_backoff": "5m"},
//                 "from_seq"?: N, "enabled"?: true}
//
// A subscription by topic matches an event when any of the topic's rules
// does (a rule matches when each of its given parts does); its own
// `filter` and `scope` narrow that further. A subscription by pattern
// matches on name + filter + scope.
//
// The stored definition is the user's document plus the fields Herald
// keeps for it (`server_fields`), which users can neither set nor read
// back (the secret is shown once, in the PUT reply).
//
// Pure: no clock, no storage, no network.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "herald/v1/event.pb.h"
#include "runtime/content_filter.hpp"
#include "runtime/flow/duration.hpp"

namespace herald::flow {

/// One rule of a topic: every part that is given must match.
struct topic_rule {
  std::optional<std::string> source; ///< exact
  std::optional<std::string> name;   ///< a name pattern
  std::optional<runtime::content_filter> filter;

  bool matches(const v1::Event& ev) const;
};

class topic_def {
public:
  /// Checks and compiles `doc`. Errors name the field ("/rules",
  /// "/rules/0/name", "/rules/1/filter/…", "/rules/0/source"); unknown
  /// members are unknown_field; at least one rule, at most 100.
  static caf::expected<topic_def> parse(std::string_view id,
                                        const nlohmann::json& doc);

  const std::string& id() const noexcept { return id_; }
  const std::vector<topic_rule>& rules() const noexcept { return rules_; }
  /// Does any rule match?
  bool matches(const v1::Event& ev) const;
  /// The document as given.
  const nlohmann::json& source() const noexcept { return source_; }

private:
  std::string id_;
  std::vector<topic_rule> rules_;
  nlohmann::json source_;
};

enum class destination_type { webhook, slack };
enum class payload_format { native, cloudevents };

struct destination {
  destination_type type = destination_type::webhook;
  /// http:// or https:// with a host; any host (loopback and private
  /// addresses included: Herald runs inside its users' networks).
  std::string url;
  /// Webhook only: extra request headers, ordered by name (nlohmann::json
  /// keeps an object's members sorted), names unique ignoring case. Names
  /// are HTTP tokens; the Standard Webhooks headers, Content-Type,
  /// Content-Length, Host and Transfer-Encoding cannot be set.
  std::vector<std::pair<std::string, std::string>> headers;
  payload_format format = payload_format::native; ///< webhook only
  std::string slack_username;                     ///< slack only
  std::string slack_icon; ///< ":name:" → icon_emoji, else icon_url
  /// Slack's `text`; checked at parse time (placeholders of ${event…}).
  std::string slack_template = "${event.name}: ${event.data}";
};

/// Retries of one event (DESIGN §4). Limits: max_attempts 1–100, max_age
/// 1s–7d, 1ms ≤ initial_backoff ≤ max_backoff ≤ 1d.
struct retry_policy {
  uint32_t max_attempts = 10;
  millis max_age{std::chrono::hours{24}};
  millis initial_backoff{std::chrono::seconds{1}};
  millis max_backoff{std::chrono::minutes{5}};
};

/// What Herald keeps with a subscription's definition (members of the
/// stored document; refused as unknown_field in a PUT).
struct server_fields {
  /// The principal that created it (runtime::identity::name): it delivers
  /// only what this principal may see.
  std::string created_by;
  /// Changes when a subscription of this id is created anew (after a
  /// delete): a cursor of an older incarnation is not reused.
  std::string incarnation;
  /// Where a new subscription starts: after this seq (the last stored when
  /// it was created; `from_seq` - 1 when given).
  uint64_t start_seq = 0;
  /// The node whose trail start_seq counts in (the node that accepted the
  /// creation). In a cluster, every other node's part of the subscription
  /// starts at what that node had stored when the subscription reached it
  /// (or at from_seq - 1 when given). Empty: this node (older records).
  std::string start_node;
  /// "whsec_" + base64 of the signing key (runtime/webhook_signature.hpp).
  std::string secret;
  /// After a rotation: the previous secret, still signed with until
  /// previous_secret_until_ns (Unix ns), so receivers can switch over.
  std::string previous_secret;
  int64_t previous_secret_until_ns = 0;
};

class subscription_def {
public:
  /// Checks and compiles a user's document (a PUT body). Errors:
  /// runtime::errc values naming the field — "/topic" (and "/name": one of
  /// the two is required, not both), "/name" (pattern), "/filter/…",
  /// "/scope" (invalid_scope), "/destination", "/destination/type",
  /// "/destination/url" ("url must be http:// or https://…"),
  /// "/destination/headers/NAME", "/destination/format",
  /// "/destination/template" (a template error), "/retry/max_attempts"
  /// (1–100), "/retry/max_age" (≤ 7 days), "/retry/initial_backoff",
  /// "/retry/max_backoff" (≥ initial_backoff), "/from_seq", "/enabled";
  /// unknown members (the server fields included) are unknown_field. Does
  /// not check that the topic exists (the caller does: it knows them).
  static caf::expected<subscription_def> parse(std::string_view id,
                                               const nlohmann::json& doc);

  /// A stored definition: the user's document plus server_fields.
  static caf::expected<subscription_def>
  parse_stored(std::string_view id, const nlohmann::json& doc);

  const std::string& id() const noexcept { return id_; }
  /// The topic it follows, or (pattern()) the event name pattern: the
  /// document's "name" is a pattern, as in DESIGN §4.
  const std::optional<std::string>& topic() const noexcept { return topic_; }
  const std::optional<std::string>& pattern() const noexcept {
    return pattern_;
  }
  const std::optional<runtime::content_filter>& filter() const noexcept {
    return filter_;
  }
  const std::optional<std::string>& scope() const noexcept { return scope_; }
  const struct destination& destination() const noexcept { return dest_; }
  const retry_policy& retry() const noexcept { return retry_; }
  const std::optional<uint64_t>& from_seq() const noexcept { return from_seq_; }
  bool enabled() const noexcept { return enabled_; }

  const server_fields& server() const noexcept { return server_; }
  server_fields& server() noexcept { return server_; }

  /// Matches on pattern/topic (pass the topic when topic() is set; a
  /// subscription whose topic is missing matches nothing), filter and
  /// scope (whole-segment prefix). Visibility is the caller's business.
  bool matches(const v1::Event& ev, const topic_def* topic) const;

  /// The user's document as given (no server fields).
  const nlohmann::json& source() const noexcept { return source_; }
  /// The document to store: source() plus server().
  nlohmann::json to_stored() const;

private:
  std::string id_;
  std::optional<std::string> topic_;
  std::optional<std::string> pattern_;
  std::optional<runtime::content_filter> filter_;
  std::optional<std::string> scope_;
  struct destination dest_;
  retry_policy retry_;
  std::optional<uint64_t> from_seq_;
  bool enabled_ = true;
  server_fields server_;
  nlohmann::json source_;
};

/// Is `scope` equal to `prefix` or below it (whole segments)?
bool scope_within(std::string_view scope, std::string_view prefix) noexcept;

} // namespace herald::flow

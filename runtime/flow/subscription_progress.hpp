#pragma once

// What a subscription's owner commits through the coordinator (DESIGN §4):
// its cursor and whether it delivers. Kept as the progress of key
// "subscription/<id>" (JSON), written only by the subscription's actor, so
// a fenced commit decides which owner moved it last.
//
//   active ──pause──▶ paused ──resume──▶ active
//     │  └──410 / creator deleted──▶ disabled ──resume──▶ active
//     └── every state keeps the cursor
//
// Pure.

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace herald::flow {

enum class subscription_state { active, paused, disabled };

/// "active" | "paused" | "disabled".
std::string_view to_string(subscription_state s) noexcept;

struct subscription_progress {
  /// The subscription_def's server().incarnation this progress belongs to;
  /// a progress of another incarnation is a deleted predecessor's.
  std::string incarnation;
  /// Every event with seq ≤ cursor was delivered, dead-lettered or does
  /// not match.
  uint64_t cursor = 0;
  subscription_state state = subscription_state::active;
  std::string reason; ///< why disabled ("HTTP 410 Gone", …)

  std::string to_json_text() const;
  /// Errors: runtime::errc::invalid_field when `text` is not such a
  /// document.
  static caf::expected<subscription_progress> parse(std::string_view text);
};

/// In a cluster with etcd every node delivers its own trail's part of a
/// subscription (progress key "on/<node>/subscription/<id>"), and pause /
/// resume is one cluster-wide definition every node applies to its part:
/// "subscription-state/<id>" → {"state":"paused"|"active","incarnation",
/// "by","at"}. A record of another incarnation (the subscription deleted
/// and created anew) is ignored.
inline constexpr std::string_view subscription_state_prefix =
    "subscription-state/";

struct subscription_wanted_state {
  bool paused = false;
  std::string incarnation;

  /// Errors: runtime::errc::invalid_field when `text` is not such a
  /// record.
  static caf::expected<subscription_wanted_state> parse(std::string_view text);
};

} // namespace herald::flow

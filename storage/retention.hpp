#pragma once

// Retention policy (DESIGN §3): how long events stay in the audit trail, by
// age (counted from accept time) and by size, with per-name-pattern rules.
// Plain values plus the parsers heraldd's flags use; the deletion itself is
// event_store::expire (storage/retention_expire.cpp).
//
// An event's max age is decided by the first rule whose pattern matches its
// name; an event matching no rule gets `max_age_ns`. No max age = kept
// forever (unless the size budget needs the room). The size budget is
// applied after the ages and removes the oldest events (lowest seqs) first,
// whatever their name.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "herald/v1/event.pb.h"

namespace herald::storage {

/// One `PATTERN=DURATION` rule.
struct retention_rule {
  std::string pattern;               ///< a valid name pattern (`*`, `>`)
  std::optional<int64_t> max_age_ns; ///< nullopt: `forever`
};

struct retention_policy {
  /// Max age of events no rule matches; nullopt keeps them forever.
  std::optional<int64_t> max_age_ns;
  /// Budget for the store's estimated live bytes
  /// (event_store::estimated_live_bytes); nullopt: unbounded. A sweep that
  /// finds the store over it deletes the oldest events down to 1/64 under
  /// it (hysteresis against the estimate's background drift).
  std::optional<uint64_t> max_bytes;
  /// Ordered: the first matching rule decides.
  std::vector<retention_rule> rules;
  /// Events from this seq on are held: the age rules never delete them
  /// (an enabled subscription has not delivered them yet); only the size
  /// budget may, and expire() then hands them back in
  /// retention_result::forced. Set per sweep by the caller (not part of
  /// the configured policy); UINT64_MAX holds nothing.
  uint64_t hold_from_seq = UINT64_MAX;

  /// True when nothing would ever be deleted.
  bool keeps_everything() const noexcept;

  /// The index of the first rule matching `name`, or nullopt.
  std::optional<size_t> rule_for(std::string_view name) const noexcept;

  /// The max age that applies to `name` (nullopt: forever).
  std::optional<int64_t> max_age_for(std::string_view name) const noexcept;

  /// A string that differs whenever the age part of the policy does (the
  /// store keys its resumable scan position on it).
  std::string age_fingerprint() const;
};

/// Checks every rule's pattern (runtime::errc::invalid_pattern, field
/// "retention-rule") and that ages are positive (invalid_parameter).
caf::error validate(const retention_policy& policy);

/// What one event_store::expire call did.
struct retention_result {
  uint64_t events_deleted = 0;
  /// Serialized bytes of the deleted events plus their keys (ids, index
  /// entries): the logical size freed; the disk shrinks as RocksDB compacts.
  uint64_t bytes_deleted = 0;
  /// The call stopped at its event limit and more is expired already.
  bool more = false;
  /// Events at or above policy.hold_from_seq that the size budget forced
  /// out (at most the call's max_events): whoever held them keeps them
  /// (subscriptions turn them into dead letters, "expired").
  std::vector<v1::Event> forced;
};

/// Parses `30d`, `12h`, `90m`, `45s`, `250ms` (a positive integer and one
/// unit: ms s m h d w) into nanoseconds. nullopt when malformed, zero or
/// overflowing.
std::optional<int64_t> parse_duration_ns(std::string_view text) noexcept;

/// Parses a byte size: plain bytes (`1048576`) or an integer with one of
/// `B KB MB GB TB` (powers of 1000) or `KiB MiB GiB TiB` (powers of 1024).
/// nullopt when malformed, zero or overflowing.
std::optional<uint64_t> parse_byte_size(std::string_view text) noexcept;

/// Parses `PATTERN=DURATION` (DURATION may also be `forever`). Errors:
/// invalid_parameter (no `=`, bad duration) or invalid_pattern, with the
/// message naming the text; field "retention-rule".
caf::expected<retention_rule> parse_retention_rule(std::string_view text);

} // namespace herald::storage

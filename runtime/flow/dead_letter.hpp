#pragma once

// A dead letter (DESIGN §4): an event a subscription gave up on, kept with
// why, until an operator re-drives or deletes it. Stored as the definition
// "dead-letter/<subscription>/<seq, 20 digits>" (key order = seq order), so
// listing a subscription's dead letters is a key-range read and a re-drive
// sends them in their original order. The event is kept whole (protobuf
// bytes), so a dead letter outlives the event's retention.
//
// Pure.

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "herald/v1/event.pb.h"

namespace herald::flow {

struct dead_letter {
  v1::Event event;
  uint32_t attempts = 0;
  std::string last_error;
  int64_t first_attempt_ns = 0;
  int64_t last_attempt_ns = 0;

  /// The stored value: {"event_pb": base64, "event_id", "seq", "attempts",
  /// "last_error", "first_attempt_ns", "last_attempt_ns"}.
  std::string to_stored() const;
  /// Errors: runtime::errc::invalid_field when `text` is not such a value.
  static caf::expected<dead_letter> parse_stored(std::string_view text);

  /// The API's form: {"event": native JSON, "attempts", "last_error",
  /// "first_attempt", "last_attempt"} (times RFC 3339 UTC).
  nlohmann::json to_api_json() const;
};

/// "dead-letter/<subscription_id>/".
std::string dead_letter_prefix(std::string_view subscription_id);
/// dead_letter_prefix + seq as 20 digits.
std::string dead_letter_key(std::string_view subscription_id, uint64_t seq);

} // namespace herald::flow

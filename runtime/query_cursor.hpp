#pragma once

// The opaque `next`/`after` cursor of one node's paged queries (DESIGN §7).
// Pure functions, thread-safe. The store hands it out and reads it back
// (storage/event_query.cpp); the API's cluster queries build one from an
// event's seq to resume a node right after that event (tools/api/
// fanout_merge.cpp), which is why it lives here and not in storage/.
//
// Layout before encoding (12 bytes), then base64url without padding (16
// URL-safe characters):
//   version (1) | direction 'a' or 'd' (1) | BE64 last examined seq (8) |
//   BE16 check (2) = FNV-1a of the first 10 bytes, folded to 16 bits
// The check makes a mistyped or made-up cursor an error instead of a silent
// jump to some seq.

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace herald::runtime {

/// The current cursor version.
inline constexpr uint8_t cursor_version = 1;

struct query_cursor {
  bool descending = false;
  /// Every seq up to (asc) / down to (desc) this one has been examined; the
  /// next page starts after it.
  uint64_t last_seq = 0;
};

/// Encodes a cursor (never fails).
std::string encode_cursor(const query_cursor& c);

/// Decodes a cursor for a query in the given direction. Garbage, a wrong
/// version, a failed check or a cursor of the other direction is
/// runtime::errc::invalid_cursor with field "after".
caf::expected<query_cursor> decode_cursor(std::string_view text,
                                          bool descending);

} // namespace herald::runtime

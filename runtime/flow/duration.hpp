#pragma once

// Durations as workflows and triggers write them (DESIGN §5): `"90s"`,
// `"30m"`, `"1h"`, `"1h30m"`, `"500ms"`, `"2d"` — one or more
// <integer><unit> parts, units ms, s, m, h, d, largest first, each unit at
// most once. No sign, no fractions, no spaces.

#include <chrono>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace herald::flow {

using millis = std::chrono::milliseconds;

/// Parses `text`. Errors: runtime::errc::invalid_field with `field` and a
/// message naming what is wrong ("timeout: unknown unit 'x' in \"5x\"").
/// Values over 400 days are refused (no schedule or timeout needs more).
caf::expected<millis> parse_duration(std::string_view text,
                                     std::string_view field);

/// The text parse_duration reads back as `d`: each unit at most once,
/// largest first, zero parts left out ("1h30m", "500ms", "0s"). A negative
/// `d` gets a leading '-' (for messages; parse_duration refuses it).
std::string format_duration(millis d);

} // namespace herald::flow

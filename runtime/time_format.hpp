#pragma once

// RFC 3339 timestamps <-> Unix nanoseconds (DESIGN §7 "time"). Pure
// functions, thread-safe, never throw (format_rfc3339 may throw bad_alloc).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::runtime {

/// Parses RFC 3339 (`2026-11-22T10:00:00.123456789+01:00`) into Unix
/// nanoseconds UTC. Accepts 'T'/'t' as separator, 'Z'/'z' or a `±HH:MM`
/// offset, and 0-9 fraction digits (a '.' needs at least one digit).
/// Rejects out-of-range fields (month 13, Feb 30, Feb 29 of a non-leap
/// year, hour 24, minute 60, second 60 — leap seconds are not taken, offset
/// hour over 23) and instants int64 nanoseconds cannot hold (before
/// 1677-09-21T00:12:43.145224192Z or after 2262-04-11T23:47:16.854775807Z).
std::optional<int64_t> parse_rfc3339(std::string_view text) noexcept;

/// Formats Unix nanoseconds as RFC 3339 UTC with `Z`; the fraction is
/// omitted when zero, else printed with trailing zeros trimmed
/// (Go's RFC3339Nano): `2026-11-22T10:00:00.1234Z`. Total over int64.
std::string format_rfc3339(int64_t unix_ns);

/// Wall-clock now in Unix nanoseconds.
int64_t now_unix_ns() noexcept;

} // namespace herald::runtime

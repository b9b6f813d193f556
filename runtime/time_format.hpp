#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::runtime {

/// Parses RFC 3339 (`2026-11-22T10:00:00.123456789+01:00`, `Z` or an offset,
/// 0-9 fraction digits, 'T'/'t' separator, 'Z'/'z') into Unix nanoseconds UTC.
/// Rejects out-of-range fields (month 13, Feb 30, hour 24, ...). Range:
/// years 1678-2261 (what int64 nanoseconds hold).
std::optional<int64_t> parse_rfc3339(std::string_view text) noexcept;

/// Formats Unix nanoseconds as RFC 3339 UTC with `Z`; the fraction is
/// omitted when zero, else printed with trailing zeros trimmed
/// (Go's RFC3339Nano): `2026-11-22T10:00:00.1234Z`.
std::string format_rfc3339(int64_t unix_ns);

/// Wall-clock now in Unix nanoseconds.
int64_t now_unix_ns() noexcept;

} // namespace herald::runtime

#include "runtime/time_format.hpp"

#include <cstdint>
#include <limits>
#include <random>

#include <gtest/gtest.h>

namespace herald::runtime {
namespace {

constexpr int64_t sec = 1'000'000'000;

TEST(TimeFormat, ParsesUtcWithAndWithoutFraction) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:01Z"), sec);
  EXPECT_EQ(parse_rfc3339("2026-11-22T10:00:00.123456789Z"),
            parse_rfc3339("2026-11-22T10:00:00Z").value() + 123456789);
  EXPECT_EQ(parse_rfc3339("2026-11-22T10:00:00Z"), 1795341600 * sec);
}

TEST(TimeFormat, AcceptsLowerCaseSeparatorAndZone) {
  EXPECT_EQ(parse_rfc3339("2026-11-22t10:00:00z"),
            parse_rfc3339("2026-11-22T10:00:00Z"));
}

TEST(TimeFormat, AcceptsZeroToNineFractionDigits) {
  const int64_t base = parse_rfc3339("2026-01-01T00:00:00Z").value();
  EXPECT_EQ(parse_rfc3339("2026-01-01T00:00:00.1Z"), base + 100'000'000);
  EXPECT_EQ(parse_rfc3339("2026-01-01T00:00:00.12Z"), base + 120'000'000);
  EXPECT_EQ(parse_rfc3339("2026-01-01T00:00:00.000001Z"), base + 1000);
  EXPECT_EQ(parse_rfc3339("2026-01-01T00:00:00.000000001Z"), base + 1);
  EXPECT_EQ(parse_rfc3339("2026-01-01T00:00:00.0000000001Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2026-01-01T00:00:00.Z"), std::nullopt);
}

TEST(TimeFormat, AppliesOffsetsIncludingAcrossMidnight) {
  EXPECT_EQ(parse_rfc3339("2026-11-22T11:00:00+01:00"),
            parse_rfc3339("2026-11-22T10:00:00Z"));
  EXPECT_EQ(parse_rfc3339("2026-11-22T00:30:00+01:00"),
            parse_rfc3339("2026-11-21T23:30:00Z"));
  EXPECT_EQ(parse_rfc3339("2026-12-31T23:30:00-01:00"),
            parse_rfc3339("2027-01-01T00:30:00Z"));
  EXPECT_EQ(parse_rfc3339("2024-03-01T00:15:00+05:30"),
            parse_rfc3339("2024-02-29T18:45:00Z"));
  EXPECT_EQ(parse_rfc3339("2026-01-01T00:00:00-00:00"),
            parse_rfc3339("2026-01-01T00:00:00Z"));
  EXPECT_EQ(parse_rfc3339("2026-01-01T00:00:00.5+23:59"),
            parse_rfc3339("2025-12-31T00:01:00.5Z"));
}

TEST(TimeFormat, RejectsInvalidCalendarAndClockFields) {
  for (const char* bad : {
           "2026-02-29T00:00:00Z", // not a leap year
           "1900-02-29T00:00:00Z", // century, not a leap year
           "2026-02-30T00:00:00Z",
           "2026-04-31T00:00:00Z",
           "2026-13-01T00:00:00Z",
           "2026-00-01T00:00:00Z",
           "2026-01-00T00:00:00Z",
           "2026-01-32T00:00:00Z",
           "2026-01-01T24:00:00Z",
           "2026-01-01T23:60:00Z",
           "2026-01-01T23:59:60Z", // leap seconds are not taken
           "2026-01-01T00:00:00+24:00",
           "2026-01-01T00:00:00+01:60",
       })
    EXPECT_EQ(parse_rfc3339(bad), std::nullopt) << bad;
  EXPECT_TRUE(parse_rfc3339("2024-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339("2000-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339("2026-12-31T23:59:59.999999999Z"));
}

TEST(TimeFormat, RejectsMalformedText) {
  for (const char* bad : {
           "",
           "2026",
           "2026-01-01",
           "2026-01-01T00:00:00",
           "2026-01-01 00:00:00Z",
           "2026-01-01T00:00Z",
           "2026-1-01T00:00:00Z",
           "2026-01-01T00:00:00+0100",
           "2026-01-01T00:00:00+01",
           "2026-01-01T00:00:00Zjunk",
           "2026-01-01T00:00:00.12a Z",
           " 2026-01-01T00:00:00Z",
           "2026-01-01T00:00:00UTC",
           "+2026-01-01T00:00:00Z",
           "2026-01-01T0a:00:00Z",
       })
    EXPECT_EQ(parse_rfc3339(bad), std::nullopt) << bad;
}

TEST(TimeFormat, HandlesTimesBefore1970) {
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59.999999999Z"), -1);
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(format_rfc3339(-sec), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339(-sec - 500'000'000), "1969-12-31T23:59:58.5Z");
  EXPECT_EQ(parse_rfc3339("1900-01-01T00:00:00Z"), -2208988800LL * sec);
}

TEST(TimeFormat, CoversExactlyTheInt64Range) {
  constexpr auto lo = std::numeric_limits<int64_t>::min();
  constexpr auto hi = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(format_rfc3339(lo), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(format_rfc3339(hi), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(parse_rfc3339("1677-09-21T00:12:43.145224192Z"), lo);
  EXPECT_EQ(parse_rfc3339("2262-04-11T23:47:16.854775807Z"), hi);
  EXPECT_EQ(parse_rfc3339("1677-09-21T00:12:43.145224191Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("2262-04-11T23:47:16.854775808Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("0001-01-01T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59Z"), std::nullopt);
  // The offset is applied before the range check.
  EXPECT_EQ(parse_rfc3339("2262-04-12T00:47:16.854775807+01:00"), hi);
}

TEST(TimeFormat, FormatsUtcWithTrimmedFraction) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  const int64_t base = 1795341600 * sec; // 2026-11-22T10:00:00Z
  EXPECT_EQ(format_rfc3339(base), "2026-11-22T10:00:00Z");
  EXPECT_EQ(format_rfc3339(base + 100'000'000), "2026-11-22T10:00:00.1Z");
  EXPECT_EQ(format_rfc3339(base + 123'400'000), "2026-11-22T10:00:00.1234Z");
  EXPECT_EQ(format_rfc3339(base + 1), "2026-11-22T10:00:00.000000001Z");
  EXPECT_EQ(format_rfc3339(base + 123'456'789),
            "2026-11-22T10:00:00.123456789Z");
}

TEST(TimeFormat, RoundTripsEveryFormattedInstant) {
  std::mt19937_64 rng{20261122};
  for (int i = 0; i < 20000; ++i) {
    auto ns = static_cast<int64_t>(rng());
    if (i % 3 == 0)
      ns -= ns % sec; // whole seconds
    if (i % 3 == 1)
      ns -= ns % 1'000'000; // whole milliseconds
    const auto text = format_rfc3339(ns);
    ASSERT_EQ(parse_rfc3339(text), ns) << text;
  }
}

TEST(TimeFormat, RoundTripsOffsetsToUtc) {
  EXPECT_EQ(
      format_rfc3339(parse_rfc3339("2026-03-29T01:30:00.250-07:00").value()),
      "2026-03-29T08:30:00.25Z");
}

TEST(TimeFormat, NowIsWallClock) {
  const int64_t now = now_unix_ns();
  EXPECT_GT(now, parse_rfc3339("2024-01-01T00:00:00Z").value());
  EXPECT_LT(now, parse_rfc3339("2200-01-01T00:00:00Z").value());
}

} // namespace
} // namespace herald::runtime

#include "runtime/flow/duration.hpp"

#include <random>

#include <gtest/gtest.h>

#include "runtime/errc.hpp"

namespace herald::flow {
namespace {

using namespace std::chrono_literals;

constexpr millis day{86'400'000};

/// The error's message when `text` is refused; "" when it parses.
std::string refusal(std::string_view text, std::string_view field = "timeout") {
  auto d = parse_duration(text, field);
  if (d)
    return "";
  auto e = runtime::describe(d.error());
  EXPECT_EQ(e.code, runtime::errc::invalid_field) << text;
  EXPECT_EQ(e.field, field) << text;
  return e.message;
}

TEST(duration_parse, reads_every_unit) {
  EXPECT_EQ(parse_duration("500ms", "t"), millis{500});
  EXPECT_EQ(parse_duration("90s", "t"), millis{90'000});
  EXPECT_EQ(parse_duration("30m", "t"), millis{30 * 60'000});
  EXPECT_EQ(parse_duration("1h", "t"), millis{3'600'000});
  EXPECT_EQ(parse_duration("2d", "t"), 2 * day);
  EXPECT_EQ(parse_duration("0s", "t"), millis{0});
  EXPECT_EQ(parse_duration("0ms", "t"), millis{0});
  EXPECT_EQ(parse_duration("007s", "t"), millis{7'000});
}

TEST(duration_parse, reads_combinations_largest_first) {
  EXPECT_EQ(parse_duration("1h30m", "t"), millis{90 * 60'000});
  EXPECT_EQ(parse_duration("1d2h3m4s5ms", "t"), day + 2h + 3min + 4s + 5ms);
  EXPECT_EQ(parse_duration("1m500ms", "t"), 1min + 500ms);
  EXPECT_EQ(parse_duration("2d12h", "t"), 2 * day + 12h);
  // A smaller unit may exceed the larger one's size: it is still a sum.
  EXPECT_EQ(parse_duration("1h90m", "t"), 150min);
  EXPECT_EQ(parse_duration("1500ms", "t"), 1500ms);
}

TEST(duration_parse, limit_is_400_days) {
  EXPECT_EQ(parse_duration("400d", "t"), 400 * day);
  EXPECT_EQ(parse_duration("9600h", "t"), 400 * day);
  EXPECT_EQ(parse_duration("399d23h59m59s999ms", "t"), 400 * day - 1ms);
  EXPECT_EQ(parse_duration("34560000000ms", "t"), 400 * day);
  EXPECT_NE(refusal("400d1ms").find("over 400 days"), std::string::npos);
  EXPECT_NE(refusal("401d").find("over 400 days"), std::string::npos);
  EXPECT_NE(refusal("34560000001ms").find("over 400 days"), std::string::npos);
  EXPECT_NE(refusal("399d25h").find("over 400 days"), std::string::npos);
  // Overflow of int64 however many digits.
  EXPECT_NE(refusal("99999999999999999999999999999d").find("over 400 days"),
            std::string::npos);
  EXPECT_NE(refusal("18446744073709551616ms").find("over 400 days"),
            std::string::npos);
  EXPECT_NE(refusal("9223372036854775807s").find("over 400 days"),
            std::string::npos);
}

TEST(duration_parse, refuses_and_says_why) {
  struct bad_case {
    const char* text;
    const char* says;
  };
  const bad_case cases[] = {
      {"", "empty"},
      {"5", "the unit is missing"},
      {"1h5", "the unit is missing"},
      {"5x", "unknown unit 'x'"},
      {"5S", "unknown unit 'S'"},
      {"5sec", "unknown unit 'sec'"},
      {"5w", "unknown unit 'w'"},
      {"5us", "unknown unit 'us'"},
      {"-1s", "a sign is not allowed"},
      {"+1s", "a sign is not allowed"},
      {"1.5s", "fractions are not allowed"},
      {"1,5s", "fractions are not allowed"},
      {".5s", "a number is missing"},
      {"s", "a number is missing before 's'"},
      {"ms", "a number is missing"},
      {"1hm", "unknown unit 'hm'"},
      {"5 s", "spaces are not allowed"},
      {" 5s", "spaces are not allowed"},
      {"5s ", "spaces are not allowed"},
      {"1h 30m", "spaces are not allowed"},
      {"5s5s", "unit 's' appears twice"},
      {"1h2m1h", "unit 'h' appears twice"},
      {"1m1h", "largest first"},
      {"1ms1s", "largest first"},
      {"1s1m", "largest first"},
      {"5#", "'#' is not a unit"},
      {"1h_30m", "a number is missing before '_30m'"},
  };
  for (const auto& c : cases) {
    auto msg = refusal(c.text);
    EXPECT_NE(msg.find(c.says), std::string::npos)
        << '"' << c.text << "\" → " << msg;
    // The message names the field and quotes the text.
    EXPECT_EQ(msg.rfind("timeout: ", 0), 0u) << msg;
  }
  EXPECT_EQ(refusal("5x"),
            "timeout: unknown unit 'x' in \"5x\" (write e.g. \"90s\", "
            "\"1h30m\" or \"500ms\"; units d, h, m, s, ms)");
}

TEST(duration_parse, message_names_the_last_part_of_a_pointer_field) {
  auto d = parse_duration("5x", "/wait_for_event/timeout");
  ASSERT_FALSE(d);
  auto e = runtime::describe(d.error());
  EXPECT_EQ(e.field, "/wait_for_event/timeout");
  EXPECT_EQ(e.message.rfind("timeout: unknown unit 'x'", 0), 0u) << e.message;
}

TEST(duration_format, writes_largest_first_without_zero_parts) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(500ms), "500ms");
  EXPECT_EQ(format_duration(1s), "1s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(1h), "1h");
  EXPECT_EQ(format_duration(24h), "1d");
  EXPECT_EQ(format_duration(day + 1ms), "1d1ms");
  EXPECT_EQ(format_duration(day + 2h + 3min + 4s + 5ms), "1d2h3m4s5ms");
  EXPECT_EQ(format_duration(400 * day), "400d");
  EXPECT_EQ(format_duration(1500ms), "1s500ms");
  EXPECT_EQ(format_duration(-90s), "-1m30s");
  EXPECT_EQ(format_duration(millis::min()), "-106751991167d7h12m55s808ms");
}

TEST(duration_format, round_trips_through_parse) {
  const millis samples[] = {
      0ms, 1ms,       999ms,           1s,       59s,
      60s, 61s,       59min,           1h,       23h + 59min,
      day, day + 1ms, 400 * day - 1ms, 400 * day};
  for (auto d : samples) {
    auto text = format_duration(d);
    EXPECT_EQ(parse_duration(text, "t"), d) << text;
  }
  std::mt19937_64 rng{7};
  std::uniform_int_distribution<int64_t> any(0, (400 * day).count());
  for (int i = 0; i < 20'000; ++i) {
    const millis d{any(rng)};
    auto text = format_duration(d);
    auto back = parse_duration(text, "t");
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, d) << text;
    // Canonical: formatting what was parsed gives the same text.
    EXPECT_EQ(format_duration(*back), text);
  }
}

} // namespace
} // namespace herald::flow

#include "runtime/flow/cron.hpp"

#include <chrono>
#include <random>

#include <gtest/gtest.h>

#include "runtime/errc.hpp"

namespace herald::flow {
namespace {

civil_minute at(int y, unsigned mo, unsigned d, unsigned h, unsigned mi) {
  return {y, mo, d, h, mi};
}

cron_expr expr(std::string_view text) {
  auto e = cron_expr::parse(text);
  EXPECT_TRUE(e) << text << ": " << caf::to_string(e.error());
  return e ? *e : *cron_expr::parse("* * * * *");
}

std::string next_of(std::string_view text, civil_minute after) {
  auto n = expr(text).next(after);
  return n ? to_string(*n) : "never";
}

/// The minute after `m` (civil arithmetic, no time zone).
civil_minute plus_minute(civil_minute m) {
  namespace chr = std::chrono;
  if (++m.minute < 60)
    return m;
  m.minute = 0;
  if (++m.hour < 24)
    return m;
  m.hour = 0;
  auto day =
      chr::sys_days{chr::year{m.year} / chr::month{m.month} / chr::day{m.day}} +
      chr::days{1};
  chr::year_month_day ymd{day};
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()), 0, 0};
}

// -- parse ------------------------------------------------------------------

TEST(cron_parse, refuses_what_is_not_cron_and_says_which_field) {
  struct bad_case {
    const char* text;
    const char* says;
  };
  const bad_case cases[] = {
      {"", "5 fields"},
      {"* * * *", "got 4"},
      {"* * * * * *", "got 6"},
      {"60 * * * *", "minute: 60 is outside 0-59"},
      {"* 24 * * *", "hour: 24 is outside 0-23"},
      {"* * 0 * *", "day-of-month: 0 is outside 1-31"},
      {"* * 32 * *", "day-of-month: 32"},
      {"* * * 13 *", "month: 13 is outside 1-12"},
      {"* * * 0 *", "month: 0"},
      {"* * * * 8", "day-of-week: 8 is outside 0-7"},
      {"5/15 * * * *", "a step needs * or a range"},
      {"*/0 * * * *", "step '0'"},
      {"*/61 * * * *", "step '61'"},
      {"*/x * * * *", "step 'x'"},
      {"1- * * * *", "a value is missing"},
      {"-1 * * * *", "a value is missing"},
      {",1 * * * *", "an empty list entry"},
      {"1,,2 * * * *", "an empty list entry"},
      {"1, * * * *", "an empty list entry"},
      {"30-10 * * * *", "runs backwards"},
      {"* * * foo *", "'foo' is not a value"},
      {"* * * * monday", "'monday' is not a value"},
      {"jan * * * *", "'jan' is not a value"}, // names only where they fit
      {"1.5 * * * *", "not a number"},
      {"@every_hour", "unknown macro"},
      {"@", "unknown macro"},
  };
  for (const auto& c : cases) {
    auto e = cron_expr::parse(c.text, "/cron");
    ASSERT_FALSE(e) << "accepted: '" << c.text << "'";
    auto d = runtime::describe(e.error());
    EXPECT_EQ(d.code, runtime::errc::invalid_field) << c.text;
    EXPECT_EQ(d.field, "/cron") << c.text;
    EXPECT_NE(d.message.find(c.says), std::string::npos)
        << "'" << c.text << "' says: " << d.message;
  }
}

TEST(cron_parse, macros_are_their_expressions) {
  const std::pair<const char*, const char*> same[] = {
      {"@hourly", "0 * * * *"},   {"@daily", "0 0 * * *"},
      {"@midnight", "0 0 * * *"}, {"@weekly", "0 0 * * 0"},
      {"@monthly", "0 0 1 * *"},  {"@yearly", "0 0 1 1 *"},
      {"@annually", "0 0 1 1 *"}, {"@HOURLY", "0 * * * *"},
  };
  for (auto [macro, plain] : same) {
    auto a = expr(macro);
    auto b = expr(plain);
    civil_minute m = at(2026, 12, 6, 13, 7);
    for (int i = 0; i < 12; ++i) {
      auto na = a.next(m);
      auto nb = b.next(m);
      ASSERT_TRUE(na && nb) << macro;
      EXPECT_EQ(*na, *nb) << macro;
      m = *na;
    }
  }
}

TEST(cron_parse, names_any_case_and_seven_is_sunday) {
  auto a = expr("0 0 * JAN,Mar sun");
  auto b = expr("0 0 * 1,3 7");
  auto c = expr("0 0 * 1,3 0");
  civil_minute m = at(2026, 12, 6, 0, 0);
  for (int i = 0; i < 20; ++i) {
    auto na = a.next(m);
    ASSERT_TRUE(na);
    EXPECT_EQ(*na, *b.next(m));
    EXPECT_EQ(*na, *c.next(m));
    m = *na;
  }
  EXPECT_EQ(next_of("0 9 * * mon-fri", at(2026, 12, 11, 9, 0)),
            "2026-12-14T09:00") // Friday 9:00 → Monday
      << "ranges of names";
}

TEST(cron_parse, surrounding_blanks_and_runs_of_blanks_are_one_separator) {
  EXPECT_EQ(next_of("  0\t12   *  * *  ", at(2026, 1, 1, 0, 0)),
            "2026-01-01T12:00");
  EXPECT_EQ(expr("  @daily ").text(), "@daily");
}

TEST(cron_parse, fixed_time_is_cronies_rule) {
  EXPECT_TRUE(expr("0 3 * * *").fixed_time());
  EXPECT_TRUE(expr("30 2 * * *").fixed_time());
  EXPECT_TRUE(expr("0 3-5 * * *").fixed_time());
  EXPECT_TRUE(expr("15,45 1,2 * * 1").fixed_time());
  EXPECT_TRUE(expr("@daily").fixed_time());
  EXPECT_TRUE(expr("@weekly").fixed_time());
  EXPECT_TRUE(expr("@monthly").fixed_time());
  EXPECT_TRUE(expr("@yearly").fixed_time());
  EXPECT_FALSE(expr("@hourly").fixed_time());
  EXPECT_FALSE(expr("0 * * * *").fixed_time());
  EXPECT_FALSE(expr("*/15 3 * * *").fixed_time());
  EXPECT_FALSE(expr("0 */2 * * *").fixed_time());
  EXPECT_FALSE(expr("* 3 * * *").fixed_time());
}

// -- next -------------------------------------------------------------------

TEST(cron_next, steps_through_minutes_hours_days_months_and_years) {
  EXPECT_EQ(next_of("0 * * * *", at(2026, 12, 6, 10, 0)), "2026-12-06T11:00");
  EXPECT_EQ(next_of("0 * * * *", at(2026, 12, 6, 10, 59)), "2026-12-06T11:00");
  EXPECT_EQ(next_of("*/15 * * * *", at(2026, 12, 6, 10, 7)),
            "2026-12-06T10:15");
  EXPECT_EQ(next_of("*/15 * * * *", at(2026, 12, 6, 23, 45)),
            "2026-12-07T00:00");
  EXPECT_EQ(next_of("10-20/5 * * * *", at(2026, 12, 6, 10, 20)),
            "2026-12-06T11:10");
  EXPECT_EQ(next_of("* * * * *", at(2026, 12, 31, 23, 59)), "2027-01-01T00:00");
  EXPECT_EQ(next_of("0 0 1 1 *", at(2026, 1, 1, 0, 0)), "2027-01-01T00:00");
  EXPECT_EQ(next_of("0 0 * jun *", at(2026, 12, 6, 0, 0)), "2027-06-01T00:00");
  EXPECT_EQ(next_of("0 0 31 * *", at(2026, 1, 31, 0, 0)), "2026-03-31T00:00")
      << "months without a 31st are skipped";
}

TEST(cron_next, february_29th_comes_with_leap_years_and_30th_never) {
  EXPECT_EQ(next_of("0 0 29 2 *", at(2025, 3, 1, 0, 0)), "2028-02-29T00:00");
  EXPECT_EQ(next_of("0 0 29 2 *", at(2096, 3, 1, 0, 0)), "2104-02-29T00:00")
      << "2100 is not a leap year";
  EXPECT_EQ(next_of("0 0 30 2 *", at(2026, 1, 1, 0, 0)), "never");
  EXPECT_EQ(next_of("0 0 31 4,6,9,11 *", at(2026, 1, 1, 0, 0)), "never");
}

TEST(cron_next, both_day_fields_restricted_match_either) {
  // 2026-12-01 is a Tuesday: the 1st, then every Monday, then the next 1st.
  auto e = expr("0 0 1 * mon");
  civil_minute m = at(2026, 11, 30, 12, 0);
  std::vector<std::string> got;
  for (int i = 0; i < 7; ++i) {
    auto n = e.next(m);
    ASSERT_TRUE(n);
    got.push_back(to_string(*n));
    m = *n;
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "2026-12-01T00:00", "2026-12-07T00:00", "2026-12-14T00:00",
                     "2026-12-21T00:00", "2026-12-28T00:00", "2027-01-01T00:00",
                     "2027-01-04T00:00"}));
  // One restricted day field: both must hold (every Monday, any day).
  EXPECT_EQ(next_of("0 0 * * mon", at(2026, 12, 1, 0, 0)), "2026-12-07T00:00");
  EXPECT_EQ(next_of("0 0 13 * *", at(2026, 12, 1, 0, 0)), "2026-12-13T00:00");
  // Friday the 13th needs a filter on top: cron's OR gives every Friday too.
  EXPECT_EQ(next_of("0 0 13 * fri", at(2026, 12, 1, 0, 0)), "2026-12-04T00:00");
}

TEST(cron_next, agrees_with_a_minute_by_minute_scan) {
  // For each expression and random start minutes, next() is the first
  // minute a brute-force scan of matches() finds.
  const char* exprs[] = {"* * * * *",       "*/7 * * * *",     "0 */3 * * *",
                         "5,35 9-17 * * *", "0 0 * * 1-5",     "0 12 1,15 * *",
                         "0 0 1 * mon",     "59 23 31 12 *",   "*/20 1 * 2 *",
                         "0 0 28-31 * *",   "0 6 * * sat,sun", "@hourly"};
  std::mt19937 rng{20261206};
  std::uniform_int_distribution<int> year{2024, 2028};
  std::uniform_int_distribution<unsigned> month{1, 12}, day{1, 28}, hour{0, 23},
      minute{0, 59};
  for (const char* text : exprs) {
    auto e = expr(text);
    for (int k = 0; k < 40; ++k) {
      civil_minute start =
          at(year(rng), month(rng), day(rng), hour(rng), minute(rng));
      auto n = e.next(start);
      ASSERT_TRUE(n) << text;
      ASSERT_GT(*n, start) << text;
      ASSERT_TRUE(e.matches(*n)) << text << " " << to_string(*n);
      // Nothing matches in between (scan at most 62 days, else spot-check).
      civil_minute m = plus_minute(start);
      for (int i = 0; i < 62 * 24 * 60 && m < *n; ++i, m = plus_minute(m))
        ASSERT_FALSE(e.matches(m))
            << text << ": " << to_string(m) << " matches before "
            << to_string(*n) << " (from " << to_string(start) << ")";
    }
  }
}

TEST(cron_match, checks_every_field) {
  auto e = expr("30 9 15 6 *");
  EXPECT_TRUE(e.matches(at(2026, 6, 15, 9, 30)));
  EXPECT_FALSE(e.matches(at(2026, 6, 15, 9, 31)));
  EXPECT_FALSE(e.matches(at(2026, 6, 15, 10, 30)));
  EXPECT_FALSE(e.matches(at(2026, 6, 16, 9, 30)));
  EXPECT_FALSE(e.matches(at(2026, 7, 15, 9, 30)));
  EXPECT_FALSE(expr("* * * * *").matches(at(2026, 2, 30, 0, 0)))
      << "not a date";
}

} // namespace
} // namespace herald::flow

#include "runtime/flow/schedule.hpp"

#include <gtest/gtest.h>

#include "runtime/errc.hpp"
#include "runtime/time_format.hpp"

// Instants are written as RFC 3339 UTC literals, computed by hand from the
// zones' rules for 2026:
//   Europe/Berlin     CET  = UTC+1, CEST = UTC+2;
//                     2026-03-29 02:00 CET → 03:00 CEST at 01:00Z,
//                     2026-10-25 03:00 CEST → 02:00 CET at 01:00Z.
//   America/New_York  EST  = UTC-5, EDT  = UTC-4;
//                     2026-03-08 02:00 EST → 03:00 EDT at 07:00Z,
//                     2026-11-01 02:00 EDT → 01:00 EST at 06:00Z.
// All four days are Sundays.

namespace herald::flow {
namespace {

constexpr int64_t sec = 1'000'000'000;

int64_t at(std::string_view rfc3339) {
  auto t = runtime::parse_rfc3339(rfc3339);
  EXPECT_TRUE(t) << rfc3339;
  return t.value_or(0);
}

std::string utc(int64_t ns) {
  return runtime::format_rfc3339(ns);
}

schedule make(std::optional<std::string> cron, std::optional<std::string> every,
              const std::string& tz = "UTC") {
  auto s = schedule::parse(cron, every, tz);
  EXPECT_TRUE(s) << cron.value_or("") << every.value_or("") << " " << tz << ": "
                 << (s ? "" : runtime::describe(s.error()).message);
  return s ? *s : *schedule::parse("* * * * *", std::nullopt);
}

schedule cron(const std::string& expr, const std::string& tz = "UTC") {
  return make(expr, std::nullopt, tz);
}

schedule every(const std::string& period, const std::string& tz = "UTC") {
  return make(std::nullopt, period, tz);
}

std::string next_of(const schedule& s, std::string_view after) {
  auto n = s.next(at(after));
  return n ? utc(*n) : "never";
}

/// The fires in [from, to], through preview.
std::vector<std::string> fires(const schedule& s, std::string_view from,
                               std::string_view to) {
  std::vector<std::string> out;
  for (auto t : s.preview(at(from), 2000))
    if (t <= at(to))
      out.push_back(utc(t));
  return out;
}

std::vector<std::string> texts(const std::vector<int64_t>& ts) {
  std::vector<std::string> out;
  for (auto t : ts)
    out.push_back(utc(t));
  return out;
}

using strings = std::vector<std::string>;

// -- parse ------------------------------------------------------------------

runtime::api_error refusal(std::optional<std::string> cron,
                           std::optional<std::string> every,
                           const std::string& tz = "UTC") {
  auto s = schedule::parse(cron, every, tz);
  EXPECT_FALSE(s) << cron.value_or("") << every.value_or("") << " " << tz;
  return s ? runtime::api_error{} : runtime::describe(s.error());
}

TEST(schedule_parse, keeps_what_was_given) {
  auto c = cron("0 * * * *", "Europe/Berlin");
  EXPECT_TRUE(c.is_cron());
  ASSERT_TRUE(c.cron());
  EXPECT_EQ(c.cron()->text(), "0 * * * *");
  EXPECT_FALSE(c.every());
  EXPECT_EQ(c.timezone(), "Europe/Berlin");
  auto e = every("90s");
  EXPECT_FALSE(e.is_cron());
  EXPECT_EQ(e.every(), millis{90'000});
  EXPECT_EQ(e.timezone(), "UTC");
  for (const char* tz : {"UTC", "Etc/UTC", "Etc/GMT+5", "Asia/Kolkata",
                         "America/Argentina/Buenos_Aires", "EST5EDT"})
    EXPECT_EQ(cron("@daily", tz).timezone(), tz);
}

TEST(schedule_parse, refuses_unknown_zones) {
  for (const char* tz :
       {"Mars/Olympus_Mons", "", "Europe/Berlin ", "europe/berlin",
        "Europe//Berlin", "Europe/", "/Europe/Berlin", "../etc/passwd",
        "/usr/share/zoneinfo/Europe/Berlin", "localtime", "right/Europe/Berlin",
        "Europe/../Europe/Berlin", "CEST", "UTC+1", "EST5EDT,M3.2.0,M11.1.0"}) {
    auto e = refusal("0 * * * *", std::nullopt, tz);
    EXPECT_EQ(e.code, runtime::errc::invalid_field) << tz;
    EXPECT_EQ(e.field, "/timezone") << tz;
    EXPECT_NE(e.message.find("unknown time zone"), std::string::npos) << tz;
    // Also for every (where the zone is not used, but a typo is a typo).
    EXPECT_EQ(refusal(std::nullopt, "1h", tz).field, "/timezone") << tz;
  }
}

TEST(schedule_parse, wants_exactly_one_of_cron_and_every) {
  auto both = refusal("0 * * * *", "1h");
  EXPECT_EQ(both.code, runtime::errc::invalid_field);
  EXPECT_EQ(both.field, "/cron");
  EXPECT_NE(both.message.find("not both"), std::string::npos);
  auto neither = refusal(std::nullopt, std::nullopt);
  EXPECT_EQ(neither.code, runtime::errc::missing_field);
  EXPECT_EQ(neither.field, "/cron");
}

TEST(schedule_parse, passes_on_cron_errors) {
  auto e = refusal("0 24 * * *", std::nullopt);
  EXPECT_EQ(e.code, runtime::errc::invalid_field);
  EXPECT_EQ(e.field, "/cron");
  EXPECT_NE(e.message.find("hour: 24 is outside 0-23"), std::string::npos);
  EXPECT_EQ(refusal("", std::nullopt).field, "/cron");
}

TEST(schedule_parse, refuses_bad_every) {
  struct bad_case {
    const char* every;
    const char* says;
  };
  const bad_case cases[] = {
      {"0s", "under the minimum, 1s"},
      {"0ms", "under the minimum"},
      {"999ms", "under the minimum"},
      {"500ms", "under the minimum"},
      {"1500ms", "not a whole number of seconds"},
      {"1m1ms", "not a whole number of seconds"},
      {"1.5s", "fractions"},
      {"abc", "a number is missing"},
      {"", "empty"},
      {"-1s", "sign"},
      {"90", "unit is missing"},
      {"401d", "over 400 days"},
  };
  for (const auto& c : cases) {
    auto e = refusal(std::nullopt, c.every);
    EXPECT_EQ(e.code, runtime::errc::invalid_field) << c.every;
    EXPECT_EQ(e.field, "/every") << c.every;
    EXPECT_NE(e.message.find(c.says), std::string::npos)
        << c.every << ": " << e.message;
  }
  EXPECT_EQ(every("1000ms").every(), millis{1000});
  EXPECT_EQ(every("1s").every(), min_every);
  EXPECT_EQ(every("400d").every(), millis{400LL * 86'400'000});
}

TEST(schedule_catch_up, parses_and_prints_the_three_policies) {
  for (auto p :
       {catch_up_policy::none, catch_up_policy::once, catch_up_policy::all}) {
    auto back = parse_catch_up(to_string(p), "/catch_up");
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, p);
  }
  EXPECT_EQ(to_string(catch_up_policy::once), "once");
  for (const char* bad : {"", "None", "twice", "all "}) {
    auto p = parse_catch_up(bad, "/catch_up");
    ASSERT_FALSE(p) << bad;
    auto e = runtime::describe(p.error());
    EXPECT_EQ(e.code, runtime::errc::invalid_field);
    EXPECT_EQ(e.field, "/catch_up");
    EXPECT_NE(e.message.find("\"none\", \"once\" or \"all\""),
              std::string::npos);
  }
}

// -- UTC --------------------------------------------------------------------

TEST(schedule_utc, next_is_strictly_after_to_the_nanosecond) {
  auto s = cron("*/15 * * * *");
  EXPECT_EQ(next_of(s, "2026-01-01T10:07:30.5Z"), "2026-01-01T10:15:00Z");
  EXPECT_EQ(next_of(s, "2026-01-01T10:14:59.999999999Z"),
            "2026-01-01T10:15:00Z");
  EXPECT_EQ(next_of(s, "2026-01-01T10:15:00Z"), "2026-01-01T10:30:00Z");
  EXPECT_EQ(next_of(s, "2026-01-01T10:15:00.000000001Z"),
            "2026-01-01T10:30:00Z");
  EXPECT_EQ(next_of(s, "2026-12-31T23:45:00Z"), "2027-01-01T00:00:00Z");
}

TEST(schedule_utc, preview_starts_at_or_after_from) {
  auto s = cron("0 * * * *");
  EXPECT_EQ(texts(s.preview(at("2026-01-01T10:00:00Z"), 2)),
            (strings{"2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z"}));
  EXPECT_EQ(texts(s.preview(at("2026-01-01T10:00:00.000000001Z"), 1)),
            (strings{"2026-01-01T11:00:00Z"}));
  EXPECT_EQ(texts(s.preview(at("2026-01-01T09:59:59.999Z"), 1)),
            (strings{"2026-01-01T10:00:00Z"}));
  EXPECT_TRUE(s.preview(at("2026-01-01T10:00:00Z"), 0).empty());
  // Working days at nine (2026-01-02 is a Friday).
  EXPECT_EQ(
      texts(cron("0 9 * * mon-fri").preview(at("2026-01-02T00:00:00Z"), 3)),
      (strings{"2026-01-02T09:00:00Z", "2026-01-05T09:00:00Z",
               "2026-01-06T09:00:00Z"}));
}

TEST(schedule_utc, macros_and_rare_days) {
  EXPECT_EQ(next_of(cron("@yearly"), "2026-06-01T00:00:00Z"),
            "2027-01-01T00:00:00Z");
  EXPECT_EQ(next_of(cron("@monthly"), "2026-01-31T12:00:00Z"),
            "2026-02-01T00:00:00Z");
  EXPECT_EQ(next_of(cron("@weekly"), "2026-01-01T00:00:00Z"),
            "2026-01-04T00:00:00Z");
  EXPECT_EQ(next_of(cron("0 12 29 2 *"), "2026-01-01T00:00:00Z"),
            "2028-02-29T12:00:00Z");
  auto never = cron("0 0 30 2 *");
  EXPECT_FALSE(never.next(at("2026-01-01T00:00:00Z")));
  EXPECT_TRUE(never.preview(at("2026-01-01T00:00:00Z"), 10).empty());
  size_t skipped = 7;
  EXPECT_TRUE(never
                  .missed(at("2000-01-01T00:00:00Z"),
                          at("2026-01-01T00:00:00Z"), catch_up_policy::all,
                          &skipped)
                  .empty());
  EXPECT_EQ(skipped, 0u);
}

TEST(schedule_utc, a_fixed_offset_zone_shifts_every_fire) {
  // Etc/GMT+5 is UTC-5 all year (POSIX sign).
  EXPECT_EQ(next_of(cron("30 2 * * *", "Etc/GMT+5"), "2026-03-08T00:00:00Z"),
            "2026-03-08T07:30:00Z");
  EXPECT_EQ(next_of(cron("0 0 * * *", "Asia/Kolkata"), "2026-01-01T00:00:00Z"),
            "2026-01-01T18:30:00Z");
}

TEST(schedule_utc, a_default_schedule_never_fires) {
  schedule s;
  EXPECT_FALSE(s.next(0));
  EXPECT_TRUE(s.preview(0, 3).empty());
  EXPECT_TRUE(s.missed(0, 1000 * sec, catch_up_policy::all).empty());
}

// -- every ------------------------------------------------------------------

TEST(schedule_every, is_aligned_to_the_unix_epoch) {
  auto s = every("90s");
  // 2026-01-01T00:00:00Z is 1767225600 s, a multiple of 90.
  EXPECT_EQ(next_of(s, "2026-01-01T00:00:00Z"), "2026-01-01T00:01:30Z");
  EXPECT_EQ(next_of(s, "2026-01-01T00:00:10Z"), "2026-01-01T00:01:30Z");
  EXPECT_EQ(next_of(s, "2026-01-01T00:01:29.999999999Z"),
            "2026-01-01T00:01:30Z");
  EXPECT_EQ(texts(s.preview(at("2026-01-01T00:00:00Z"), 4)),
            (strings{"2026-01-01T00:00:00Z", "2026-01-01T00:01:30Z",
                     "2026-01-01T00:03:00Z", "2026-01-01T00:04:30Z"}));
  // 1767225600 mod 660 = 360: the 11-minute grid runs 23:54, 00:05, 00:16.
  EXPECT_EQ(texts(every("11m").preview(at("2026-01-01T00:00:00Z"), 2)),
            (strings{"2026-01-01T00:05:00Z", "2026-01-01T00:16:00Z"}));
  // Whole UTC hours, whatever the zone.
  EXPECT_EQ(
      texts(every("1h", "Asia/Kolkata").preview(at("2026-01-01T10:20:30Z"), 3)),
      (strings{"2026-01-01T11:00:00Z", "2026-01-01T12:00:00Z",
               "2026-01-01T13:00:00Z"}));
  // And across a DST change: elapsed time, not local time.
  EXPECT_EQ(fires(every("1h", "Europe/Berlin"), "2026-03-29T00:00:00Z",
                  "2026-03-29T02:00:00Z"),
            (strings{"2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z",
                     "2026-03-29T02:00:00Z"}));
  // Before the epoch too.
  EXPECT_EQ(every("1h").next(-1), 0);
  EXPECT_EQ(every("1h").next(-3600 * sec - 1), -3600 * sec);
  EXPECT_EQ(every("1h").next(-3600 * sec), 0);
}

TEST(schedule_every, previews_do_not_depend_on_where_they_start) {
  auto a = every("7s").preview(at("2026-01-01T00:00:00Z"), 50);
  auto b = every("7s").preview(at("2026-01-01T00:00:03Z"), 50);
  ASSERT_EQ(a.size(), 50u);
  ASSERT_EQ(b.size(), 50u);
  EXPECT_EQ(std::vector<int64_t>(a.begin() + 1, a.end()),
            std::vector<int64_t>(b.begin(), b.end() - 1));
  for (auto t : a)
    EXPECT_EQ(t % (7 * sec), 0);
  // Chaining next() gives the preview.
  int64_t t = at("2026-01-01T00:00:00Z") - 1;
  for (auto p : a) {
    t = *every("7s").next(t);
    EXPECT_EQ(t, p);
  }
}

TEST(schedule_every, stops_at_the_end_of_int64_time) {
  auto s = every("400d");
  EXPECT_FALSE(s.next(std::numeric_limits<int64_t>::max()));
  auto tail = s.preview(at("2262-01-01T00:00:00Z"), 10);
  EXPECT_LE(tail.size(), 1u);
}

// -- Europe/Berlin ----------------------------------------------------------

TEST(schedule_berlin, fixed_time_daily_fires_once_per_local_day) {
  auto s = cron("30 2 * * *", "Europe/Berlin");
  EXPECT_TRUE(s.cron()->fixed_time());
  // Spring: 02:30 does not exist on the 29th → once, at the transition.
  EXPECT_EQ(fires(s, "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z"),
            (strings{"2026-03-27T01:30:00Z", "2026-03-28T01:30:00Z",
                     "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
  // Autumn: 02:30 happens twice on the 25th → its first (CEST) occurrence.
  EXPECT_EQ(fires(s, "2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z"),
            (strings{"2026-10-23T00:30:00Z", "2026-10-24T00:30:00Z",
                     "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}));
  // The second 02:30 (01:30Z) is not a fire, nor the answer after the first.
  EXPECT_EQ(next_of(s, "2026-10-25T00:30:00Z"), "2026-10-26T01:30:00Z");
  EXPECT_EQ(next_of(s, "2026-10-25T01:15:00Z"), "2026-10-26T01:30:00Z");
  EXPECT_EQ(next_of(s, "2026-03-29T00:59:59Z"), "2026-03-29T01:00:00Z");
  EXPECT_EQ(next_of(s, "2026-03-29T01:00:00Z"), "2026-03-30T00:30:00Z");
}

TEST(schedule_berlin, several_minutes_of_one_gap_fire_once) {
  // 02:00 and 02:30 are both skipped; 03:00 exists and is the transition
  // instant itself: one fire at 01:00Z, then 03:30 CEST.
  auto s = cron("0,30 2,3 * * *", "Europe/Berlin");
  EXPECT_EQ(fires(s, "2026-03-28T23:00:00Z", "2026-03-29T23:00:00Z"),
            (strings{"2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"}));
  // Every minute of 02:xx: the whole hour is one gap.
  auto hour = cron("0-59 2 * * *", "Europe/Berlin");
  EXPECT_TRUE(hour.cron()->fixed_time());
  auto spring = fires(hour, "2026-03-28T23:00:00Z", "2026-03-30T00:01:00Z");
  EXPECT_EQ(spring, (strings{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z",
                             "2026-03-30T00:01:00Z"}));
  // Autumn: sixty fires in the first 02:xx (00:00Z-00:59Z), none in the
  // second (01:00Z-01:59Z).
  auto autumn = fires(hour, "2026-10-24T23:00:00Z", "2026-10-25T23:00:00Z");
  ASSERT_EQ(autumn.size(), 60u);
  EXPECT_EQ(autumn.front(), "2026-10-25T00:00:00Z");
  EXPECT_EQ(autumn.back(), "2026-10-25T00:59:00Z");
}

TEST(schedule_berlin, hourly_follows_real_time) {
  // Local 00:00, 01:00, (02:00 skipped), 03:00, 04:00: hourly in UTC.
  auto s = cron("0 * * * *", "Europe/Berlin");
  EXPECT_FALSE(s.cron()->fixed_time());
  EXPECT_EQ(fires(s, "2026-03-28T23:00:00Z", "2026-03-29T02:00:00Z"),
            (strings{"2026-03-28T23:00:00Z", "2026-03-29T00:00:00Z",
                     "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"}));
  // Local 01:00, 02:00 CEST, 02:00 CET, 03:00: 02:00 fires twice.
  EXPECT_EQ(fires(s, "2026-10-24T23:00:00Z", "2026-10-25T02:00:00Z"),
            (strings{"2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z",
                     "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"}));
  EXPECT_EQ(fires(cron("@hourly", "Europe/Berlin"), "2026-10-25T00:00:00Z",
                  "2026-10-25T01:00:00Z"),
            (strings{"2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z"}));
  // At 02:00 only, the expression is fixed-time: cronie's rule instead.
  auto two = cron("0 2 * * *", "Europe/Berlin");
  EXPECT_TRUE(two.cron()->fixed_time());
  EXPECT_EQ(fires(two, "2026-03-28T23:00:00Z", "2026-03-29T23:00:00Z"),
            (strings{"2026-03-29T01:00:00Z"}));
  EXPECT_EQ(fires(two, "2026-10-24T23:00:00Z", "2026-10-25T23:00:00Z"),
            (strings{"2026-10-25T00:00:00Z"}));
}

TEST(schedule_berlin, every_quarter_hour_follows_real_time) {
  auto s = cron("*/15 * * * *", "Europe/Berlin");
  // 01:45 CET, then 03:00 CEST: fifteen real minutes apart.
  EXPECT_EQ(fires(s, "2026-03-29T00:30:00Z", "2026-03-29T01:15:00Z"),
            (strings{"2026-03-29T00:30:00Z", "2026-03-29T00:45:00Z",
                     "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z"}));
  // 02:00-02:45 CEST, then 02:00-02:45 CET again.
  EXPECT_EQ(fires(s, "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z"),
            (strings{"2026-10-25T00:00:00Z", "2026-10-25T00:15:00Z",
                     "2026-10-25T00:30:00Z", "2026-10-25T00:45:00Z",
                     "2026-10-25T01:00:00Z", "2026-10-25T01:15:00Z",
                     "2026-10-25T01:30:00Z", "2026-10-25T01:45:00Z",
                     "2026-10-25T02:00:00Z"}));
  // Inside the repeated hour, next() goes on in real time: from the first
  // 02:50 to the second 02:00.
  EXPECT_EQ(next_of(s, "2026-10-25T00:50:00Z"), "2026-10-25T01:00:00Z");
  // A non-fixed expression over the repeated hour only.
  auto only = cron("*/30 2 * * *", "Europe/Berlin");
  EXPECT_FALSE(only.cron()->fixed_time());
  EXPECT_EQ(fires(only, "2026-10-24T23:00:00Z", "2026-10-25T23:00:00Z"),
            (strings{"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z",
                     "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z"}));
  EXPECT_TRUE(
      fires(only, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z").empty());
}

TEST(schedule_berlin, daily_and_weekly) {
  // Midnight exists on both days (Berlin changes at 02:00/03:00).
  auto daily = cron("@daily", "Europe/Berlin");
  EXPECT_EQ(fires(daily, "2026-03-28T00:00:00Z", "2026-03-30T23:59:00Z"),
            (strings{"2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z",
                     "2026-03-30T22:00:00Z"}));
  EXPECT_EQ(fires(daily, "2026-10-24T00:00:00Z", "2026-10-26T23:59:00Z"),
            (strings{"2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z",
                     "2026-10-26T23:00:00Z"}));
  // Sundays at 02:30: the DST Sundays get the transition and the first
  // occurrence.
  auto weekly = cron("30 2 * * sun", "Europe/Berlin");
  EXPECT_EQ(fires(weekly, "2026-03-20T00:00:00Z", "2026-04-06T00:00:00Z"),
            (strings{"2026-03-22T01:30:00Z", "2026-03-29T01:00:00Z",
                     "2026-04-05T00:30:00Z"}));
  EXPECT_EQ(fires(weekly, "2026-10-17T00:00:00Z", "2026-11-02T00:00:00Z"),
            (strings{"2026-10-18T00:30:00Z", "2026-10-25T00:30:00Z",
                     "2026-11-01T01:30:00Z"}));
  EXPECT_EQ(fires(cron("@weekly", "Europe/Berlin"), "2026-03-21T00:00:00Z",
                  "2026-04-06T00:00:00Z"),
            (strings{"2026-03-21T23:00:00Z", "2026-03-28T23:00:00Z",
                     "2026-04-04T22:00:00Z"}));
}

// -- America/New_York -------------------------------------------------------

TEST(schedule_new_york, fixed_time_daily_fires_once_per_local_day) {
  auto s = cron("30 2 * * *", "America/New_York");
  // Spring: 02:30 skipped on the 8th → at the transition, 07:00Z.
  EXPECT_EQ(fires(s, "2026-03-07T00:00:00Z", "2026-03-09T23:00:00Z"),
            (strings{"2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z",
                     "2026-03-09T06:30:00Z"}));
  // Autumn: New York repeats 01:00-01:59, so 02:30 is unique (EST).
  EXPECT_EQ(fires(s, "2026-10-31T00:00:00Z", "2026-11-02T23:00:00Z"),
            (strings{"2026-10-31T06:30:00Z", "2026-11-01T07:30:00Z",
                     "2026-11-02T07:30:00Z"}));
  // 01:30 is the repeated one: its first (EDT) occurrence only.
  auto rep = cron("30 1 * * *", "America/New_York");
  EXPECT_EQ(fires(rep, "2026-10-31T00:00:00Z", "2026-11-02T23:00:00Z"),
            (strings{"2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z",
                     "2026-11-02T06:30:00Z"}));
  EXPECT_EQ(next_of(rep, "2026-11-01T05:30:00Z"), "2026-11-02T06:30:00Z");
  EXPECT_EQ(fires(rep, "2026-03-07T00:00:00Z", "2026-03-09T23:00:00Z"),
            (strings{"2026-03-07T06:30:00Z", "2026-03-08T06:30:00Z",
                     "2026-03-09T05:30:00Z"}));
}

TEST(schedule_new_york, hourly_and_quarter_hourly_follow_real_time) {
  auto hourly = cron("0 * * * *", "America/New_York");
  // 00:00 EST, 01:00 EST, (02:00 skipped), 03:00 EDT.
  EXPECT_EQ(fires(hourly, "2026-03-08T05:00:00Z", "2026-03-08T08:00:00Z"),
            (strings{"2026-03-08T05:00:00Z", "2026-03-08T06:00:00Z",
                     "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"}));
  // 00:00 EDT, 01:00 EDT, 01:00 EST, 02:00 EST.
  EXPECT_EQ(fires(hourly, "2026-11-01T04:00:00Z", "2026-11-01T07:00:00Z"),
            (strings{"2026-11-01T04:00:00Z", "2026-11-01T05:00:00Z",
                     "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"}));
  auto quarter = cron("*/15 * * * *", "America/New_York");
  EXPECT_EQ(fires(quarter, "2026-03-08T06:30:00Z", "2026-03-08T07:15:00Z"),
            (strings{"2026-03-08T06:30:00Z", "2026-03-08T06:45:00Z",
                     "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z"}));
  EXPECT_EQ(fires(quarter, "2026-11-01T05:30:00Z", "2026-11-01T06:15:00Z"),
            (strings{"2026-11-01T05:30:00Z", "2026-11-01T05:45:00Z",
                     "2026-11-01T06:00:00Z", "2026-11-01T06:15:00Z"}));
  // Only in the 1 a.m. hour: four a day, eight on the repeated day.
  auto one = cron("*/15 1 * * *", "America/New_York");
  EXPECT_EQ(fires(one, "2026-11-01T00:00:00Z", "2026-11-01T12:00:00Z"),
            (strings{"2026-11-01T05:00:00Z", "2026-11-01T05:15:00Z",
                     "2026-11-01T05:30:00Z", "2026-11-01T05:45:00Z",
                     "2026-11-01T06:00:00Z", "2026-11-01T06:15:00Z",
                     "2026-11-01T06:30:00Z", "2026-11-01T06:45:00Z"}));
  // Only in the 2 a.m. hour: none on the skipped day.
  EXPECT_TRUE(fires(cron("*/15 2 * * *", "America/New_York"),
                    "2026-03-08T05:00:00Z", "2026-03-09T04:59:00Z")
                  .empty());
}

TEST(schedule_new_york, daily_and_weekly) {
  auto daily = cron("@daily", "America/New_York");
  EXPECT_EQ(fires(daily, "2026-03-07T00:00:00Z", "2026-03-09T23:00:00Z"),
            (strings{"2026-03-07T05:00:00Z", "2026-03-08T05:00:00Z",
                     "2026-03-09T04:00:00Z"}));
  EXPECT_EQ(fires(daily, "2026-10-31T00:00:00Z", "2026-11-02T23:00:00Z"),
            (strings{"2026-10-31T04:00:00Z", "2026-11-01T04:00:00Z",
                     "2026-11-02T05:00:00Z"}));
  auto weekly = cron("30 2 * * 0", "America/New_York");
  EXPECT_EQ(fires(weekly, "2026-02-28T00:00:00Z", "2026-03-16T00:00:00Z"),
            (strings{"2026-03-01T07:30:00Z", "2026-03-08T07:00:00Z",
                     "2026-03-15T06:30:00Z"}));
  auto weekly_rep = cron("30 1 * * 0", "America/New_York");
  EXPECT_EQ(fires(weekly_rep, "2026-10-24T00:00:00Z", "2026-11-09T00:00:00Z"),
            (strings{"2026-10-25T05:30:00Z", "2026-11-01T05:30:00Z",
                     "2026-11-08T06:30:00Z"}));
}

// -- missed -----------------------------------------------------------------

TEST(schedule_missed, the_three_policies) {
  auto s = every("1h");
  const auto last = at("2026-01-01T00:30:00Z");
  const auto now = at("2026-01-01T05:10:00Z");
  size_t skipped = 99;
  EXPECT_TRUE(s.missed(last, now, catch_up_policy::none, &skipped).empty());
  EXPECT_EQ(skipped, 5u);
  EXPECT_EQ(texts(s.missed(last, now, catch_up_policy::once, &skipped)),
            (strings{"2026-01-01T05:00:00Z"}));
  EXPECT_EQ(skipped, 4u);
  EXPECT_EQ(texts(s.missed(last, now, catch_up_policy::all, &skipped)),
            (strings{"2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z",
                     "2026-01-01T03:00:00Z", "2026-01-01T04:00:00Z",
                     "2026-01-01T05:00:00Z"}));
  EXPECT_EQ(skipped, 0u);
  // Without a counter.
  EXPECT_EQ(s.missed(last, now, catch_up_policy::all).size(), 5u);
  EXPECT_EQ(s.missed(last, now, catch_up_policy::once).size(), 1u);
}

TEST(schedule_missed, the_range_is_open_below_and_closed_above) {
  auto s = cron("0 * * * *");
  size_t skipped = 99;
  EXPECT_EQ(
      texts(s.missed(at("2026-01-01T01:00:00Z"), at("2026-01-01T03:00:00Z"),
                     catch_up_policy::all, &skipped)),
      (strings{"2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"}));
  EXPECT_EQ(texts(s.missed(at("2026-01-01T01:00:00.5Z"),
                           at("2026-01-01T02:59:59.999Z"), catch_up_policy::all,
                           &skipped)),
            (strings{"2026-01-01T02:00:00Z"}));
  // Nothing missed.
  for (auto p :
       {catch_up_policy::none, catch_up_policy::once, catch_up_policy::all}) {
    skipped = 99;
    EXPECT_TRUE(s.missed(at("2026-01-01T01:00:00Z"), at("2026-01-01T01:59:59Z"),
                         p, &skipped)
                    .empty());
    EXPECT_EQ(skipped, 0u);
    skipped = 99;
    EXPECT_TRUE(s.missed(at("2026-01-01T05:00:00Z"), at("2026-01-01T01:00:00Z"),
                         p, &skipped)
                    .empty());
    EXPECT_EQ(skipped, 0u);
    EXPECT_TRUE(s.missed(at("2026-01-01T05:00:00Z"), at("2026-01-01T05:00:00Z"),
                         p, &skipped)
                    .empty());
  }
}

TEST(schedule_missed, all_keeps_the_latest_and_counts_the_rest) {
  // Two days of minutes: 2880 missed, the latest 1000 returned.
  auto s = cron("* * * * *", "Europe/Berlin");
  size_t skipped = 0;
  auto got = s.missed(at("2026-01-01T00:00:00Z"), at("2026-01-03T00:00:30Z"),
                      catch_up_policy::all, &skipped);
  ASSERT_EQ(got.size(), max_catch_up);
  EXPECT_EQ(skipped, 2880u - max_catch_up);
  EXPECT_EQ(utc(got.back()), "2026-01-03T00:00:00Z");
  EXPECT_EQ(utc(got.front()), "2026-01-02T07:21:00Z"); // 999 minutes before
  for (size_t i = 1; i < got.size(); ++i)
    EXPECT_EQ(got[i] - got[i - 1], 60 * sec);
  // Exactly max_catch_up: all, none skipped.
  got = s.missed(at("2026-01-01T00:00:00Z"),
                 at("2026-01-01T00:00:00Z") + 1000 * 60 * sec,
                 catch_up_policy::all, &skipped);
  EXPECT_EQ(got.size(), max_catch_up);
  EXPECT_EQ(skipped, 0u);
}

TEST(schedule_missed, a_daily_job_catches_up_once_per_local_day) {
  // The whole of 2026 in Berlin: 365 fires, one of them at the spring
  // transition and one at the first 02:30 of the autumn day.
  auto s = cron("30 2 * * *", "Europe/Berlin");
  size_t skipped = 0;
  auto got = s.missed(at("2025-12-31T23:00:00Z"), at("2026-12-31T23:00:00Z"),
                      catch_up_policy::all, &skipped);
  ASSERT_EQ(got.size(), 365u);
  EXPECT_EQ(skipped, 0u);
  EXPECT_EQ(utc(got.front()), "2026-01-01T01:30:00Z");
  EXPECT_EQ(utc(got[87]), "2026-03-29T01:00:00Z");
  EXPECT_EQ(utc(got[297]), "2026-10-25T00:30:00Z");
  EXPECT_EQ(utc(got.back()), "2026-12-31T01:30:00Z");
  // Hourly in local time is 8760 real hours: skipped and doubled hours
  // cancel out.
  auto hourly = cron("0 * * * *", "Europe/Berlin");
  got = hourly.missed(at("2025-12-31T23:00:00Z"), at("2026-12-31T23:00:00Z"),
                      catch_up_policy::all, &skipped);
  ASSERT_EQ(got.size(), max_catch_up);
  EXPECT_EQ(skipped, 8760u - max_catch_up);
  EXPECT_EQ(utc(got.back()), "2026-12-31T23:00:00Z");
  EXPECT_EQ(utc(got.front()), "2026-11-20T08:00:00Z"); // 999 h before
}

TEST(schedule_missed, starting_next_to_a_transition) {
  size_t skipped = 99;
  // Down from the second pass through 02:xx (02:20 CET) on: that hour's
  // minutes already fired in its first pass, so nothing is missed.
  auto hour = cron("0-59 2 * * *", "Europe/Berlin");
  EXPECT_TRUE(hour.missed(at("2026-10-25T01:20:00Z"),
                          at("2026-10-26T00:59:00Z"), catch_up_policy::all,
                          &skipped)
                  .empty());
  EXPECT_EQ(skipped, 0u);
  EXPECT_TRUE(hour.missed(at("2026-10-25T01:20:00Z"),
                          at("2026-10-26T01:00:00Z"), catch_up_policy::none,
                          &skipped)
                  .empty());
  EXPECT_EQ(skipped, 1u); // 02:00 CET on the 26th
  // Down from a second before the spring transition: its gap fire counts.
  auto daily = cron("30 2 * * *", "Europe/Berlin");
  EXPECT_EQ(
      texts(daily.missed(at("2026-03-29T00:59:59Z"), at("2026-03-31T00:00:00Z"),
                         catch_up_policy::all, &skipped)),
      (strings{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
  EXPECT_EQ(skipped, 0u);
  EXPECT_TRUE(daily
                  .missed(at("2026-03-29T00:59:59Z"),
                          at("2026-03-31T00:00:00Z"), catch_up_policy::none,
                          &skipped)
                  .empty());
  EXPECT_EQ(skipped, 2u);
  // Real time: the repeated 02:xx fires again after the transition.
  auto quarter = cron("*/15 2 * * *", "Europe/Berlin");
  EXPECT_EQ(texts(quarter.missed(at("2026-10-25T00:59:59Z"),
                                 at("2026-10-25T02:00:00Z"),
                                 catch_up_policy::all, &skipped)),
            (strings{"2026-10-25T01:00:00Z", "2026-10-25T01:15:00Z",
                     "2026-10-25T01:30:00Z", "2026-10-25T01:45:00Z"}));
}

TEST(schedule_missed, huge_ranges_are_not_walked_one_by_one) {
  // A year of `every 1s` (31,536,000 instants) and 56 years of minutes:
  // these return at once (the test would take many seconds otherwise).
  auto s = every("1s");
  const auto last = at("2025-01-01T00:00:00Z");
  const auto now = at("2026-01-01T00:00:00.7Z");
  size_t skipped = 0;
  EXPECT_EQ(texts(s.missed(last, now, catch_up_policy::once, &skipped)),
            (strings{"2026-01-01T00:00:00Z"}));
  EXPECT_EQ(skipped, 365u * 86400 - 1);
  auto all = s.missed(last, now, catch_up_policy::all, &skipped);
  ASSERT_EQ(all.size(), max_catch_up);
  EXPECT_EQ(skipped, 365u * 86400 - max_catch_up);
  EXPECT_EQ(utc(all.front()), "2025-12-31T23:43:21Z");
  EXPECT_EQ(utc(all.back()), "2026-01-01T00:00:00Z");
  EXPECT_TRUE(s.missed(last, now, catch_up_policy::none, &skipped).empty());
  EXPECT_EQ(skipped, 365u * 86400);

  auto minutes = cron("* * * * *", "America/New_York");
  const auto since = at("1970-01-01T00:00:00Z");
  const auto until = at("2026-01-01T00:00:00Z");
  const size_t total = 20454u * 1440; // days from 1970 to 2026, in minutes
  EXPECT_EQ(
      texts(minutes.missed(since, until, catch_up_policy::once, &skipped)),
      (strings{"2026-01-01T00:00:00Z"}));
  EXPECT_EQ(skipped, total - 1);
  all = minutes.missed(since, until, catch_up_policy::all, &skipped);
  ASSERT_EQ(all.size(), max_catch_up);
  EXPECT_EQ(skipped, total - max_catch_up);
  EXPECT_EQ(utc(all.front()), "2025-12-31T07:21:00Z");
  // A sparse one: the latest is found without stepping a year at a time.
  auto yearly = cron("@yearly", "America/New_York");
  EXPECT_EQ(texts(yearly.missed(since, until, catch_up_policy::once, &skipped)),
            (strings{"2025-01-01T05:00:00Z"}));
  EXPECT_EQ(skipped, 55u); // 1970 … 2024
}

TEST(schedule_missed, once_in_a_sparse_window) {
  // Minutes of January only; now is in June: the latest is Jan 31 23:59.
  auto s = cron("* * * 1 *");
  size_t skipped = 0;
  EXPECT_EQ(
      texts(s.missed(at("2025-06-01T00:00:00Z"), at("2026-06-01T00:00:00Z"),
                     catch_up_policy::once, &skipped)),
      (strings{"2026-01-31T23:59:00Z"}));
  EXPECT_EQ(skipped, 31u * 1440 - 1);
}

// -- cost -------------------------------------------------------------------

TEST(schedule_cost, preview_of_every_minute_is_a_thousand_steps) {
  auto s = cron("* * * * *", "Europe/Berlin");
  auto got = s.preview(at("2026-10-25T00:00:00Z"), 1000);
  ASSERT_EQ(got.size(), 1000u);
  for (size_t i = 1; i < got.size(); ++i)
    ASSERT_EQ(got[i] - got[i - 1], 60 * sec) << i;
  // Ten thousand schedules, next() for each.
  std::vector<schedule> many;
  for (int i = 0; i < 10'000; ++i)
    many.push_back(cron(std::to_string(i % 60) + " * * * *",
                        i % 2 ? "Europe/Berlin" : "America/New_York"));
  int64_t sum = 0;
  for (const auto& m : many)
    sum += *m.next(at("2026-03-08T06:59:30Z")) / sec % 3600;
  EXPECT_GT(sum, 0);
}

} // namespace
} // namespace herald::flow

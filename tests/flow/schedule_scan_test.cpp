// schedule against a brute-force scan: every minute of 2026 in Berlin and
// New York, with the zones' 2026 rules written out here (not read from the
// zone database) and cronie's rule applied independently of schedule.cpp:
// walk real time a minute at a time and decide from the local time alone.

#include "runtime/flow/schedule.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include <gtest/gtest.h>

#include "runtime/time_format.hpp"

namespace herald::flow {
namespace {

namespace chr = std::chrono;

constexpr int64_t sec = 1'000'000'000;

int64_t at_s(std::string_view rfc3339) {
  return *runtime::parse_rfc3339(rfc3339) / sec;
}

/// A zone as two offsets and the UTC instants (seconds) of its 2026 DST.
struct zone_rules {
  const char* name;
  int64_t standard;
  int64_t summer;
  int64_t summer_from;
  int64_t summer_to;

  int64_t local(int64_t t) const {
    return t + (t >= summer_from && t < summer_to ? summer : standard);
  }
};

const zone_rules berlin{"Europe/Berlin", 3600, 7200,
                        at_s("2026-03-29T01:00:00Z"),
                        at_s("2026-10-25T01:00:00Z")};
const zone_rules new_york{"America/New_York", -5 * 3600, -4 * 3600,
                          at_s("2026-03-08T07:00:00Z"),
                          at_s("2026-11-01T06:00:00Z")};

const int64_t scan_from = at_s("2026-01-01T00:00:00Z");
const int64_t scan_to = at_s("2027-01-01T00:00:00Z");

civil_minute civil(int64_t local) {
  const auto days =
      chr::floor<chr::days>(chr::sys_seconds{chr::seconds{local}});
  const chr::year_month_day ymd{days};
  const int64_t in_day = local - days.time_since_epoch().count() * 86400;
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          static_cast<unsigned>(in_day / 3600),
          static_cast<unsigned>(in_day % 3600 / 60)};
}

/// Fire instants (seconds) in [scan_from, scan_to), minute by minute:
/// - real-time rule: the local time matches;
/// - fixed-time rule: the local time matches and was never seen before (its
///   first occurrence), or local time just jumped forward over a matching
///   minute (fire at the jump).
std::vector<int64_t> brute_force(const cron_expr& e, const zone_rules& z) {
  std::vector<int64_t> out;
  int64_t prev = z.local(scan_from - 60);
  int64_t highest = prev;
  for (int64_t t = scan_from; t < scan_to; t += 60) {
    const int64_t local = z.local(t);
    bool fire = e.matches(civil(local)) && (!e.fixed_time() || local > highest);
    if (e.fixed_time())
      for (int64_t gap = prev + 60; gap < local && !fire; gap += 60)
        fire = e.matches(civil(gap));
    if (fire)
      out.push_back(t);
    highest = std::max(highest, local);
    prev = local;
  }
  return out;
}

const char* const expressions[] = {
    "30 2 * * *",     "0 * * * *",    "*/15 * * * *",   "@daily",
    "30 2 * * 0",     "@weekly",      "0,30 2,3 * * *", "0-59 2 * * *",
    "30 1 * * *",     "* * * * *",    "*/7 1-3 * * *",  "0 2 * * *",
    "15 3 * * *",     "45 1,2 * * *", "@monthly",       "5 */2 * * *",
    "2-58/4 2 * * *", "59 1 * * sun", "0 0 1,15 3,11 *"};

class schedule_scan : public ::testing::TestWithParam<const zone_rules*> {};

TEST_P(schedule_scan, next_matches_a_minute_by_minute_scan) {
  const auto& z = *GetParam();
  std::mt19937_64 rng{42};
  for (const char* text : expressions) {
    SCOPED_TRACE(std::string{text} + " in " + z.name);
    auto s = schedule::parse(std::string{text}, std::nullopt, z.name);
    ASSERT_TRUE(s);
    const auto expected = brute_force(*s->cron(), z);
    ASSERT_FALSE(expected.empty());
    // Chained next() gives exactly the scan's instants.
    std::vector<int64_t> got;
    int64_t t = scan_from * sec - 1;
    while (true) {
      auto n = s->next(t);
      ASSERT_TRUE(n);
      ASSERT_GT(*n, t);
      if (*n >= scan_to * sec)
        break;
      got.push_back(*n / sec);
      t = *n;
    }
    ASSERT_EQ(got, expected);
    // next() from anywhere: around each transition, then at random.
    auto check = [&](int64_t x_ns) {
      auto it = std::upper_bound(
          expected.begin(), expected.end(), x_ns,
          [](int64_t x, int64_t fire) { return x < fire * sec; });
      if (it == expected.end())
        return;
      auto n = s->next(x_ns);
      ASSERT_TRUE(n) << runtime::format_rfc3339(x_ns);
      EXPECT_EQ(runtime::format_rfc3339(*n), runtime::format_rfc3339(*it * sec))
          << "after " << runtime::format_rfc3339(x_ns);
    };
    for (int64_t tr : {z.summer_from, z.summer_to})
      for (int64_t x = tr - 3 * 3600; x <= tr + 3 * 3600; x += 60) {
        check(x * sec);
        check(x * sec - 1);
        check(x * sec + 1);
        check((x + 29) * sec);
      }
    std::uniform_int_distribution<int64_t> anywhere(scan_from * sec,
                                                    (scan_to - 86400) * sec);
    for (int i = 0; i < 300; ++i)
      check(anywhere(rng));
    // preview is the same sequence.
    auto p = s->preview(expected.front() * sec, 1000);
    const size_t n = std::min<size_t>(1000, expected.size());
    ASSERT_GE(p.size(), n);
    for (size_t i = 0; i < n; ++i)
      EXPECT_EQ(p[i], expected[i] * sec);
  }
}

TEST_P(schedule_scan, missed_matches_the_scan) {
  const auto& z = *GetParam();
  std::mt19937_64 rng{7};
  for (const char* text : expressions) {
    SCOPED_TRACE(std::string{text} + " in " + z.name);
    auto s = schedule::parse(std::string{text}, std::nullopt, z.name);
    ASSERT_TRUE(s);
    const auto expected = brute_force(*s->cron(), z);
    std::uniform_int_distribution<int64_t> anywhere(scan_from, scan_to - 1);
    std::uniform_int_distribution<int> shape(0, 4);
    for (int i = 0; i < 100; ++i) {
      // Short windows (stepped), long ones (counted a day at a time), and
      // windows that start or end right at a transition or a fire.
      int64_t a = anywhere(rng);
      int64_t b = 0;
      switch (shape(rng)) {
      case 0:
        b = a + std::uniform_int_distribution<int64_t>(0, 2 * 86400)(rng);
        break;
      case 1:
        b = anywhere(rng);
        break;
      case 2:
        a = (i % 2 ? z.summer_from : z.summer_to) -
            std::uniform_int_distribution<int64_t>(0, 5 * 86400)(rng);
        b = a + std::uniform_int_distribution<int64_t>(0, 10 * 86400)(rng);
        break;
      case 3:
        // Starting inside a skipped or repeated hour, or a second before
        // the transition.
        a = (i % 2 ? z.summer_from : z.summer_to) +
            (i % 3 == 0 ? -1
                        : std::uniform_int_distribution<int64_t>(
                              -2 * 3600, 2 * 3600)(rng));
        b = a + std::uniform_int_distribution<int64_t>(0, 3 * 86400)(rng);
        break;
      default:
        a = expected[static_cast<size_t>(i) % expected.size()];
        b = expected[(static_cast<size_t>(i) * 7919) % expected.size()];
        break;
      }
      b = std::min(b, scan_to - 1);
      if (b < a)
        std::swap(a, b);
      const auto lo = std::upper_bound(expected.begin(), expected.end(), a);
      const auto hi = std::upper_bound(expected.begin(), expected.end(), b);
      const auto count = static_cast<size_t>(hi - lo);
      const std::string window = runtime::format_rfc3339(a * sec) + " .. " +
                                 runtime::format_rfc3339(b * sec);
      size_t skipped = 12345;
      EXPECT_TRUE(
          s->missed(a * sec, b * sec, catch_up_policy::none, &skipped).empty());
      EXPECT_EQ(skipped, count) << window;
      auto once = s->missed(a * sec, b * sec, catch_up_policy::once, &skipped);
      if (count == 0) {
        EXPECT_TRUE(once.empty()) << window;
        EXPECT_EQ(skipped, 0u) << window;
      } else {
        ASSERT_EQ(once.size(), 1u) << window;
        EXPECT_EQ(once[0], *(hi - 1) * sec) << window;
        EXPECT_EQ(skipped, count - 1) << window;
      }
      auto all = s->missed(a * sec, b * sec, catch_up_policy::all, &skipped);
      const size_t kept = std::min(count, max_catch_up);
      ASSERT_EQ(all.size(), kept) << window;
      EXPECT_EQ(skipped, count - kept) << window;
      for (size_t k = 0; k < kept; ++k)
        ASSERT_EQ(all[k], *(hi - static_cast<ptrdiff_t>(kept - k)) * sec)
            << window << " #" << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(zones, schedule_scan,
                         ::testing::Values(&berlin, &new_york),
                         [](const auto& info) {
                           return std::string{
                               info.param == &berlin ? "berlin" : "new_york"};
                         });

} // namespace
} // namespace herald::flow

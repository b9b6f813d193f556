#include "runtime/flow/schedule.hpp"

#include <algorithm>
#include <array>
#include <bitset>
#include <limits>

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include "runtime/errc.hpp"

namespace herald::flow {

struct schedule::zone {
  cctz::time_zone tz;
};

namespace {

// Everything below works in whole Unix seconds ("instants") and in "local
// seconds" (a zone's civil time counted from 1970-01-01T00:00 as if it were
// UTC): fire instants are whole seconds, and a fire in (x_ns, ...] is one
// in (floor(x_ns / 1e9), ...] in seconds.

using runtime::errc;
using sec_point = cctz::time_point<cctz::seconds>;

constexpr int64_t ns_per_s = 1'000'000'000;
constexpr int64_t day_s = 86'400;
constexpr uint64_t unlimited = std::numeric_limits<uint64_t>::max();
/// cron_expr's horizon: a schedule that does not fire within it never does.
constexpr int64_t horizon_s = 28 * 366 * day_s;
constexpr cctz::civil_second civil_epoch{1970, 1, 1, 0, 0, 0};

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0)))
    --q;
  return q;
}

sec_point point(int64_t s) {
  return sec_point{cctz::seconds{s}};
}
int64_t secs(sec_point p) {
  return p.time_since_epoch().count();
}
int64_t local_secs(const cctz::civil_second& cs) {
  return cs - civil_epoch;
}

civil_minute minute_of(const cctz::civil_second& cs) {
  return {static_cast<int>(cs.year()), static_cast<unsigned>(cs.month()),
          static_cast<unsigned>(cs.day()), static_cast<unsigned>(cs.hour()),
          static_cast<unsigned>(cs.minute())};
}

civil_minute minute_of_local(int64_t local) {
  return minute_of(civil_epoch + local);
}

int64_t local_secs(const civil_minute& m) {
  return local_secs(
      cctz::civil_second{m.year, m.month, m.day, m.hour, m.minute, 0});
}

std::optional<int64_t> to_ns(int64_t s) {
  if (s > std::numeric_limits<int64_t>::max() / ns_per_s ||
      s < std::numeric_limits<int64_t>::min() / ns_per_s)
    return std::nullopt;
  return s * ns_per_s;
}

/// IANA names only: '/'-separated parts of [A-Za-z0-9_+-]. Refuses what
/// CCTZ would also load but must not reach a cluster-wide trigger: paths
/// ("/etc/…", ".."), "localtime" (the node's own zone) and "right/…" (zones
/// counting leap seconds, which Unix time does not).
bool is_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "localtime" ||
      name.substr(0, 6) == "right/")
    return false;
  size_t part = 0;
  for (char c : name) {
    if (c == '/') {
      if (part == 0)
        return false;
      part = 0;
      continue;
    }
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '+';
    if (!ok)
      return false;
    ++part;
  }
  return part != 0;
}

/// The time-of-day part of a cron expression, for counting fires over long
/// ranges a day at a time: which minutes of a matching day match.
struct day_table {
  std::bitset<1440> minutes;
  std::array<uint16_t, 1441> before{}; ///< matching minutes of day < i
  unsigned first = 0;                  ///< first matching minute of day

  /// Built from a day the expression matches; nullopt when it never does.
  static std::optional<day_table> make(const cron_expr& cron) {
    auto any = cron.next(civil_minute{2000, 1, 1, 0, 0});
    if (!any)
      return std::nullopt;
    day_table t;
    for (unsigned i = 0; i < 1440; ++i) {
      const civil_minute m{any->year, any->month, any->day, i / 60, i % 60};
      t.minutes[i] = cron.matches(m);
      t.before[i + 1] = static_cast<uint16_t>(t.before[i] + t.minutes[i]);
    }
    while (!t.minutes[t.first])
      ++t.first;
    return t;
  }

  bool day_matches(const cron_expr& cron, int64_t day) const {
    const auto d = cctz::civil_day{1970, 1, 1} + day;
    return cron.matches(civil_minute{
        static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
        static_cast<unsigned>(d.day()), first / 60, first % 60});
  }
};

struct tally {
  uint64_t count = 0;
  int64_t at = 0; ///< where the limit-th one is (only when count == limit)
};

/// The fire rules of one schedule, as free code over its parts.
class fire_rule {
public:
  fire_rule(const cron_expr* cron, const cctz::time_zone* tz, int64_t period)
      : cron_(cron), tz_(tz), period_(period) {}

  /// The first fire instant > a.
  std::optional<int64_t> next(int64_t a) const {
    if (period_ > 0) {
      const int64_t k = floor_div(a, period_) + 1;
      if (k > std::numeric_limits<int64_t>::max() / period_)
        return std::nullopt;
      return k * period_;
    }
    if (cron_ == nullptr)
      return std::nullopt;
    return cron_->fixed_time() ? next_fixed(a) : next_follow(a);
  }

  /// The latest fire instant in (a, b], found without walking the range.
  std::optional<int64_t> latest(int64_t a, int64_t b) const {
    if (period_ > 0) {
      const int64_t t = floor_div(b, period_) * period_;
      return t > a ? std::optional<int64_t>{t} : std::nullopt;
    }
    // Widen a window back from b until it holds a fire, then halve: about
    // 2 × log2(b - latest) calls of next().
    int64_t hi = b; // no fire in (hi, b]
    int64_t lo = b; // a fire in (lo, b] once the loop ends
    for (int64_t w = 60;; w = w > (b - a) / 2 ? b - a : w * 2) {
      lo = b - a <= w ? a : b - w;
      auto f = next(lo);
      if (f && *f <= b)
        break;
      if (lo == a)
        return std::nullopt;
      hi = lo;
    }
    while (hi - lo > 1) {
      const int64_t mid = lo + (hi - lo) / 2;
      auto f = next(mid);
      if (f && *f <= b)
        lo = mid;
      else
        hi = mid;
    }
    return next(lo);
  }

  /// Counts the fire instants in (a, b], stopping at the limit-th (whose
  /// instant it reports). Long stretches of one UTC offset are counted a
  /// day at a time, so a year of `* * * * *` costs ~365 steps, not 525,600.
  tally walk(int64_t a, int64_t b, uint64_t limit) const {
    tally r;
    if (b <= a || limit == 0)
      return r;
    if (period_ > 0) {
      const int64_t ka = floor_div(a, period_);
      const auto n = static_cast<uint64_t>(floor_div(b, period_) - ka);
      r.count = std::min(n, limit);
      if (n >= limit)
        r.at = (ka + static_cast<int64_t>(limit)) * period_;
      return r;
    }
    if (cron_ == nullptr)
      return r;
    return walk_cron(a, b, limit);
  }

private:
  /// Fixed-time rule: a matching local minute fires at its only or first
  /// instant, or at the transition when it is skipped. That map is monotone
  /// in local time, so the first candidate after `a` is the answer; the
  /// "strictly after" test drops a second minute of the same gap (and a
  /// repeated minute's second instant never shows up).
  std::optional<int64_t> next_fixed(int64_t a) const {
    civil_minute m = minute_of(tz_->lookup(point(a)).cs);
    // Only minutes of a repeated hour right before `a` map at or before it.
    for (int guard = 0; guard < 100'000; ++guard) {
      auto n = cron_->next(m);
      if (!n)
        return std::nullopt;
      const auto cl = tz_->lookup(
          cctz::civil_second{n->year, n->month, n->day, n->hour, n->minute, 0});
      const int64_t t =
          secs(cl.kind == cctz::time_zone::civil_lookup::SKIPPED ? cl.trans
                                                                 : cl.pre);
      if (t > a)
        return t;
      m = *n;
    }
    return std::nullopt;
  }

  /// Real-time rule: an instant fires when its local time matches. Walk the
  /// stretches of constant UTC offset from `a`: in each, the first matching
  /// local minute at or after its start (after `a` in the first) is the
  /// answer when it falls before the stretch ends. Skipped local times lie
  /// in no stretch; repeated ones lie in two.
  std::optional<int64_t> next_follow(int64_t a) const {
    int64_t t = a;
    bool at_start = false; // t itself may fire (t is a stretch's start)
    while (t - a <= horizon_s) {
      const auto al = tz_->lookup(point(t));
      const civil_minute floor = minute_of(al.cs);
      std::optional<civil_minute> m;
      if (at_start && al.cs.second() == 0 && cron_->matches(floor))
        m = floor;
      else
        m = cron_->next(floor);
      if (!m)
        return std::nullopt;
      const int64_t candidate = local_secs(*m) - al.offset;
      cctz::time_zone::civil_transition tr;
      if (!tz_->next_transition(point(t), &tr))
        return candidate;
      const int64_t end = local_secs(tr.from) - al.offset;
      if (candidate < end)
        return candidate;
      t = end;
      at_start = true;
    }
    return std::nullopt;
  }

  /// How long after a transition the fixed-time rule differs from "local
  /// time matches": the second pass through a repeated hour, plus a minute.
  static int64_t margin(const cctz::time_zone::civil_transition& tr) {
    const int64_t jump = local_secs(tr.to) - local_secs(tr.from);
    return (jump < 0 ? -jump : jump) + 60;
  }

  tally walk_cron(int64_t a, int64_t b, uint64_t limit) const {
    tally r;
    std::optional<day_table> table;
    bool table_made = false;
    const bool fixed = cron_->fixed_time();
    int64_t t = a; // every fire <= t is counted
    int64_t step_until = std::numeric_limits<int64_t>::min();
    while (r.count < limit && t < b) {
      if (fixed && t >= step_until) {
        // The latest transition at or before t + 1, the first instant not
        // yet counted (a gap fire may be that very instant).
        cctz::time_zone::civil_transition tr;
        if (tz_->prev_transition(point(t + 2), &tr)) {
          const int64_t at = secs(tz_->lookup(tr.to).trans);
          step_until = at + margin(tr);
        }
      }
      if (fixed && t < step_until) {
        // Right after a transition (gap fire, repeated hour): one by one.
        auto f = next(t);
        if (!f || *f > b)
          break;
        ++r.count;
        r.at = *f;
        t = *f;
        continue;
      }
      // A stretch of one offset from `first` (the first instant not yet
      // counted) to the next transition: its fires are its instants whose
      // local minute matches.
      const int64_t first = t + 1;
      const auto al = tz_->lookup(point(first));
      const int64_t off = al.offset;
      int64_t end = b + 1;
      cctz::time_zone::civil_transition tr;
      const bool has_next = tz_->next_transition(point(first), &tr);
      int64_t trans = 0;
      if (has_next) {
        trans = local_secs(tr.from) - off;
        end = std::min(end, trans);
      }
      // Local minutes m with first <= m - off < end.
      const int64_t lo = floor_div(first + off + 59, 60) * 60;
      const int64_t hi = floor_div(end - 1 + off, 60) * 60 + 60;
      if (!table_made && hi - lo > 2 * day_s) {
        table = day_table::make(*cron_);
        table_made = true;
        if (!table)
          break; // never matches
      }
      const auto part =
          count_local(lo, hi, limit - r.count, table ? &*table : nullptr);
      r.count += part.count;
      if (r.count == limit) {
        r.at = part.at - off;
        break;
      }
      if (!has_next || trans > b)
        break;
      t = trans - 1;
      if (fixed)
        step_until = trans + margin(tr);
    }
    return r;
  }

  /// Matching local minutes in [lo, hi) (minute-aligned local seconds), up
  /// to `limit`; a day at a time with `table`, else one by one.
  tally count_local(int64_t lo, int64_t hi, uint64_t limit,
                    const day_table* table) const {
    tally r;
    if (table == nullptr) {
      civil_minute m = minute_of_local(lo - 60);
      while (r.count < limit) {
        auto n = cron_->next(m);
        if (!n)
          break;
        const int64_t local = local_secs(*n);
        if (local >= hi)
          break;
        ++r.count;
        r.at = local;
        m = *n;
      }
      return r;
    }
    const int64_t first_day = floor_div(lo, day_s);
    const int64_t last_day = floor_div(hi - 1, day_s);
    for (int64_t d = first_day; d <= last_day && r.count < limit; ++d) {
      const int64_t base = d * day_s;
      const auto from =
          static_cast<unsigned>(d == first_day ? (lo - base) / 60 : 0);
      const auto to =
          static_cast<unsigned>(d == last_day ? (hi - base) / 60 : 1440);
      const uint64_t n = table->before[to] - table->before[from];
      if (n == 0 || !table->day_matches(*cron_, d))
        continue;
      if (r.count + n < limit) {
        r.count += n;
        continue;
      }
      for (unsigned i = from; i < to; ++i)
        if (table->minutes[i] && ++r.count == limit) {
          r.at = base + int64_t{i} * 60;
          break;
        }
    }
    return r;
  }

  const cron_expr* cron_;
  const cctz::time_zone* tz_;
  int64_t period_; ///< seconds; 0 for cron
};

fire_rule rule_of(const std::optional<cron_expr>& cron,
                  const std::optional<millis>& every, const schedule::zone* z) {
  if (every)
    return {nullptr, nullptr, every->count() / 1000};
  if (cron && z != nullptr)
    return {&*cron, &z->tz, 0};
  return {nullptr, nullptr, 0};
}

} // namespace

caf::expected<catch_up_policy> parse_catch_up(std::string_view text,
                                              std::string_view field) {
  if (text == "none")
    return catch_up_policy::none;
  if (text == "once")
    return catch_up_policy::once;
  if (text == "all")
    return catch_up_policy::all;
  return runtime::make_api_error(errc::invalid_field,
                                 "catch_up is \"none\", \"once\" or \"all\", "
                                 "not \"" +
                                     std::string{text} + "\"",
                                 std::string{field});
}

std::string_view to_string(catch_up_policy p) noexcept {
  switch (p) {
  case catch_up_policy::none:
    return "none";
  case catch_up_policy::once:
    return "once";
  case catch_up_policy::all:
    return "all";
  }
  return "none";
}

caf::expected<schedule> schedule::parse(const std::optional<std::string>& cron,
                                        const std::optional<std::string>& every,
                                        const std::string& timezone) {
  if (cron && every)
    return runtime::make_api_error(
        errc::invalid_field, "a schedule has either cron or every, not both",
        "/cron");
  if (!cron && !every)
    return runtime::make_api_error(
        errc::missing_field,
        "a schedule needs cron (\"0 * * * *\") or every (\"90s\")", "/cron");
  schedule out;
  if (cron) {
    auto expr = cron_expr::parse(*cron, "/cron");
    if (!expr)
      return std::move(expr.error());
    out.cron_ = std::move(*expr);
  } else {
    auto period = parse_duration(*every, "/every");
    if (!period)
      return std::move(period.error());
    if (*period < min_every)
      return runtime::make_api_error(errc::invalid_field,
                                     "every: " + format_duration(*period) +
                                         " is under the minimum, 1s",
                                     "/every");
    if (period->count() % 1000 != 0)
      return runtime::make_api_error(errc::invalid_field,
                                     "every: " + format_duration(*period) +
                                         " is not a whole number of seconds",
                                     "/every");
    out.every_ = *period;
  }
  // The zone is checked for `every` too (it is ignored there, but a typo is
  // still a typo).
  auto z = std::make_shared<zone>();
  if (!is_zone_name(timezone) || !cctz::load_time_zone(timezone, &z->tz))
    return runtime::make_api_error(
        errc::invalid_field,
        "unknown time zone \"" + timezone +
            "\" (an IANA name such as \"Europe/Berlin\" or \"UTC\")",
        "/timezone");
  out.tz_name_ = timezone;
  out.zone_ = std::move(z);
  return out;
}

std::optional<int64_t> schedule::next(int64_t after_ns) const {
  auto s =
      rule_of(cron_, every_, zone_.get()).next(floor_div(after_ns, ns_per_s));
  return s ? to_ns(*s) : std::nullopt;
}

std::vector<int64_t> schedule::preview(int64_t from_ns, size_t n) const {
  std::vector<int64_t> out;
  const auto rule = rule_of(cron_, every_, zone_.get());
  // At or after from_ns: after the second before its first whole second.
  int64_t t = floor_div(from_ns, ns_per_s);
  if (t * ns_per_s == from_ns)
    --t;
  out.reserve(std::min<size_t>(n, 1024));
  while (out.size() < n) {
    auto s = rule.next(t);
    if (!s)
      break;
    auto ns = to_ns(*s);
    if (!ns)
      break;
    out.push_back(*ns);
    t = *s;
  }
  return out;
}

std::vector<int64_t> schedule::missed(int64_t last_ns, int64_t now_ns,
                                      catch_up_policy policy,
                                      size_t* skipped) const {
  if (skipped != nullptr)
    *skipped = 0;
  const int64_t a = floor_div(last_ns, ns_per_s);
  const int64_t b = floor_div(now_ns, ns_per_s);
  if (b <= a)
    return {};
  const auto rule = rule_of(cron_, every_, zone_.get());
  auto set_skipped = [&](uint64_t n) {
    if (skipped != nullptr)
      *skipped = static_cast<size_t>(n);
  };
  switch (policy) {
  case catch_up_policy::none:
    if (skipped != nullptr)
      set_skipped(rule.walk(a, b, unlimited).count);
    return {};
  case catch_up_policy::once: {
    auto latest = rule.latest(a, b);
    if (!latest)
      return {};
    if (skipped != nullptr)
      set_skipped(rule.walk(a, b, unlimited).count - 1);
    return {*latest * ns_per_s};
  }
  case catch_up_policy::all:
    break;
  }
  uint64_t n = rule.walk(a, b, unlimited).count;
  int64_t t = a;
  if (n > max_catch_up) {
    // Skip to the (n - max)-th fire without walking to it one by one.
    t = rule.walk(a, b, n - max_catch_up).at;
    set_skipped(n - max_catch_up);
    n = max_catch_up;
  }
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(n));
  while (out.size() < n) {
    auto s = rule.next(t);
    if (!s || *s > b)
      break;
    out.push_back(*s * ns_per_s);
    t = *s;
  }
  return out;
}

} // namespace herald::flow

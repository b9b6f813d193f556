#pragma once

// 5-field cron expressions (DESIGN §5, as cronie/Vixie cron read them):
//
//   minute hour day-of-month month day-of-week
//   0-59   0-23 1-31         1-12  0-7 (0 and 7 are Sunday)
//
// Each field is `*`, a value, a range `a-b`, a step `*/n` or `a-b/n`, or a
// comma list of those; months and weekdays also take their English
// three-letter names (`jan`, `mon`; any case). Macros: `@hourly`, `@daily`
// (`@midnight`), `@weekly`, `@monthly`, `@yearly` (`@annually`). When both
// day fields are restricted (neither starts with `*`) a day matches if
// either does, as in Vixie cron (`0 0 1 * mon`: the 1st and every Monday).
//
// A cron_expr knows nothing of time zones: it matches and steps through
// local civil minutes. The time-zone layer (DST's skipped and repeated
// local times) is built on top and uses fixed_time() to pick cronie's rule.
//
// Pure and immutable after parse(): safe to share across threads.

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

namespace herald::flow {

/// A local civil minute (no time zone): what a cron expression matches.
struct civil_minute {
  int year = 1970;
  unsigned month = 1; ///< 1-12
  unsigned day = 1;   ///< 1-31
  unsigned hour = 0;  ///< 0-23
  unsigned minute = 0;

  friend bool operator==(const civil_minute&, const civil_minute&) = default;
  friend auto operator<=>(const civil_minute&, const civil_minute&) = default;
};

/// "YYYY-MM-DDTHH:MM" (for messages and tests).
std::string to_string(const civil_minute& m);

class cron_expr {
public:
  /// Parses `text`. Errors: runtime::errc::invalid_field with `field`
  /// (e.g. "cron") and a message naming the part at fault ("hour: 24 is
  /// outside 0-23").
  static caf::expected<cron_expr> parse(std::string_view text,
                                        std::string_view field = "cron");

  /// Does minute `m` match every field?
  bool matches(const civil_minute& m) const;

  /// The first matching minute strictly after `after`; nullopt when none
  /// comes within 28 years (`0 0 30 2 *` never matches).
  std::optional<civil_minute> next(const civil_minute& after) const;

  /// Cronie's "fixed-time" job: neither the minute nor the hour field
  /// starts with `*` (and `@daily` or longer). Such a job whose local time
  /// is skipped by DST fires once at the transition, and fires only at the
  /// first of a repeated local time; other jobs follow real time.
  bool fixed_time() const noexcept { return fixed_time_; }

  /// The expression as given (trimmed).
  const std::string& text() const noexcept { return text_; }

private:
  bool day_matches(int year, unsigned month, unsigned day) const;

  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;            ///< 1-31
  std::bitset<13> months_;          ///< 1-12
  std::bitset<7> weekdays_;         ///< 0 = Sunday
  bool day_restricted_ = false;     ///< day-of-month does not start with *
  bool weekday_restricted_ = false; ///< day-of-week does not start with *
  bool fixed_time_ = false;
  std::string text_;
};

} // namespace herald::flow

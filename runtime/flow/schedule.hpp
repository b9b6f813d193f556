#pragma once

// When a schedule trigger fires (DESIGN §5): a cron expression in an IANA
// time zone, or `every` (elapsed time aligned to the Unix epoch).
//
// Time zones and DST, cronie's rule (a daily job runs once per local day):
// - a fixed-time expression (cron_expr::fixed_time()) whose local time does
//   not exist that day fires once, at the transition instant; a local time
//   that occurs twice fires only at its first occurrence;
// - other expressions (`0 * * * *`, `*/15 * * * *`) follow real time: they
//   skip local times that do not exist and fire at every occurrence of a
//   repeated one.
// - `every: P` fires at every instant k × P since the Unix epoch (so
//   previews are deterministic and a failover keeps the phase).
//
// Instants are Unix nanoseconds (UTC), always whole seconds here. Pure and
// immutable after parse(); no clock of its own: callers pass `now`. Time
// zones come from the system's zone database (Debian tzdata) through CCTZ.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/flow/cron.hpp"
#include "runtime/flow/duration.hpp"

namespace herald::flow {

/// What to do with instants missed while the node was down (DESIGN §5).
enum class catch_up_policy {
  none, ///< skip them
  once, ///< fire once (for the latest missed instant)
  all,  ///< fire each, oldest first (at most max_catch_up)
};

/// "none" | "once" | "all"; invalid_field naming `field` otherwise.
caf::expected<catch_up_policy> parse_catch_up(std::string_view text,
                                              std::string_view field);
std::string_view to_string(catch_up_policy p) noexcept;

/// At most this many missed instants are fired by catch_up all (the
/// latest ones); the rest are skipped and counted.
inline constexpr size_t max_catch_up = 1000;

/// Shortest `every` accepted.
inline constexpr millis min_every{1000};

class schedule {
public:
  /// Exactly one of `cron` and `every` is set. `timezone` is an IANA name
  /// ("Europe/Berlin"; default "UTC"), used by cron only. Errors
  /// (runtime::errc::invalid_field): "/cron" (cron_expr's message), "/every"
  /// (not a duration, under 1 s, not a whole number of seconds),
  /// "/timezone" (unknown zone), "/cron" when both or neither is set
  /// (missing_field "/cron" when neither).
  static caf::expected<schedule> parse(const std::optional<std::string>& cron,
                                       const std::optional<std::string>& every,
                                       const std::string& timezone = "UTC");

  /// The first fire instant strictly after `after_ns`; nullopt when none
  /// comes within cron_expr's horizon.
  std::optional<int64_t> next(int64_t after_ns) const;

  /// Up to `n` fire instants at or after `from_ns`, ascending (the preview
  /// endpoint).
  std::vector<int64_t> preview(int64_t from_ns, size_t n) const;

  /// What to fire at start-up after being down: the fire instants in
  /// (`last_ns`, `now_ns`] per `policy` (none: empty; once: the latest
  /// one; all: every one, oldest first, at most max_catch_up, the latest
  /// ones). `skipped` (if set) gets how many missed instants are not
  /// returned.
  std::vector<int64_t> missed(int64_t last_ns, int64_t now_ns,
                              catch_up_policy policy,
                              size_t* skipped = nullptr) const;

  bool is_cron() const noexcept { return cron_.has_value(); }
  /// The expression or the period as given; the zone name.
  const std::optional<cron_expr>& cron() const noexcept { return cron_; }
  std::optional<millis> every() const noexcept { return every_; }
  const std::string& timezone() const noexcept { return tz_name_; }

  struct zone; ///< CCTZ's time_zone, kept out of this header

private:
  std::optional<cron_expr> cron_;
  std::optional<millis> every_;
  std::string tz_name_ = "UTC";
  std::shared_ptr<const zone> zone_;
};

} // namespace herald::flow

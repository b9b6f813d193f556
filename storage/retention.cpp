#include "storage/retention.hpp"

#include <charconv>
#include <limits>

#include "runtime/errc.hpp"
#include "runtime/subject.hpp"

namespace herald::storage {

namespace {

constexpr std::string_view rule_field = "retention-rule";

/// Leading decimal digits of `text` as a positive integer; `rest` gets the
/// remainder. nullopt when there are none, the value is 0 or overflows.
std::optional<uint64_t> leading_number(std::string_view text,
                                       std::string_view& rest) noexcept {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end == text.data() || v == 0)
    return std::nullopt;
  rest = text.substr(static_cast<size_t>(end - text.data()));
  return v;
}

std::optional<uint64_t> checked_mul(uint64_t v, uint64_t unit,
                                    uint64_t max) noexcept {
  if (v > max / unit)
    return std::nullopt;
  return v * unit;
}

} // namespace

bool retention_policy::keeps_everything() const noexcept {
  if (max_age_ns || max_bytes)
    return false;
  for (const auto& r : rules)
    if (r.max_age_ns)
      return false;
  return true;
}

std::optional<size_t>
retention_policy::rule_for(std::string_view name) const noexcept {
  for (size_t i = 0; i < rules.size(); ++i)
    if (runtime::pattern_matches(rules[i].pattern, name))
      return i;
  return std::nullopt;
}

std::optional<int64_t>
retention_policy::max_age_for(std::string_view name) const noexcept {
  if (auto i = rule_for(name))
    return rules[*i].max_age_ns;
  return max_age_ns;
}

std::string retention_policy::age_fingerprint() const {
  auto age = [](const std::optional<int64_t>& a) {
    return a ? std::to_string(*a) : std::string{"-"};
  };
  std::string out = age(max_age_ns);
  for (const auto& r : rules)
    out += '\n' + r.pattern + '=' + age(r.max_age_ns);
  return out;
}

caf::error validate(const retention_policy& policy) {
  if (policy.max_age_ns && *policy.max_age_ns <= 0)
    return runtime::make_api_error(runtime::errc::invalid_parameter,
                                   "retention max age must be positive",
                                   "retention-max-age");
  if (policy.max_bytes && *policy.max_bytes == 0)
    return runtime::make_api_error(runtime::errc::invalid_parameter,
                                   "retention max bytes must be positive",
                                   "retention-max-bytes");
  for (const auto& r : policy.rules) {
    if (auto err = runtime::validate_pattern(r.pattern, rule_field))
      return err;
    if (r.max_age_ns && *r.max_age_ns <= 0)
      return runtime::make_api_error(runtime::errc::invalid_parameter,
                                     "retention rule '" + r.pattern +
                                         "' needs a positive age",
                                     std::string{rule_field});
  }
  return caf::error{};
}

std::optional<int64_t> parse_duration_ns(std::string_view text) noexcept {
  std::string_view unit;
  auto v = leading_number(text, unit);
  if (!v)
    return std::nullopt;
  constexpr uint64_t ms = 1'000'000;
  constexpr uint64_t s = 1000 * ms;
  uint64_t factor = 0;
  if (unit == "ms")
    factor = ms;
  else if (unit == "s")
    factor = s;
  else if (unit == "m")
    factor = 60 * s;
  else if (unit == "h")
    factor = 3600 * s;
  else if (unit == "d")
    factor = 86400 * s;
  else if (unit == "w")
    factor = 7 * 86400 * s;
  else
    return std::nullopt;
  auto ns = checked_mul(*v, factor, std::numeric_limits<int64_t>::max());
  if (!ns)
    return std::nullopt;
  return static_cast<int64_t>(*ns);
}

std::optional<uint64_t> parse_byte_size(std::string_view text) noexcept {
  std::string_view unit;
  auto v = leading_number(text, unit);
  if (!v)
    return std::nullopt;
  struct suffix {
    std::string_view text;
    uint64_t factor;
  };
  static constexpr suffix units[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000ull * 1000 * 1000},
      {"TB", 1000ull * 1000 * 1000 * 1000},
      {"KiB", 1ull << 10},
      {"MiB", 1ull << 20},
      {"GiB", 1ull << 30},
      {"TiB", 1ull << 40},
  };
  for (const auto& u : units)
    if (unit == u.text)
      return checked_mul(*v, u.factor, std::numeric_limits<uint64_t>::max());
  return std::nullopt;
}

caf::expected<retention_rule> parse_retention_rule(std::string_view text) {
  auto eq = text.rfind('=');
  if (eq == std::string_view::npos || eq == 0)
    return runtime::make_api_error(
        runtime::errc::invalid_parameter,
        "retention rule '" + std::string{text} +
            "' is not PATTERN=DURATION (e.g. progress=1d)",
        std::string{rule_field});
  retention_rule rule;
  rule.pattern = std::string{text.substr(0, eq)};
  if (auto err = runtime::validate_pattern(rule.pattern, rule_field))
    return runtime::make_api_error(runtime::errc::invalid_pattern,
                                   "retention rule '" + std::string{text} +
                                       "': malformed name pattern",
                                   std::string{rule_field});
  auto age = text.substr(eq + 1);
  if (age == "forever")
    return rule;
  rule.max_age_ns = parse_duration_ns(age);
  if (!rule.max_age_ns)
    return runtime::make_api_error(
        runtime::errc::invalid_parameter,
        "retention rule '" + std::string{text} +
            "': duration must be like 45s, 90m, 12h, 30d or forever",
        std::string{rule_field});
  return rule;
}

} // namespace herald::storage

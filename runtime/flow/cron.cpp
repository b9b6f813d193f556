#include "runtime/flow/cron.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <vector>

#include "runtime/errc.hpp"

namespace herald::flow {

namespace {

namespace chr = std::chrono;

using runtime::errc;

constexpr std::array<std::string_view, 12> month_names = {
    "jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> weekday_names = {
    "sun", "mon", "tue", "wed", "thu", "fri", "sat"};

/// One field's rules: its range, and its names (value = index + offset).
struct field_spec {
  const char* name;
  unsigned lo;
  unsigned hi;
  const std::string_view* names = nullptr;
  size_t name_count = 0;
  unsigned name_offset = 0;
};

constexpr field_spec minute_spec{"minute", 0, 59};
constexpr field_spec hour_spec{"hour", 0, 23};
constexpr field_spec day_spec{"day-of-month", 1, 31};
constexpr field_spec month_spec{"month", 1, 12, month_names.data(), 12, 1};
constexpr field_spec weekday_spec{"day-of-week",        0, 7,
                                  weekday_names.data(), 7, 0};

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Parses one field into a bit mask (bit v = value v matches).
caf::expected<uint64_t> parse_field(std::string_view text,
                                    const field_spec& spec,
                                    const std::string& field) {
  auto bad = [&](std::string why) {
    return runtime::make_api_error(errc::invalid_field,
                                   std::string{spec.name} + ": " + why, field);
  };
  auto value = [&](std::string_view s) -> caf::expected<unsigned> {
    if (s.empty())
      return bad("a value is missing");
    if (std::isalpha(static_cast<unsigned char>(s[0]))) {
      auto name = lower(s);
      for (size_t i = 0; i < spec.name_count; ++i)
        if (spec.names[i] == name)
          return static_cast<unsigned>(i) + spec.name_offset;
      return bad("'" + std::string{s} + "' is not a value");
    }
    unsigned v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size())
      return bad("'" + std::string{s} + "' is not a number");
    if (v < spec.lo || v > spec.hi)
      return bad(std::to_string(v) + " is outside " + std::to_string(spec.lo) +
                 "-" + std::to_string(spec.hi));
    return v;
  };
  if (text.empty())
    return bad("empty");
  uint64_t mask = 0;
  size_t start = 0;
  while (true) {
    auto comma = text.find(',', start);
    auto item = text.substr(start, comma == std::string_view::npos
                                       ? std::string_view::npos
                                       : comma - start);
    if (item.empty())
      return bad("an empty list entry");
    std::string_view base = item;
    unsigned step = 1;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      base = item.substr(0, slash);
      auto s = item.substr(slash + 1);
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      if (s.empty() || ec != std::errc{} || end != s.data() + s.size() ||
          step == 0 || step > spec.hi - spec.lo + 1)
        return bad("step '" + std::string{s} + "' is not 1-" +
                   std::to_string(spec.hi - spec.lo + 1));
    }
    unsigned first = spec.lo;
    unsigned last = spec.hi;
    if (base != "*") {
      auto dash = base.find('-');
      auto a = value(base.substr(0, dash));
      if (!a)
        return std::move(a.error());
      first = last = *a;
      if (dash != std::string_view::npos) {
        auto b = value(base.substr(dash + 1));
        if (!b)
          return std::move(b.error());
        last = *b;
        if (last < first)
          return bad("range " + std::string{base} + " runs backwards");
      } else if (step != 1) {
        // `5/15` is not cron (Vixie and cronie refuse it): say so.
        return bad("a step needs * or a range before it");
      }
    }
    for (unsigned v = first; v <= last; v += step)
      mask |= uint64_t{1} << v;
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  return mask;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

} // namespace

std::string to_string(const civil_minute& m) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u", m.year, m.month,
                m.day, m.hour, m.minute);
  return buf;
}

caf::expected<cron_expr> cron_expr::parse(std::string_view text,
                                          std::string_view field_name) {
  const std::string field{field_name};
  text = trim(text);
  cron_expr out;
  out.text_ = std::string{text};
  std::string expanded;
  bool macro_fixed = false;
  if (!text.empty() && text.front() == '@') {
    auto macro = lower(text);
    if (macro == "@hourly")
      expanded = "0 * * * *";
    else if (macro == "@daily" || macro == "@midnight")
      expanded = "0 0 * * *";
    else if (macro == "@weekly")
      expanded = "0 0 * * 0";
    else if (macro == "@monthly")
      expanded = "0 0 1 * *";
    else if (macro == "@yearly" || macro == "@annually")
      expanded = "0 0 1 1 *";
    else
      return runtime::make_api_error(
          errc::invalid_field,
          "unknown macro " + std::string{text} +
              " (@hourly, @daily, @weekly, @monthly, @yearly)",
          field);
    macro_fixed = macro != "@hourly";
    text = expanded;
  }
  std::vector<std::string_view> parts;
  for (size_t i = 0; i < text.size();) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    size_t j = i;
    while (j < text.size() &&
           !std::isspace(static_cast<unsigned char>(text[j])))
      ++j;
    if (j > i)
      parts.push_back(text.substr(i, j - i));
    i = j;
  }
  if (parts.size() != 5)
    return runtime::make_api_error(
        errc::invalid_field,
        "a cron expression has 5 fields (minute hour day-of-month month "
        "day-of-week) or is a macro; got " +
            std::to_string(parts.size()),
        field);
  const field_spec* specs[] = {&minute_spec, &hour_spec, &day_spec, &month_spec,
                               &weekday_spec};
  uint64_t masks[5] = {};
  for (size_t i = 0; i < 5; ++i) {
    auto mask = parse_field(parts[i], *specs[i], field);
    if (!mask)
      return std::move(mask.error());
    masks[i] = *mask;
  }
  out.minutes_ = std::bitset<60>{masks[0]};
  out.hours_ = std::bitset<24>{masks[1]};
  out.days_ = std::bitset<32>{masks[2]};
  out.months_ = std::bitset<13>{masks[3]};
  // 7 is Sunday too.
  out.weekdays_ = std::bitset<7>{(masks[4] & 0x7f) | ((masks[4] >> 7) & 1)};
  out.day_restricted_ = parts[2].front() != '*';
  out.weekday_restricted_ = parts[4].front() != '*';
  out.fixed_time_ =
      macro_fixed || (parts[0].front() != '*' && parts[1].front() != '*');
  return out;
}

bool cron_expr::day_matches(int year, unsigned month, unsigned day) const {
  const chr::year_month_day ymd{chr::year{year}, chr::month{month},
                                chr::day{day}};
  if (!ymd.ok())
    return false;
  const bool dom = days_.test(day);
  const bool dow =
      weekdays_.test(chr::weekday{chr::sys_days{ymd}}.c_encoding());
  // Vixie cron: both restricted → either; otherwise both must hold (an
  // unrestricted field matches every day).
  if (day_restricted_ && weekday_restricted_)
    return dom || dow;
  return dom && dow;
}

bool cron_expr::matches(const civil_minute& m) const {
  return m.month >= 1 && m.month <= 12 && months_.test(m.month) &&
         m.hour < 24 && hours_.test(m.hour) && m.minute < 60 &&
         minutes_.test(m.minute) && m.day >= 1 && m.day <= 31 &&
         day_matches(m.year, m.month, m.day);
}

std::optional<civil_minute> cron_expr::next(const civil_minute& after) const {
  // Start one minute later; carry into the hour and the day.
  unsigned hour = after.hour;
  unsigned minute = after.minute + 1;
  if (minute == 60) {
    minute = 0;
    ++hour;
  }
  chr::sys_days day = chr::sys_days{chr::year_month_day{
      chr::year{after.year}, chr::month{after.month}, chr::day{after.day}}};
  if (hour == 24) {
    hour = 0;
    minute = 0;
    day += chr::days{1};
  }
  const auto limit = day + chr::days{28 * 366};
  for (; day < limit; day += chr::days{1}, hour = 0, minute = 0) {
    const chr::year_month_day ymd{day};
    const unsigned mon = static_cast<unsigned>(ymd.month());
    if (!months_.test(mon)) {
      // Jump to the last day of this month; the loop steps into the next.
      day = chr::sys_days{ymd.year() / ymd.month() / chr::last};
      continue;
    }
    const int y = static_cast<int>(ymd.year());
    const unsigned d = static_cast<unsigned>(ymd.day());
    if (!day_matches(y, mon, d))
      continue;
    for (unsigned h = hour; h < 24; ++h) {
      if (!hours_.test(h))
        continue;
      for (unsigned mi = (h == hour ? minute : 0); mi < 60; ++mi)
        if (minutes_.test(mi))
          return civil_minute{y, mon, d, h, mi};
    }
  }
  return std::nullopt;
}

} // namespace herald::flow

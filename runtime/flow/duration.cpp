#include "runtime/flow/duration.hpp"

#include <array>
#include <cctype>
#include <cstdint>

#include "runtime/errc.hpp"

namespace herald::flow {

namespace {

using runtime::errc;

struct unit {
  std::string_view name;
  int64_t ms;
};

/// Largest first: the order parse_duration requires and format_duration
/// writes.
constexpr std::array<unit, 5> units = {{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

constexpr std::string_view hint =
    " (write e.g. \"90s\", \"1h30m\" or \"500ms\"; units d, h, m, s, ms)";

constexpr int64_t max_ms = 400 * int64_t{86'400'000};

/// "timeout" for "/wait_for_event/timeout": messages name the field as a
/// user wrote it, the error's field keeps the whole pointer.
std::string_view short_name(std::string_view field) {
  auto slash = field.rfind('/');
  return slash == std::string_view::npos ? field : field.substr(slash + 1);
}

} // namespace

caf::expected<millis> parse_duration(std::string_view text,
                                     std::string_view field) {
  auto bad = [&](std::string why) {
    auto name = short_name(field);
    std::string msg;
    if (!name.empty())
      msg.append(name).append(": ");
    msg.append(why).append(" in \"").append(text).append("\"");
    msg.append(hint);
    return runtime::make_api_error(errc::invalid_field, std::move(msg),
                                   std::string{field});
  };
  if (text.empty())
    return runtime::make_api_error(errc::invalid_field,
                                   std::string{short_name(field)} + ": empty" +
                                       std::string{hint},
                                   std::string{field});
  int64_t total = 0;
  size_t next_unit = 0; // index into units: the smallest rank still allowed
  unsigned seen = 0;    // bit r: units[r] was given
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '-' || c == '+')
      return bad("a sign is not allowed");
    if (std::isspace(static_cast<unsigned char>(c)))
      return bad("spaces are not allowed");
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return bad("a number is missing before '" + std::string{text.substr(i)} +
                 "'");
    // Digits, checked against the 400-day limit as they come (so no
    // overflow however many there are).
    int64_t value = 0;
    bool too_big = false;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]));
         ++i) {
      if (!too_big)
        value = value * 10 + (text[i] - '0');
      if (value > max_ms)
        too_big = true;
    }
    if (i < text.size() && (text[i] == '.' || text[i] == ','))
      return bad("fractions are not allowed");
    if (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      return bad("spaces are not allowed");
    size_t start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
      ++i;
    const auto name = text.substr(start, i - start);
    if (name.empty())
      return bad(start == text.size()
                     ? "the unit is missing"
                     : "'" + std::string(1, text[start]) + "' is not a unit");
    size_t rank = units.size();
    for (size_t r = 0; r < units.size(); ++r)
      if (units[r].name == name)
        rank = r;
    if (rank == units.size())
      return bad("unknown unit '" + std::string{name} + "'");
    if (seen & (1u << rank))
      return bad("unit '" + std::string{name} + "' appears twice");
    if (rank < next_unit)
      return bad("units go largest first (d, h, m, s, ms)");
    seen |= 1u << rank;
    next_unit = rank + 1;
    if (too_big || value > (max_ms - total) / units[rank].ms)
      return bad("over 400 days");
    total += value * units[rank].ms;
  }
  return millis{total};
}

std::string format_duration(millis d) {
  // Each unit at most once, largest first, zero parts left out: the form
  // parse_duration reads (and the one people write: "1h30m", not "90m").
  std::string out;
  uint64_t rest = static_cast<uint64_t>(d.count());
  if (d.count() < 0) {
    out = "-"; // not readable by parse_duration; for messages only
    rest = ~rest + 1;
  }
  if (rest == 0)
    return "0s";
  for (const auto& u : units) {
    const auto n = rest / static_cast<uint64_t>(u.ms);
    rest %= static_cast<uint64_t>(u.ms);
    if (n != 0)
      out.append(std::to_string(n)).append(u.name);
  }
  return out;
}

} // namespace herald::flow

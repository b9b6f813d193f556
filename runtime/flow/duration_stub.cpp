// TEMPORARY: a simple parse_duration / format_duration so herald_flow links
// while runtime/flow/duration.cpp is written in another branch. Delete this
// file when duration.cpp lands (the two define the same symbols).

#include "runtime/flow/duration.hpp"

#include <cstdint>

#include "runtime/errc.hpp"

namespace herald::flow {

namespace {

struct unit {
  std::string_view name;
  int64_t ms;
};

// Largest first: parts must come in this order, each at most once.
constexpr unit units[] = {{"d", 86'400'000},
                          {"h", 3'600'000},
                          {"m", 60'000},
                          {"s", 1'000},
                          {"ms", 1}};

constexpr int64_t max_ms = int64_t{400} * 86'400'000;

} // namespace

caf::expected<millis> parse_duration(std::string_view text,
                                     std::string_view field) {
  auto bad = [&](std::string why) {
    return runtime::make_api_error(runtime::errc::invalid_field,
                                   std::string{field} + ": " + why + " in \"" +
                                       std::string{text} + "\"",
                                   std::string{field});
  };
  if (text.empty())
    return bad("empty duration");
  int64_t total = 0;
  size_t next_unit = 0; // index into units: the next allowed unit
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9')
      return bad("a number is missing");
    int64_t value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i] - '0');
      if (value > max_ms)
        return bad("more than 400 days");
      ++i;
    }
    size_t start = i;
    while (i < text.size() && (text[i] < '0' || text[i] > '9'))
      ++i;
    auto name = text.substr(start, i - start);
    if (name.empty())
      return bad("a unit is missing");
    size_t k = 0;
    while (k < std::size(units) && units[k].name != name)
      ++k;
    if (k == std::size(units))
      return bad("unknown unit '" + std::string{name} + "'");
    if (k < next_unit)
      return bad("units must come largest first, each once");
    next_unit = k + 1;
    total += value * units[k].ms;
    if (total > max_ms)
      return bad("more than 400 days");
  }
  return millis{total};
}

std::string format_duration(millis d) {
  auto left = d.count();
  if (left <= 0)
    return "0s";
  std::string out;
  for (const auto& u : units) {
    if (left >= u.ms) {
      out += std::to_string(left / u.ms);
      out += u.name;
      left %= u.ms;
    }
  }
  return out;
}

} // namespace herald::flow

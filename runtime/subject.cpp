#include "runtime/subject.hpp"

#include <string>

#include "runtime/errc.hpp"

namespace herald::runtime {

namespace {

constexpr size_t max_subject_bytes = 256;

bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/// Calls `fn(segment, is_last)` for each '.'-separated segment (empty ones
/// included) until it returns false; returns false iff `fn` did.
template <class F>
bool for_each_segment(std::string_view s, F&& fn) {
  size_t start = 0;
  for (;;) {
    auto dot = s.find('.', start);
    if (dot == std::string_view::npos)
      return fn(s.substr(start), true);
    if (!fn(s.substr(start, dot - start), false))
      return false;
    start = dot + 1;
  }
}

bool is_name_segment(std::string_view seg) noexcept {
  if (seg.empty())
    return false;
  for (char c : seg)
    if (!is_name_char(c))
      return false;
  return true;
}

std::string printable(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f)
    return std::string{"'"} + c + "'";
  static constexpr char hex[] = "0123456789abcdef";
  return std::string{"byte 0x"} + hex[u >> 4] + hex[u & 0xf];
}

/// Why `pattern` is not a valid pattern, or an empty string when it is.
std::string pattern_problem(std::string_view pattern) {
  if (pattern.empty())
    return "pattern is empty";
  if (pattern.size() > max_subject_bytes)
    return "pattern is longer than 256 bytes";
  std::string why;
  size_t index = 0;
  for_each_segment(pattern, [&](std::string_view seg, bool last) {
    ++index;
    auto where = "segment " + std::to_string(index);
    if (seg.empty()) {
      why = where + " is empty";
      return false;
    }
    if (seg == "*")
      return true;
    if (seg == ">") {
      if (!last)
        why = "'>' is only allowed as the last segment";
      return last;
    }
    for (char c : seg) {
      if (c == '*' || c == '>') {
        why = where + " '" + std::string{seg} +
              "' mixes a wildcard with other characters";
        return false;
      }
      if (!is_name_char(c)) {
        why = where + " contains " + printable(c) +
              " (allowed: A-Z a-z 0-9 _ - and the wildcards * >)";
        return false;
      }
    }
    return true;
  });
  return why;
}

} // namespace

bool is_valid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > max_subject_bytes)
    return false;
  return for_each_segment(
      name, [](std::string_view seg, bool) { return is_name_segment(seg); });
}

caf::error validate_pattern(std::string_view pattern, std::string_view field) {
  auto why = pattern_problem(pattern);
  if (why.empty())
    return {};
  return make_api_error(errc::invalid_pattern, std::move(why),
                        std::string{field});
}

bool is_valid_pattern(std::string_view pattern) noexcept {
  if (pattern.empty() || pattern.size() > max_subject_bytes)
    return false;
  return for_each_segment(pattern, [](std::string_view seg, bool last) {
    if (seg == "*")
      return true;
    if (seg == ">")
      return last;
    return is_name_segment(seg);
  });
}

bool is_literal_pattern(std::string_view pattern) noexcept {
  return for_each_segment(pattern, [](std::string_view seg, bool) {
    return seg != "*" && seg != ">";
  });
}

bool pattern_matches(std::string_view pattern, std::string_view name) noexcept {
  if (!is_valid_pattern(pattern) || !is_valid_name(name))
    return false;
  // Walk both in lockstep; both are valid, so segments are non-empty.
  size_t p = 0;
  size_t n = 0;
  for (;;) {
    auto p_end = pattern.find('.', p);
    auto p_seg = pattern.substr(p, p_end == std::string_view::npos
                                       ? std::string_view::npos
                                       : p_end - p);
    if (p_seg == ">")
      return true; // at least one name segment remains here
    auto n_end = name.find('.', n);
    auto n_seg =
        name.substr(n, n_end == std::string_view::npos ? std::string_view::npos
                                                       : n_end - n);
    if (p_seg != "*" && p_seg != n_seg)
      return false;
    bool p_done = p_end == std::string_view::npos;
    bool n_done = n_end == std::string_view::npos;
    if (p_done || n_done)
      return p_done && n_done;
    p = p_end + 1;
    n = n_end + 1;
  }
}

} // namespace herald::runtime

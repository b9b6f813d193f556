#include "runtime/time_format.hpp"

#include <chrono>

namespace herald::runtime {

namespace {

constexpr int64_t ns_per_sec = 1'000'000'000;

bool is_leap(int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int64_t y, int m) noexcept {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) noexcept {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct civil {
  int64_t y;
  int m;
  int d;
};

civil civil_from_days(int64_t z) noexcept {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Reads exactly `n` digits at `pos`; false when any is not a digit.
bool read_digits(std::string_view s, size_t pos, size_t n,
                 int64_t& out) noexcept {
  if (pos + n > s.size())
    return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i]))
      return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

void put_digits(std::string& out, int64_t v, int width) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

} // namespace

std::optional<int64_t> parse_rfc3339(std::string_view s) noexcept {
  // YYYY-MM-DDTHH:MM:SS[.F{1,9}](Z|±HH:MM)
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (s.size() < 20 || !read_digits(s, 0, 4, year) || s[4] != '-' ||
      !read_digits(s, 5, 2, month) || s[7] != '-' ||
      !read_digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !read_digits(s, 11, 2, hour) || s[13] != ':' ||
      !read_digits(s, 14, 2, minute) || s[16] != ':' ||
      !read_digits(s, 17, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 ||
      day > days_in_month(year, static_cast<int>(month)) || hour > 23 ||
      minute > 59 || second > 59)
    return std::nullopt;
  size_t pos = 19;
  int64_t frac = 0;
  if (s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < s.size() && is_digit(s[pos])) {
      if (++digits > 9)
        return std::nullopt;
      frac = frac * 10 + (s[pos] - '0');
      ++pos;
    }
    if (digits == 0)
      return std::nullopt;
    for (; digits < 9; ++digits)
      frac *= 10;
  }
  if (pos >= s.size())
    return std::nullopt;
  int64_t offset_sec = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int64_t oh = 0, om = 0;
    if (!read_digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() ||
        s[pos + 3] != ':' || !read_digits(s, pos + 4, 2, om) || oh > 23 ||
        om > 59)
      return std::nullopt;
    offset_sec = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size())
    return std::nullopt;
  const int64_t secs = days_from_civil(year, month, day) * 86400 + hour * 3600 +
                       minute * 60 + second - offset_sec;
  // Before 1970 with a fraction, secs * 1e9 alone may pass INT64_MIN
  // although the instant does not: borrow one second from the fraction.
  const bool borrow = secs < 0 && frac > 0;
  int64_t ns = 0;
  if (__builtin_mul_overflow(secs + borrow, ns_per_sec, &ns) ||
      __builtin_add_overflow(ns, frac - (borrow ? ns_per_sec : 0), &ns))
    return std::nullopt;
  return ns;
}

std::string format_rfc3339(int64_t unix_ns) {
  int64_t secs = unix_ns / ns_per_sec;
  int64_t frac = unix_ns % ns_per_sec;
  if (frac < 0) {
    frac += ns_per_sec;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  const civil c = civil_from_days(days);
  std::string out;
  out.reserve(30);
  put_digits(out, c.y, 4);
  out += '-';
  put_digits(out, c.m, 2);
  out += '-';
  put_digits(out, c.d, 2);
  out += 'T';
  put_digits(out, sod / 3600, 2);
  out += ':';
  put_digits(out, sod / 60 % 60, 2);
  out += ':';
  put_digits(out, sod % 60, 2);
  if (frac != 0) {
    int width = 9;
    while (frac % 10 == 0) {
      frac /= 10;
      --width;
    }
    out += '.';
    put_digits(out, frac, width);
  }
  out += 'Z';
  return out;
}

int64_t now_unix_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace herald::runtime

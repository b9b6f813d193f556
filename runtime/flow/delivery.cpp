#include "runtime/flow/delivery.hpp"

#include <algorithm>
#include <ctime>
#include <limits>

#include <nlohmann/json.hpp>

#include "runtime/event_codec.hpp"
#include "runtime/flow/template.hpp"
#include "runtime/webhook_signature.hpp"

namespace herald::flow {

namespace {

using json = nlohmann::json;

constexpr millis one_day{std::chrono::hours{24}};
constexpr int64_t ns_per_ms = 1'000'000;
constexpr int64_t ns_per_s = 1'000'000'000;

std::string dump(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// The value of `${body}` in a Slack text, or nullptr: the same paths as
/// template.hpp (dot-separated keys, digits also index arrays) under the
/// `event` root, the only root a Slack template may name.
const json* lookup(std::string_view body, const json& event) {
  auto dot = body.find('.');
  if (body.substr(0, dot) != "event")
    return nullptr;
  const json* v = &event;
  while (dot != std::string_view::npos) {
    auto start = dot + 1;
    dot = body.find('.', start);
    auto key = body.substr(start, dot == std::string_view::npos
                                      ? std::string_view::npos
                                      : dot - start);
    if (v->is_object()) {
      auto it = v->find(key);
      if (it == v->end())
        return nullptr;
      v = &*it;
    } else if (v->is_array() && !key.empty() && key.size() < 10 &&
               std::all_of(key.begin(), key.end(),
                           [](char c) { return c >= '0' && c <= '9'; })) {
      size_t i = 0;
      for (char c : key)
        i = i * 10 + static_cast<size_t>(c - '0');
      if (i >= v->size())
        return nullptr;
      v = &(*v)[i];
    } else {
      return nullptr;
    }
  }
  return v;
}

/// Renders `text` as flow::render_text does, except that a placeholder
/// without a value (or one that is malformed) becomes empty text: what a
/// Slack message shows for an event that lacks a field.
std::string render_lenient(std::string_view text, const json& event) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 3) == "$${") {
      out += "${";
      i += 3;
      continue;
    }
    if (text.substr(i, 2) != "${") {
      out += text[i++];
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      out += text.substr(i);
      break;
    }
    if (const json* v = lookup(text.substr(i + 2, close - i - 2), event))
      out += v->is_string() ? v->get_ref<const std::string&>() : dump(*v);
    i = close + 1;
  }
  return out;
}

std::string slack_text(const destination& dest, const v1::Event& ev) {
  const json event = runtime::to_native_json(ev);
  template_context ctx;
  ctx.event = &event;
  if (auto text = render_text(dest.slack_template, ctx))
    return std::move(*text);
  return render_lenient(dest.slack_template, event);
}

bool is_emoji(std::string_view icon) noexcept {
  return icon.size() >= 3 && icon.front() == ':' && icon.back() == ':';
}

bool two_digits(std::string_view s, size_t at, int& out) noexcept {
  if (at + 2 > s.size() || s[at] < '0' || s[at] > '9' || s[at + 1] < '0' ||
      s[at + 1] > '9')
    return false;
  out = (s[at] - '0') * 10 + (s[at + 1] - '0');
  return true;
}

/// IMF-fixdate (RFC 9110 §5.6.7), "Sun, 06 Nov 1994 08:49:37 GMT", as Unix
/// seconds.
std::optional<int64_t> parse_imf_fixdate(std::string_view s) noexcept {
  static constexpr std::string_view days[] = {"Mon", "Tue", "Wed", "Thu",
                                              "Fri", "Sat", "Sun"};
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr",
                                                "May", "Jun", "Jul", "Aug",
                                                "Sep", "Oct", "Nov", "Dec"};
  // 0123456789012345678901234567890
  // Sun, 06 Nov 1994 08:49:37 GMT
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' ||
      s[16] != ' ' || s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return std::nullopt;
  if (std::find(std::begin(days), std::end(days), s.substr(0, 3)) ==
      std::end(days))
    return std::nullopt;
  auto month = std::find(std::begin(months), std::end(months), s.substr(8, 3));
  if (month == std::end(months))
    return std::nullopt;
  const auto mon = static_cast<unsigned>(month - std::begin(months)) + 1;
  int day = 0, y_hi = 0, y_lo = 0, hour = 0, minute = 0, second = 0;
  if (!two_digits(s, 5, day) || !two_digits(s, 12, y_hi) ||
      !two_digits(s, 14, y_lo) || !two_digits(s, 17, hour) ||
      !two_digits(s, 20, minute) || !two_digits(s, 23, second))
    return std::nullopt;
  const int year = y_hi * 100 + y_lo;
  static constexpr int month_days[] = {31, 29, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int last = mon == 2 && !leap ? 28 : month_days[mon - 1];
  if (day < 1 || day > last || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  if (second == 60) // a leap second: the instant after :59
    second = 59;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = static_cast<int>(mon) - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)); // UTC, whatever TZ says
}

} // namespace

delivery_request make_request(const destination& dest, const v1::Event& ev,
                              const std::vector<std::string>& secrets,
                              int64_t now_s) {
  delivery_request req;
  req.url = dest.url;
  if (dest.type == destination_type::slack) {
    json body{{"text", slack_text(dest, ev)}};
    if (!dest.slack_username.empty())
      body["username"] = dest.slack_username;
    if (is_emoji(dest.slack_icon))
      body["icon_emoji"] = dest.slack_icon;
    else if (!dest.slack_icon.empty())
      body["icon_url"] = dest.slack_icon;
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = dump(body);
    return req;
  }
  const bool ce = dest.format == payload_format::cloudevents;
  req.body = ce ? runtime::to_cloudevent_json_text(ev)
                : runtime::to_native_json_text(ev);
  req.headers.emplace_back("Content-Type", ce ? "application/cloudevents+json"
                                              : "application/json");
  req.headers.insert(req.headers.end(), dest.headers.begin(),
                     dest.headers.end());
  req.headers.emplace_back("webhook-id", ev.id());
  req.headers.emplace_back("webhook-timestamp", std::to_string(now_s));
  std::string signatures;
  for (const auto& key : secrets) {
    if (!signatures.empty())
      signatures += ' ';
    signatures += runtime::webhook_signature(key, ev.id(), now_s, req.body);
  }
  if (!signatures.empty())
    req.headers.emplace_back("webhook-signature", std::move(signatures));
  return req;
}

answer_class classify(long status) noexcept {
  if (status >= 200 && status <= 299)
    return answer_class::delivered;
  if (status == 0 || status == 408 || status == 429 ||
      (status >= 500 && status <= 599))
    return answer_class::retry;
  if (status == 410)
    return answer_class::gone;
  return answer_class::permanent;
}

std::optional<millis> parse_retry_after(std::string_view value,
                                        int64_t now_ns) noexcept {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
  if (value.empty())
    return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t seconds = 0;
    for (char c : value) {
      seconds = seconds * 10 + (c - '0');
      if (seconds > one_day.count() / 1000)
        return one_day;
    }
    return millis{seconds * 1000};
  }
  auto at = parse_imf_fixdate(value);
  if (!at)
    return std::nullopt;
  // Compare in seconds first: a date far off would overflow nanoseconds.
  const int64_t now_s = now_ns / ns_per_s;
  if (*at > now_s + one_day.count() / 1000 + 1)
    return one_day;
  if (*at < now_s - 1)
    return std::nullopt;
  const int64_t wait_ns =
      (*at - now_s) * ns_per_s - (now_ns - now_s * ns_per_s);
  if (wait_ns < 0)
    return std::nullopt;
  // Round up: never earlier than the server asked.
  return std::min(one_day, millis{(wait_ns + ns_per_ms - 1) / ns_per_ms});
}

millis next_backoff(const retry_policy& policy, uint32_t attempt,
                    std::optional<millis> retry_after, std::mt19937_64& rng) {
  const int64_t cap =
      std::clamp(policy.max_backoff.count(), int64_t{0}, one_day.count());
  int64_t d = std::clamp(policy.initial_backoff.count(), int64_t{0}, cap);
  const uint32_t doublings = attempt > 1 ? attempt - 1 : 0;
  // d · 2^doublings > cap  ⇔  d > cap >> doublings (no overflow).
  if (d > 0 && (doublings >= 63 || d > (cap >> doublings)))
    d = cap;
  else
    d <<= doublings;
  std::uniform_int_distribution<int64_t> jitter{d / 2, d};
  millis wait{jitter(rng)};
  if (retry_after)
    wait = std::max(wait, *retry_after);
  return std::clamp(wait, millis{0}, one_day);
}

bool exhausted(const retry_policy& policy, uint32_t attempts,
               int64_t first_attempt_ns, int64_t next_attempt_ns) noexcept {
  if (attempts >= policy.max_attempts)
    return true;
  if (next_attempt_ns <= first_attempt_ns)
    return policy.max_age.count() < 0;
  // The difference of two int64 fits in uint64 when it is positive.
  const uint64_t age = static_cast<uint64_t>(next_attempt_ns) -
                       static_cast<uint64_t>(first_attempt_ns);
  const int64_t max_age_ms = policy.max_age.count();
  if (max_age_ms < 0)
    return true;
  if (static_cast<uint64_t>(max_age_ms) >
      std::numeric_limits<uint64_t>::max() / ns_per_ms)
    return false;
  return age > static_cast<uint64_t>(max_age_ms) * ns_per_ms;
}

std::string describe_failure(long status, std::string_view transport_error) {
  if (status != 0)
    return "HTTP " + std::to_string(status);
  if (transport_error.empty())
    return "no answer";
  return std::string{transport_error};
}

} // namespace herald::flow

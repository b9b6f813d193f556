// The rules of delivering one event (runtime/flow/delivery.hpp).

#include "runtime/flow/delivery.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime/base64.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/webhook_signature.hpp"

namespace herald::flow {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

v1::Event sample_event() {
  v1::Event ev;
  ev.set_id("0190c0de-0000-7000-8000-000000000001");
  ev.set_name("iam.user.created");
  ev.set_source("iam-service");
  ev.set_time_ns(1'700'000'000'000'000'000);
  ev.set_user("alice");
  ev.set_data_json(R"({"plan":"pro","seats":[3,4]})");
  ev.set_seq(7);
  return ev;
}

std::string header(const delivery_request& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name)
      return v;
  return "<absent>";
}

destination webhook() {
  destination d;
  d.url = "https://example.com/hook";
  return d;
}

destination slack(std::string tmpl) {
  destination d;
  d.type = destination_type::slack;
  d.url = "https://hooks.slack.com/services/x";
  d.slack_template = std::move(tmpl);
  return d;
}

// --- make_request -----------------------------------------------------------

TEST(make_request, webhook_native_with_standard_webhooks_headers) {
  auto d = webhook();
  d.headers = {{"Authorization", "Bearer t"}, {"X-Team", "core"}};
  const auto ev = sample_event();
  const std::string key = "0123456789abcdef0123";
  auto r = make_request(d, ev, {key}, 1'700'000'123);
  EXPECT_EQ(r.url, d.url);
  EXPECT_EQ(r.body, runtime::to_native_json_text(ev));
  ASSERT_EQ(r.headers.size(), 6u);
  EXPECT_EQ(r.headers[0].first, "Content-Type");
  EXPECT_EQ(r.headers[0].second, "application/json");
  EXPECT_EQ(r.headers[1].first, "Authorization");
  EXPECT_EQ(r.headers[2].first, "X-Team");
  EXPECT_EQ(r.headers[3],
            (std::pair<std::string, std::string>{"webhook-id", ev.id()}));
  EXPECT_EQ(r.headers[4], (std::pair<std::string, std::string>{
                              "webhook-timestamp", "1700000123"}));
  EXPECT_EQ(r.headers[5].first, "webhook-signature");
  // The signature a receiver computes from what it got.
  const auto mac = runtime::hmac_sha256(
      key, header(r, "webhook-id") + "." + header(r, "webhook-timestamp") +
               "." + r.body);
  EXPECT_EQ(r.headers[5].second, "v1," + runtime::encode_base64(mac));
}

TEST(make_request, webhook_cloudevents) {
  auto d = webhook();
  d.format = payload_format::cloudevents;
  const auto ev = sample_event();
  auto r = make_request(d, ev, {"k"}, 1);
  EXPECT_EQ(header(r, "Content-Type"), "application/cloudevents+json");
  EXPECT_EQ(r.body, runtime::to_cloudevent_json_text(ev));
  EXPECT_EQ(header(r, "webhook-signature"),
            runtime::webhook_signature("k", ev.id(), 1, r.body));
}

TEST(make_request, one_signature_per_secret_newest_first) {
  const auto ev = sample_event();
  auto r = make_request(webhook(), ev, {"new", "old"}, 42);
  EXPECT_EQ(header(r, "webhook-signature"),
            runtime::webhook_signature("new", ev.id(), 42, r.body) + " " +
                runtime::webhook_signature("old", ev.id(), 42, r.body));
  // Without a secret there is nothing to sign with.
  r = make_request(webhook(), ev, {}, 42);
  EXPECT_EQ(header(r, "webhook-signature"), "<absent>");
  EXPECT_EQ(header(r, "webhook-id"), ev.id());
}

TEST(make_request, slack_default_template) {
  auto d = slack(destination{}.slack_template);
  d.slack_username = "herald";
  d.slack_icon = ":bell:";
  auto r = make_request(d, sample_event(), {"ignored"}, 1);
  EXPECT_EQ(r.url, d.url);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(header(r, "Content-Type"), "application/json");
  EXPECT_EQ(json::parse(r.body),
            json({{"text", R"(iam.user.created: {"plan":"pro","seats":[3,4]})"},
                  {"username", "herald"},
                  {"icon_emoji", ":bell:"}}));
}

TEST(make_request, slack_icon_url_and_no_extras) {
  auto d = slack("${event.user} joined");
  d.slack_icon = "https://example.com/i.png";
  auto body = json::parse(make_request(d, sample_event(), {}, 1).body);
  EXPECT_EQ(body, json({{"text", "alice joined"},
                        {"icon_url", "https://example.com/i.png"}}));
  d.slack_icon.clear();
  body = json::parse(make_request(d, sample_event(), {}, 1).body);
  EXPECT_EQ(body, json({{"text", "alice joined"}}));
}

TEST(make_request, slack_placeholder_without_value_renders_empty) {
  auto ev = sample_event();
  auto text = [&](std::string tmpl) {
    return json::parse(make_request(slack(std::move(tmpl)), ev, {}, 1).body)
        .at("text")
        .get<std::string>();
  };
  EXPECT_EQ(text("${event.name} by [${event.tenant}] plan ${event.data.plan}"),
            "iam.user.created by [] plan pro");
  // Paths, array indexes, non-string values and escapes, as the template
  // renderer writes them, alongside a missing value.
  EXPECT_EQ(text("${event.data.seats.1} ${event.data.seats} ${event.seq} "
                 "$${x} ${event.data.nope.deeper}|"),
            "4 [3,4] 7 ${x} |");
  EXPECT_EQ(text("${event.data.seats.1} ${event.data.seats} ${event.seq} "
                 "$${x}|"),
            "4 [3,4] 7 ${x}|");
  // An event without data: the default template still renders.
  ev.clear_data_json();
  EXPECT_EQ(text(destination{}.slack_template), "iam.user.created: ");
  // A hand-built template that parse() would refuse never fails either.
  EXPECT_EQ(text("${input.x}a${event.name"), "a${event.name");
}

// --- classify
// -----------------------------------------------------------------

TEST(classify, table) {
  struct row {
    long status;
    answer_class cls;
  };
  for (auto [status, cls] :
       {row{0, answer_class::retry},       row{100, answer_class::permanent},
        row{199, answer_class::permanent}, row{200, answer_class::delivered},
        row{201, answer_class::delivered}, row{204, answer_class::delivered},
        row{299, answer_class::delivered}, row{300, answer_class::permanent},
        row{301, answer_class::permanent}, row{304, answer_class::permanent},
        row{400, answer_class::permanent}, row{401, answer_class::permanent},
        row{403, answer_class::permanent}, row{404, answer_class::permanent},
        row{408, answer_class::retry},     row{409, answer_class::permanent},
        row{410, answer_class::gone},      row{413, answer_class::permanent},
        row{422, answer_class::permanent}, row{429, answer_class::retry},
        row{499, answer_class::permanent}, row{500, answer_class::retry},
        row{502, answer_class::retry},     row{503, answer_class::retry},
        row{504, answer_class::retry},     row{599, answer_class::retry},
        row{600, answer_class::permanent}})
    EXPECT_EQ(classify(status), cls) << status;
}

// --- Retry-After
// ----------------------------------------------------------------

constexpr int64_t s_ns = 1'000'000'000;
// Wed, 21 Oct 2015 07:28:00 GMT
constexpr int64_t oct21 = 1'445'412'480;

TEST(parse_retry_after, delta_seconds) {
  EXPECT_EQ(parse_retry_after("120", 0), millis{120'000});
  EXPECT_EQ(parse_retry_after(" 5 ", 0), millis{5'000});
  EXPECT_EQ(parse_retry_after("0", 0), millis{0});
  EXPECT_EQ(parse_retry_after("86400", 0), 24h);
  EXPECT_EQ(parse_retry_after("86401", 0), 24h);
  EXPECT_EQ(parse_retry_after("99999999999999999999999999", 0), 24h);
  for (auto bad : {"", " ", "-1", "+1", "1.5", "1e3", "12a", "soon"})
    EXPECT_FALSE(parse_retry_after(bad, 0)) << bad;
}

TEST(parse_retry_after, http_date) {
  const int64_t now = oct21 * s_ns;
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now - 90 * s_ns),
            millis{90'000});
  // Rounded up to the millisecond: never before the instant asked for.
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now - 1),
            millis{1});
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), millis{0});
  // In the past.
  EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now + 1));
  EXPECT_FALSE(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now));
  // Far ahead: capped at a day.
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), 24h);
  EXPECT_EQ(parse_retry_after("Thu, 22 Oct 2015 07:28:01 GMT", now), 24h);
  // Leap years.
  EXPECT_EQ(parse_retry_after("Thu, 29 Feb 2024 00:00:00 GMT",
                              1'709'164'800 * s_ns - 2 * s_ns),
            millis{2'000});
  for (auto bad :
       {"Wed, 21 Oct 2015 07:28:00 UTC", "Wed, 21 Oct 2015 07:28:00",
        "Wednesday, 21-Oct-15 07:28:00 GMT", "Wed Oct 21 07:28:00 2015",
        "Wed, 21 Oct 2015 24:00:00 GMT", "Wed, 32 Oct 2015 07:28:00 GMT",
        "Wed, 00 Oct 2015 07:28:00 GMT", "Fri, 29 Feb 2019 00:00:00 GMT",
        "Wed, 21 Foo 2015 07:28:00 GMT", "Xyz, 21 Oct 2015 07:28:00 GMT",
        "Wed, 21 Oct 2015 07:60:00 GMT", "Wed, 2x Oct 2015 07:28:00 GMT"})
    EXPECT_FALSE(parse_retry_after(bad, 0)) << bad;
}

// --- backoff
// ------------------------------------------------------------------

TEST(next_backoff, doubles_within_equal_jitter_and_caps) {
  retry_policy p;
  p.initial_backoff = 1s;
  p.max_backoff = 5min;
  std::mt19937_64 rng{7};
  for (uint32_t attempt = 1; attempt <= 12; ++attempt) {
    const millis d = std::min<millis>(
        millis{1000} * (int64_t{1} << (attempt - 1)), p.max_backoff);
    millis lo = d, hi = millis{0};
    for (int i = 0; i < 200; ++i) {
      auto w = next_backoff(p, attempt, std::nullopt, rng);
      ASSERT_GE(w, d / 2) << attempt;
      ASSERT_LE(w, d) << attempt;
      lo = std::min(lo, w);
      hi = std::max(hi, w);
    }
    // The draw spreads over the range (not a constant).
    EXPECT_LT(lo, d * 3 / 5) << attempt;
    EXPECT_GT(hi, d * 9 / 10) << attempt;
  }
}

TEST(next_backoff, huge_attempts_do_not_overflow) {
  retry_policy p;
  p.initial_backoff = 1s;
  p.max_backoff = 24h;
  std::mt19937_64 rng{1};
  for (uint32_t attempt : {40u, 62u, 63u, 64u, 65u, 1000u, 4294967295u}) {
    auto w = next_backoff(p, attempt, std::nullopt, rng);
    EXPECT_GE(w, 12h) << attempt;
    EXPECT_LE(w, 24h) << attempt;
  }
  // Attempt 0 is read as the first retry.
  EXPECT_LE(next_backoff(p, 0, std::nullopt, rng), 1s);
}

TEST(next_backoff, retry_after_is_the_least_wait) {
  retry_policy p; // 1s initial
  std::mt19937_64 rng{3};
  EXPECT_EQ(next_backoff(p, 1, millis{30'000}, rng), millis{30'000});
  // A shorter Retry-After does not shorten the backoff.
  auto w = next_backoff(p, 1, millis{1}, rng);
  EXPECT_GE(w, 500ms);
  EXPECT_LE(w, 1s);
  // Retry-After beyond a day is capped.
  EXPECT_EQ(next_backoff(p, 1, 48h, rng), 24h);
}

TEST(next_backoff, same_seed_same_waits) {
  retry_policy p;
  std::mt19937_64 a{11}, b{11};
  for (uint32_t i = 1; i < 10; ++i)
    EXPECT_EQ(next_backoff(p, i, std::nullopt, a),
              next_backoff(p, i, std::nullopt, b));
}

// --- exhausted
// ------------------------------------------------------------------

TEST(exhausted, attempts_at_and_beyond_the_limit) {
  retry_policy p;
  p.max_attempts = 3;
  p.max_age = 1h;
  EXPECT_FALSE(exhausted(p, 0, 0, 0));
  EXPECT_FALSE(exhausted(p, 2, 0, 0));
  EXPECT_TRUE(exhausted(p, 3, 0, 0));
  EXPECT_TRUE(exhausted(p, 4, 0, 0));
}

TEST(exhausted, age_at_and_beyond_the_limit) {
  retry_policy p;
  p.max_attempts = 100;
  p.max_age = 1h;
  const int64_t first = 1'700'000'000 * s_ns;
  const int64_t hour = 3600 * s_ns;
  EXPECT_FALSE(exhausted(p, 1, first, first));
  EXPECT_FALSE(exhausted(p, 1, first, first + hour));
  EXPECT_TRUE(exhausted(p, 1, first, first + hour + 1));
  // Extreme instants do not overflow.
  EXPECT_TRUE(exhausted(p, 1, INT64_MIN, INT64_MAX));
  EXPECT_FALSE(exhausted(p, 1, INT64_MAX, INT64_MIN));
}

TEST(describe_failure, status_or_transport_error) {
  EXPECT_EQ(describe_failure(503, "ignored"), "HTTP 503");
  EXPECT_EQ(describe_failure(404, ""), "HTTP 404");
  EXPECT_EQ(describe_failure(0, "timed out after 10s"), "timed out after 10s");
  EXPECT_EQ(describe_failure(0, "connection refused"), "connection refused");
  EXPECT_EQ(describe_failure(0, ""), "no answer");
}

} // namespace
} // namespace herald::flow

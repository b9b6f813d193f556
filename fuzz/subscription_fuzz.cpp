// Fuzz target for topics, subscriptions and the delivery rules (DESIGN §4):
// the first byte picks the parser, the rest is its input.
//   0: topic document (PUT /api/v1/topics/{id}); a valid topic is matched
//      against fixed events
//   1: subscription document (PUT /api/v1/subscriptions/{id}); a valid one
//      is matched, stored and read back, and its request built
//   2: stored subscription document (what the node reads back); a valid
//      one must store as it read
//   3: Retry-After header value
// Errors must be DESIGN §7 error values; a crash, an exception or a
// disagreement is a bug.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/error_check.hpp"
#include "runtime/errc.hpp"
#include "runtime/flow/delivery.hpp"
#include "runtime/flow/subscription.hpp"

namespace {

using json = nlohmann::json;
namespace flow = herald::flow;

void check(bool ok) {
  if (!ok)
    std::abort();
}

template <class T>
bool ok_or_api_error(const caf::expected<T>& r, const char* what) {
  if (r)
    return true;
  herald::fuzz::check_error_body(r.error(), what);
  return false;
}

const std::vector<herald::v1::Event>& events() {
  static const auto evs = [] {
    std::vector<herald::v1::Event> out(3);
    out[0].set_id("e1");
    out[0].set_name("iam.user.created");
    out[0].set_source("iam-service");
    out[0].set_scope("project/a/b");
    out[0].set_user("alice");
    out[0].set_seq(7);
    out[0].set_data_json(R"({"plan":"pro","n":[1,{"k":null}]})");
    out[1].set_id("e2");
    out[1].set_name("billing.paid");
    out[1].set_data_bytes(std::string("\x00\xff", 2));
    out[2].set_id("e3");
    out[2].set_name("a");
    out[2].set_source("s");
    out[2].set_tenant("acme");
    out[2].set_data_json("\"\xff not utf-8\"");
    return out;
  }();
  return evs;
}

void exercise(const flow::subscription_def& s) {
  for (const auto& ev : events()) {
    (void)s.matches(ev, nullptr);
    auto r = flow::make_request(s.destination(), ev, {"key-a", "key-b"}, 1);
    check(!r.headers.empty() && r.url == s.destination().url);
    if (s.destination().type == flow::destination_type::slack) {
      auto body = json::parse(r.body, nullptr, false);
      check(body.is_object() && body.contains("text"));
    }
  }
  std::mt19937_64 rng{1};
  const auto& p = s.retry();
  for (uint32_t attempt : {1u, 2u, 20u, 100u}) {
    auto w = flow::next_backoff(p, attempt, std::nullopt, rng);
    check(w >= p.initial_backoff / 2 && w <= p.max_backoff);
  }
}

void topic(std::string_view text) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return;
  auto t = flow::topic_def::parse("t", doc);
  if (!ok_or_api_error(t, "subscription_fuzz/topic"))
    return;
  check(t->source() == doc && !t->rules().empty());
  for (const auto& ev : events()) {
    bool any = false;
    for (const auto& r : t->rules())
      any = any || r.matches(ev);
    check(any == t->matches(ev));
  }
}

void subscription(std::string_view text) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return;
  auto s = flow::subscription_def::parse("s", doc);
  if (!ok_or_api_error(s, "subscription_fuzz/subscription"))
    return;
  check(s->source() == doc && s->to_stored() == doc);
  exercise(*s);
  s->server().created_by = "alice";
  s->server().start_seq = 3;
  s->server().secret = "whsec_Zm9v";
  auto back = flow::subscription_def::parse_stored("s", s->to_stored());
  check(back && back->source() == doc && back->to_stored() == s->to_stored());
}

void stored(std::string_view text) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return;
  auto s = flow::subscription_def::parse_stored("s", doc);
  if (!ok_or_api_error(s, "subscription_fuzz/stored"))
    return;
  auto again = flow::subscription_def::parse_stored("s", s->to_stored());
  check(again && again->to_stored() == s->to_stored() &&
        again->source() == s->source());
  exercise(*s);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  std::string_view text{reinterpret_cast<const char*>(data) + 1, size - 1};
  switch (data[0] % 4) {
  case 0:
    topic(text);
    break;
  case 1:
    subscription(text);
    break;
  case 2:
    stored(text);
    break;
  case 3: {
    const int64_t now = 1'445'412'480'000'000'000; // 2015-10-21T07:28:00Z
    auto wait = flow::parse_retry_after(text, now);
    check(!wait ||
          (*wait >= flow::millis{0} && *wait <= std::chrono::hours{24}));
    break;
  }
  }
  return 0;
}

#pragma once

// The rules of delivering one event to a destination (DESIGN §4): what a
// request looks like, what an answer means, when to try again.
//
//   answer ─▶ classify ─▶ delivered (2xx)
//     ├▶ retry (no answer, 408, 429, 5xx) ─▶ backoff (Retry-After honoured)
//     │    └ attempts ≥ max_attempts, or past max_age ─▶ dead letter
//     ├▶ permanent (any other 4xx, 1xx/3xx) ─▶ dead letter
//     └▶ gone (410) ─▶ the subscription is disabled
//
// Pure: callers pass the clock and the random source.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "herald/v1/event.pb.h"
#include "runtime/flow/subscription.hpp"

namespace herald::flow {

/// One outbound request, ready to send.
struct delivery_request {
  std::string url;
  /// Every header to send (Content-Type first), in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// Builds the request for `ev`:
/// - webhook: the event as native JSON (runtime::to_native_json_text) or
///   CloudEvents structured JSON (`application/cloudevents+json`), the
///   destination's headers, then `webhook-id` (the event id),
///   `webhook-timestamp` (`now_s`) and `webhook-signature` (one `v1,…`
///   per secret: `secrets` in order, space-separated; see
///   runtime/webhook_signature.hpp);
/// - slack: `{"text": …, "username"?: …, "icon_emoji"|"icon_url"?: …}`
///   with text rendered from the template against the event's native JSON
///   (a placeholder without a value renders as empty text, so a template
///   checked at definition time never fails on an event).
/// `secrets` are the raw keys (decoded), newest first; slack ignores them.
delivery_request make_request(const destination& dest, const v1::Event& ev,
                              const std::vector<std::string>& secrets,
                              int64_t now_s);

enum class answer_class { delivered, retry, permanent, gone };

/// What an attempt's answer means: `status` is the HTTP status, 0 when no
/// answer came (connection refused, timeout, TLS failure, a response that
/// does not parse).
answer_class classify(long status) noexcept;

/// Reads a Retry-After value: delta-seconds ("120") or an HTTP-date
/// ("Wed, 21 Oct 2015 07:28:00 GMT", relative to `now_ns`); nullopt when it
/// is neither or lies in the past. Capped at 1 day.
std::optional<millis> parse_retry_after(std::string_view value,
                                        int64_t now_ns) noexcept;

/// The wait before attempt `attempt` + 1 after `attempt` failures (1 for
/// the first retry): initial_backoff · 2^(attempt-1) capped at
/// max_backoff, with "equal jitter" (a uniform draw in [d/2, d]); a
/// Retry-After, when given, is the least wait (still capped at 1 day).
millis next_backoff(const retry_policy& policy, uint32_t attempt,
                    std::optional<millis> retry_after, std::mt19937_64& rng);

/// Is an event that failed `attempts` times since `first_attempt_ns` due
/// to become a dead letter? (attempts ≥ max_attempts, or the next attempt
/// at `next_attempt_ns` would come after first_attempt + max_age.)
bool exhausted(const retry_policy& policy, uint32_t attempts,
               int64_t first_attempt_ns, int64_t next_attempt_ns) noexcept;

/// A short text for an attempt's failure, as last_error shows it:
/// "HTTP 503", or `transport_error` ("timed out after 10s", "connection
/// refused") when no status came.
std::string describe_failure(long status, std::string_view transport_error);

} // namespace herald::flow

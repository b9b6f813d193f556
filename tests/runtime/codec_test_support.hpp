#pragma once

// Helpers the codec tests share: decode a body that must hold exactly one
// event, or name the error code and field a body is refused with.

#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/time_format.hpp"

namespace herald::runtime::codec_test {

/// (code, field) of a refused body; ("accepted", "") when it was accepted.
using error_pair = std::pair<std::string, std::string>;

/// A body decoder: decode_publish, decode_create_event, ...
using body_decoder = caf::expected<publish_batch> (*)(std::string_view,
                                                      const publish_limits&,
                                                      int64_t);

/// The fixed "now" the codec tests decode at.
inline const int64_t fixed_now = parse_rfc3339("2026-11-22T10:00:00Z").value();

/// Decodes `body`, which must be accepted and hold exactly one event.
inline v1::Event decode_one_with(body_decoder decode, const std::string& body,
                                 int64_t now = fixed_now) {
  auto batch = decode(body, {}, now);
  if (!batch) {
    ADD_FAILURE() << body << " -> " << describe(batch.error()).to_json();
    return {};
  }
  EXPECT_EQ(batch->events.size(), 1u);
  return batch->events.empty() ? v1::Event{} : batch->events.front();
}

inline error_pair error_of_with(body_decoder decode, const std::string& body,
                                int64_t now = fixed_now) {
  auto batch = decode(body, {}, now);
  if (batch)
    return {"accepted", ""};
  auto e = describe(batch.error());
  return {std::string{e.code_str()}, e.field};
}

} // namespace herald::runtime::codec_test

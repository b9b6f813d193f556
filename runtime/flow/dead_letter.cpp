#include "runtime/flow/dead_letter.hpp"

#include <cstdio>

#include "runtime/base64.hpp"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/time_format.hpp"

namespace herald::flow {

std::string dead_letter::to_stored() const {
  std::string bytes;
  event.SerializeToString(&bytes);
  nlohmann::json j{{"event_pb", runtime::encode_base64(bytes)},
                   {"event_id", event.id()},
                   {"seq", event.seq()},
                   {"attempts", attempts},
                   {"last_error", last_error},
                   {"first_attempt_ns", first_attempt_ns},
                   {"last_attempt_ns", last_attempt_ns}};
  return j.dump();
}

caf::expected<dead_letter> dead_letter::parse_stored(std::string_view text) {
  auto bad = [] {
    return runtime::make_api_error(runtime::errc::invalid_field,
                                   "not a dead letter", "dead_letter");
  };
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object())
    return bad();
  auto pb = j.find("event_pb");
  if (pb == j.end() || !pb->is_string())
    return bad();
  auto bytes = runtime::decode_base64(pb->get<std::string>());
  dead_letter d;
  if (!bytes || !d.event.ParseFromString(*bytes))
    return bad();
  try {
    d.attempts = j.value("attempts", 0u);
    d.last_error = j.value("last_error", std::string{});
    d.first_attempt_ns = j.value("first_attempt_ns", int64_t{0});
    d.last_attempt_ns = j.value("last_attempt_ns", int64_t{0});
  } catch (const nlohmann::json::exception&) {
    return bad();
  }
  return d;
}

nlohmann::json dead_letter::to_api_json() const {
  nlohmann::json j{{"event", runtime::to_native_json(event)},
                   {"attempts", attempts},
                   {"last_error", last_error}};
  if (first_attempt_ns != 0)
    j["first_attempt"] = runtime::format_rfc3339(first_attempt_ns);
  if (last_attempt_ns != 0)
    j["last_attempt"] = runtime::format_rfc3339(last_attempt_ns);
  return j;
}

std::string dead_letter_prefix(std::string_view subscription_id) {
  return "dead-letter/" + std::string{subscription_id} + "/";
}

std::string dead_letter_key(std::string_view subscription_id, uint64_t seq) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020llu",
                static_cast<unsigned long long>(seq));
  return dead_letter_prefix(subscription_id) + digits;
}

} // namespace herald::flow

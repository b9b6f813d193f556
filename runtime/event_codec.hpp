#pragma once

// Conversion between Herald's event (herald.v1.Event) and the JSON shapes of
// DESIGN §2/§7: the native form, CloudEvents 1.0 (structured, batch, binary),
// seed 001's envelope and seed 002's lifecycle shape. Pure functions,
// thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include "herald/v1/event.pb.h"

namespace herald::runtime {

struct publish_limits {
  size_t max_batch = 10000;            ///< events in one request
  size_t max_event_bytes = 1024 * 1024; ///< serialized size of one event
};

/// A decoded publish request: the events in input order, validated, each
/// with an id (UUIDv7 when none was given), time (default: now), kind user.
/// `seq`, `node`, `accept_time_ns` are left 0/empty for the writer to set.
struct publish_batch {
  std::vector<v1::Event> events;
  bool is_array = false; ///< the body was an array: reply with {"events":[...]}
};

/// Decodes a JSON publish body: one object or an array of objects, each in
/// any accepted shape, detected per object:
///  - CloudEvents structured (has `specversion`)
///  - seed 002 lifecycle (has `event_type` and `event_id`)
///  - seed 001 envelope (has `headers.name`)
///  - otherwise the native form.
/// Errors carry a JSON Pointer into the body (`/3/name`, or `/name` for a
/// single object). An empty array, more than limits.max_batch events, or any
/// invalid event rejects the whole request.
caf::expected<publish_batch> decode_publish(std::string_view body,
                                            const publish_limits& limits,
                                            int64_t now_ns);

/// Decodes a binary-mode CloudEvent: `ce-*` headers (names lower-case) carry
/// the attributes, the body is the data in `content_type`.
caf::expected<publish_batch>
decode_cloudevent_binary(const std::vector<std::pair<std::string, std::string>>& headers,
                         std::string_view content_type, std::string_view body,
                         const publish_limits& limits, int64_t now_ns);

/// Decodes one native-form event object (fields of DESIGN §2). `pointer` is
/// the JSON Pointer of `obj` in the request for error fields ("" or "/3").
caf::expected<v1::Event> decode_native(const nlohmann::json& obj,
                                       std::string_view pointer, int64_t now_ns);

/// Validation shared by every shape, applied after mapping: name, id (assigns
/// a UUIDv7 when empty), scope, allowed_groups, traceparent, sizes.
caf::error validate_event(v1::Event& ev, std::string_view pointer,
                          const publish_limits& limits, int64_t now_ns);

/// Native JSON form of a stored event (absent optional fields omitted).
nlohmann::json to_native_json(const v1::Event& ev);
std::string to_native_json_text(const v1::Event& ev);

/// A system event (`kind:"sys"`, `source:"herald"`) with JSON `data`.
v1::Event make_system_event(std::string name, const nlohmann::json& data,
                            int64_t now_ns);

/// Is `scope` '/'-separated non-empty segments of [A-Za-z0-9._~@:+-]?
bool is_valid_scope(std::string_view scope) noexcept;

/// Is `id` 1-256 printable ASCII characters (0x21-0x7e and space inside)?
bool is_valid_id(std::string_view id) noexcept;

} // namespace herald::runtime

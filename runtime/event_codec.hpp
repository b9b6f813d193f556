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

/// Limits of one publish request; over one → errc::too_large (depth:
/// errc::invalid_json).
struct publish_limits {
  size_t max_batch = 10000;             ///< events in one request
  size_t max_event_bytes = 1024 * 1024; ///< serialized size of one event
  /// Nesting of arrays/objects in a body, the batch array and the event
  /// object included. Bounds the recursion of JSON copies and dumps.
  size_t max_json_depth = 128;
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

/// Decodes a binary-mode CloudEvent: `ce-*` headers (names compared
/// case-insensitively; other headers ignored; values percent-decoded per the
/// CloudEvents HTTP binding) carry the attributes, the body is the data in
/// `content_type`: a JSON media type (application/json, text/json,
/// */*+json) is parsed into data_json, anything else kept as data_bytes, an
/// empty body is no data. Error fields are header names (`ce-type`), or ""
/// for the body.
caf::expected<publish_batch> decode_cloudevent_binary(
    const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view content_type, std::string_view body,
    const publish_limits& limits, int64_t now_ns);

/// Decodes one event object of any accepted shape (as decode_publish does
/// for each element) and validates it. `pointer` is the JSON Pointer of
/// `obj` in the request for error fields ("" or "/3").
caf::expected<v1::Event> decode_event_object(const nlohmann::json& obj,
                                             std::string_view pointer,
                                             const publish_limits& limits,
                                             int64_t now_ns);

/// Decodes one native-form event object (fields of DESIGN §2): checks JSON
/// types, rejects `origin`, `kind:"sys"` and unknown fields, maps the rest;
/// time defaults to `now_ns`. Call validate_event() on the result for the
/// shared checks (id assignment, lengths, sizes). `pointer` is the JSON
/// Pointer of `obj` in the request for error fields ("" or "/3").
caf::expected<v1::Event> decode_native(const nlohmann::json& obj,
                                       std::string_view pointer,
                                       int64_t now_ns);

/// Validation shared by every shape, applied after mapping: name, id (assigns
/// a UUIDv7 from `now_ns` when empty), time (0 = unset: becomes `now_ns`),
/// source/tenant/user (<= 256 bytes), scope, allowed_groups (<= 64 entries
/// of 1-256 bytes), traceparent, extension names, valid UTF-8 in every
/// string, serialized size <= limits.max_event_bytes. Error fields are
/// native JSON Pointers under `pointer` (`/3/allowed_groups/0`).
caf::error validate_event(v1::Event& ev, std::string_view pointer,
                          const publish_limits& limits, int64_t now_ns);

/// Native JSON form of a stored event (absent optional fields omitted, never
/// null; `origin` only with its non-empty subfields; `seq`/`node` when set;
/// accept_time_ns is not shown). Never throws except bad_alloc.
nlohmann::json to_native_json(const v1::Event& ev);
/// to_native_json as compact text in DESIGN §2's key order, written
/// directly (the stored data JSON is spliced, not re-parsed); invalid UTF-8
/// in strings is replaced by U+FFFD.
std::string to_native_json_text(const v1::Event& ev);

/// CloudEvents 1.0 structured JSON (DESIGN §7): name → type, scope →
/// subject, source defaulting to "/herald", Herald's fields as extensions
/// (heraldseq, heraldnode, allowedgroups comma-joined, origintrigger,
/// originworkflow, origintask, tenant, user, traceparent) plus the kept
/// extensions; datacontenttype "application/json" when the data is JSON and
/// none was given.
std::string to_cloudevent_json_text(const v1::Event& ev);

/// A system event (`kind:"sys"`, `source:"herald"`, a UUIDv7 id, time
/// `now_ns`) with JSON `data` (null data = no data).
v1::Event make_system_event(std::string name, const nlohmann::json& data,
                            int64_t now_ns);

/// Is `scope` '/'-separated non-empty segments of [A-Za-z0-9._~@:+-], at
/// most 1024 bytes (no leading, trailing or double '/')?
bool is_valid_scope(std::string_view scope) noexcept;

/// Is `id` 1-256 printable ASCII characters (0x21-0x7e and space inside)?
bool is_valid_id(std::string_view id) noexcept;

/// Is `tp` a W3C traceparent `vv-<32 hex>-<16 hex>-<2 hex>` in lower-case
/// hex, version not `ff`, trace-id and parent-id not all zeros?
bool is_valid_traceparent(std::string_view tp) noexcept;

/// Can `name` be a key of `extensions`: a legal CloudEvents attribute name
/// (1-20 of [a-z0-9]) that is not one Herald maps to a field of its own
/// (the CloudEvents context attributes `id`, `type`, `subject`, ..., and
/// `tenant`, `user`, `traceparent`, `allowedgroups`, `heraldseq`,
/// `heraldnode`, `origintrigger`, `originworkflow`, `origintask`)?
bool is_valid_extension_name(std::string_view name) noexcept;

} // namespace herald::runtime

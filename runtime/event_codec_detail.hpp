#pragma once

// Internals shared by the event codec's translation units (event_codec.cpp,
// event_validation.cpp, cloudevents_codec.cpp, seed_codec.cpp). Not part of
// the runtime's public API: include runtime/event_codec.hpp instead.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "herald/v1/event.pb.h"
#include "runtime/errc.hpp"
#include "runtime/event_codec.hpp"
#include "runtime/text_util.hpp"

namespace herald::runtime::detail {

/// The input shape an event was decoded from; decides how a native field
/// name is reported in an error (`/type` for a CloudEvent's name, ...).
enum class shape { native, cloudevent, seed001, seed002, binary };

/// The error field for `native_field` ("name", "allowed_groups/3",
/// "extensions/foo"; "" = the event as a whole) of an event of `s` whose
/// JSON Pointer in the request is `pointer`.
std::string error_field(shape s, std::string_view pointer,
                        std::string_view native_field);

/// Decodes one object of a request body at a JSON Pointer.
using element_decoder = std::function<caf::expected<v1::Event>(
    const nlohmann::json& obj, std::string_view pointer)>;

/// The body rules every publish endpoint shares: one object, or a non-empty
/// array of at most limits.max_batch objects (all or nothing), each decoded
/// by `decode_one` with its pointer ("" or "/3").
caf::expected<publish_batch> decode_body(std::string_view body,
                                         const publish_limits& limits,
                                         const element_decoder& decode_one);

/// Shared validation of a mapped event (see validate_event); errors name
/// fields through error_field(s, pointer, ...).
caf::error validate_as(v1::Event& ev, shape s, std::string_view pointer,
                       const publish_limits& limits, int64_t now_ns);

/// Well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

/// False when `text` nests arrays/objects deeper than `max_depth` (strings
/// are skipped; the text need not be valid JSON).
bool json_depth_ok(std::string_view text, size_t max_depth) noexcept;

/// Parses JSON text; an invalid_json error naming `field` when malformed,
/// not UTF-8 or nested deeper than `max_depth`. Never throws except
/// bad_alloc.
caf::expected<nlohmann::json> parse_json(std::string_view text,
                                         size_t max_depth, std::string field);

/// Compact JSON text (invalid UTF-8 replaced rather than thrown on).
std::string dump_json(const nlohmann::json& value);

/// Is `content_type` a JSON media type (application/json, text/json,
/// */*+json; parameters ignored, case-insensitive)?
bool is_json_media_type(std::string_view content_type) noexcept;

/// Names of CloudEvents attributes Herald maps to its own fields (id, type,
/// tenant, heraldseq, ...). They never appear in `extensions`.
bool is_mapped_attribute(std::string_view name) noexcept;

/// Splits CloudEvents' comma-joined `allowedgroups` (entries trimmed of
/// spaces) into ev.allowed_groups; an empty entry is an invalid_field error
/// naming `field`.
caf::error split_allowed_groups(std::string_view joined, v1::Event& ev,
                                const std::string& field);

/// Decoders for one already-parsed JSON object of each shape: map the fields
/// and check their JSON types and syntax; validate_as() completes the checks.
caf::expected<v1::Event> map_native(const nlohmann::json& obj,
                                    std::string_view pointer, int64_t now_ns);
caf::expected<v1::Event> map_cloudevent(const nlohmann::json& obj,
                                        std::string_view pointer,
                                        int64_t now_ns);
caf::expected<v1::Event> map_seed001(const nlohmann::json& obj,
                                     std::string_view pointer, int64_t now_ns);
caf::expected<v1::Event> map_seed002(const nlohmann::json& obj,
                                     std::string_view pointer, int64_t now_ns);

/// Shorthand for an invalid_field error.
inline caf::error invalid_field(std::string message, std::string field) {
  return make_api_error(errc::invalid_field, std::move(message),
                        std::move(field));
}

/// `invalid_id` with the rule spelled out.
inline caf::error bad_id(std::string field) {
  return make_api_error(errc::invalid_id,
                        "id must be 1-256 printable ASCII characters, not "
                        "starting or ending with a space",
                        std::move(field));
}

/// `invalid_time` for a time that is not RFC 3339.
inline caf::error bad_time(std::string field) {
  return make_api_error(errc::invalid_time,
                        "time must be RFC 3339, e.g. 2026-11-22T10:00:00Z",
                        std::move(field));
}

} // namespace herald::runtime::detail

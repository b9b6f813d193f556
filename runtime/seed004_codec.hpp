#pragma once

// Seed 004 (EscapeKit's event service) compatibility: its Event object <->
// herald.v1.Event, as DESIGN §3 maps them. Pure functions, thread-safe.
//
//   004 Event                       herald.v1.Event
//   id                          <-> id (UUIDv7 assigned when absent)
//   type                        <-> name (must be a valid Herald name)
//   timestamp (Unix ns, int64)  <-> time_ns (exact; integer or decimal string)
//   username                    <-> user
//   allowed_groups              <-> allowed_groups
//   data                        <-> data (JSON)
//   inventory_project|application|version <-> scope inventory/{p}/{a}/{v}
//   state_project|environment|deployment  <-> scope project/{p}/{e}/{d}
//   allowed_roles               <-> extension `allowedroles` (JSON array)
//   inventory_namespace         <-> extension `inventorynamespace`

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

#include "herald/v1/event.pb.h"
#include "runtime/event_codec.hpp"

namespace herald::runtime {

/// Extension that keeps 004's `allowed_roles` (a JSON array of strings).
/// Herald's visibility rule uses groups only; roles are kept, not enforced.
inline constexpr std::string_view seed004_roles_extension = "allowedroles";
/// Extension that keeps 004's `inventory_namespace` (a JSON string).
inline constexpr std::string_view seed004_namespace_extension =
    "inventorynamespace";

/// The 004 Event object of a stored event as compact JSON text, keys in the
/// order id, type, timestamp, username, allowed_groups, allowed_roles,
/// inventory_namespace, inventory_* | state_*, data. `timestamp` is the
/// event's time as a JSON integer of Unix nanoseconds (exact). Absent
/// fields are omitted, never null. Scope segments 2-4 fill inventory_* when
/// the scope's first segment is `inventory`, state_* when it is `project`;
/// other scopes add no field. Binary data (data_base64) has no 004 form and
/// is omitted. Never throws except bad_alloc.
std::string to_seed004_json_text(const v1::Event& ev);

/// Does `obj` look like a 004 Event rather than another accepted shape? An
/// object is one unless it is claimed by CloudEvents (`specversion`), seed
/// 002 (`event_type`+`event_id`), seed 001 (`headers.name`) or the native
/// form (`name`).
bool is_seed004_shape(const nlohmann::json& obj) noexcept;

/// Maps one 004 Event object to a validated herald.v1.Event (see the table
/// above). JSON null counts as absent for every field. Errors name the 004
/// field as a JSON Pointer under `pointer` (`/3/type`): unknown fields are
/// unknown_field; a bad `type` invalid_name; a bad `timestamp` invalid_time
/// (a float is refused: it cannot hold nanoseconds exactly); a scope level
/// that is not a scope segment invalid_scope; a lower level without its
/// parent, or inventory_* mixed with state_*, invalid_field. `timestamp`
/// absent or 0 = `now_ns`.
caf::expected<v1::Event> decode_seed004(const nlohmann::json& obj,
                                        std::string_view pointer,
                                        const publish_limits& limits,
                                        int64_t now_ns);

/// Decodes a `POST /internal/create-event` body: one object or an array of
/// them (all or nothing, as decode_publish). Each object is a 004 Event when
/// is_seed004_shape() says so, else any shape decode_event_object() takes.
caf::expected<publish_batch> decode_create_event(std::string_view body,
                                                 const publish_limits& limits,
                                                 int64_t now_ns);

/// Is `segment` one scope segment: non-empty [A-Za-z0-9._~@:+-], no '/'?
bool is_valid_scope_segment(std::string_view segment) noexcept;

/// The scope prefix of a 004 query path: `root` ("inventory" or "project")
/// followed by `levels` (already decoded and valid segments), '/'-joined.
std::string seed004_scope(std::string_view root,
                          const std::vector<std::string>& levels);

} // namespace herald::runtime

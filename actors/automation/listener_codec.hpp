#pragma once

// The listener protocol's frames (DESIGN §5), one JSON object per WebSocket
// text frame:
//
//   hub → listener {"kind":"action","action":…,"task_id":…,"step":…,"data":{…}}
//                    {"kind":"action_abort","action":…,"task_id":…,"step":…}
//   listener → hub   {"kind":"action_done","task_id":…,"step":…}
//                    {"kind":"action_error","task_id":…,"step":…,"error":…}
//                    {"kind":"progress","task_id":…,"step":…,"percent":…,"message":…}
//
// Pure functions, no actors: the hub encodes, the listener session decodes.
// Unknown fields of a listener frame are ignored (a newer listener may send
// more); a wrong type of a known field, a missing task_id/step or an
// unknown kind is an error.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "actors/automation/type_ids.hpp"

namespace herald::automation {

/// Most bytes of one listener frame (the session's WebSocket message limit).
inline constexpr size_t max_listener_frame_bytes = 64 * 1024;

/// One frame a listener sent, decoded.
struct listener_frame {
  enum class kind_t { action_done, action_error, progress };
  kind_t kind = kind_t::action_done;
  std::string task_id;
  std::string step;
  std::string error;             ///< action_error: what went wrong
  std::optional<double> percent; ///< progress: 0..100 when given
  std::string message;           ///< progress: free text
};

/// Decodes one text frame of a listener. Errors (runtime::errc::invalid_json
/// for text that is not a JSON object, invalid_field / missing_field naming
/// the field otherwise) carry a message short enough for a close reason.
caf::expected<listener_frame> decode_listener_frame(std::string_view text);

/// Is `text` a JSON object (what action_request::data_json must be)?
bool is_json_object(std::string_view text);

/// {"kind":"action",…} for `req` (its data_json must be a JSON object).
std::string encode_action_frame(const action_request& req);

/// {"kind":"action_abort",…} for `req`.
std::string encode_abort_frame(const action_request& req);

/// Parses the `handles` parameter of a listener connection: comma-separated
/// action names, each a valid event name (runtime::is_valid_name). "" is no
/// handles. Duplicates are dropped; the result is sorted. Errors:
/// runtime::errc::invalid_parameter naming "handles".
caf::expected<std::vector<std::string>> parse_handles(std::string_view text);

} // namespace herald::automation

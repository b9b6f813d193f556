#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace herald::runtime {

/// Stable error codes that reach API users. The text of each (to_string) is
/// the `code` of DESIGN §7's error body and is listed in docs/API.md: never
/// rename one, only add.
enum class errc : uint8_t {
  none = 0,
  invalid_json,      ///< body or parameter is not well-formed JSON
  invalid_name,      ///< event name missing or not dot-separated [A-Za-z0-9_-]+
  invalid_field,     ///< a field has the wrong type or an invalid value
  unknown_field,     ///< a field this API does not know
  missing_field,     ///< a required field is absent
  forbidden_field,   ///< a field clients may not set (origin, kind:"sys")
  invalid_time,      ///< not RFC 3339
  invalid_scope,     ///< not '/'-separated [A-Za-z0-9._~@:+-]+ segments
  invalid_id,        ///< not 1-256 printable characters
  invalid_pattern,   ///< name pattern with bad segments or '>' not last
  invalid_filter,    ///< content filter of DESIGN §2 is malformed
  invalid_parameter, ///< a query or stream parameter is malformed
  invalid_cursor,    ///< `after` is not a cursor this node handed out
  too_large,         ///< body, batch or event over its limit
  not_found,         ///< unknown or not visible to the caller
  method_not_allowed, ///< path exists, method does not
  source_disabled,    ///< publishes from this source are refused
  unauthorized,       ///< no or bad credential
  forbidden,          ///< credential lacks the role
  conflict,           ///< precondition failed (If-Match, ...)
  unavailable,        ///< node not ready or shutting down
  too_many_requests,  ///< a per-caller limit was hit
  internal,           ///< a bug or a storage failure; see the node's log
};

/// The stable code string, e.g. "invalid_name".
std::string_view to_string(errc code) noexcept;

/// The HTTP status that goes with a code (400, 404, 409, 413, 500, ...).
int http_status(errc code) noexcept;

/// Builds a caf::error in the "herald" category carrying a human-readable
/// message and the offending field (a JSON Pointer like "/3/name" or a query
/// parameter name; empty when no single field is to blame).
caf::error make_api_error(errc code, std::string message,
                          std::string field = {});

/// What an error means to an API user. Errors from other categories (storage,
/// CAF itself) map to `internal` with their text as the message.
struct api_error {
  errc code = errc::internal;
  std::string message;
  std::string field;

  int status() const noexcept { return http_status(code); }
  std::string_view code_str() const noexcept { return to_string(code); }
  /// `{"error":{"code","message","field"}}`, field omitted when empty.
  std::string to_json() const;
};

api_error describe(const caf::error& err);

} // namespace herald::runtime

CAF_ERROR_CODE_ENUM(herald::runtime::errc, "herald")

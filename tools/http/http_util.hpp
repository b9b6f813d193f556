#pragma once

// Small HTTP helpers every handler shares: the request/response types,
// response builders in DESIGN §7's shapes (error bodies, internal errors
// behind a request id), query-string parsing and the few headers with a
// meaning of their own (Authorization, If-Match). Pure functions,
// thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/errc.hpp"

namespace herald::http {

using http_request =
    boost::beast::http::request<boost::beast::http::string_body>;
using http_response =
    boost::beast::http::response<boost::beast::http::string_body>;

/// Answers one request; called exactly once, from any thread.
using reply_fn = std::function<void(http_response)>;

/// Headers every response gets unless its handler set them:
/// `X-Content-Type-Options: nosniff` (a browser never guesses another type
/// than the one sent) and `Cache-Control: no-store` (API answers hold
/// events and credentials' views: no cache keeps them).
void set_default_headers(http_response& res);

/// A JSON response with the given status.
http_response json_response(unsigned status, std::string body,
                            unsigned version = 11, bool keep_alive = true);

/// DESIGN §7's error body for an error, with its HTTP status. An error
/// whose code is `internal` (a storage failure, an error from another
/// category, a bug) never shows its text: it goes to the log with a new
/// request id, and the client gets "internal error (request <id>)" with the
/// same id in an X-Request-Id header (see internal_error_response).
http_response error_response(const runtime::api_error& err,
                             unsigned version = 11, bool keep_alive = true);
http_response error_response(const caf::error& err, unsigned version = 11,
                             bool keep_alive = true);
http_response error_response(runtime::errc code, std::string message,
                             std::string field = {}, unsigned version = 11,
                             bool keep_alive = true);

/// A fresh request id: 16 hex digits, for logs and X-Request-Id.
std::string new_request_id();

/// The 500 `internal` reply for a failure whose description (`detail`:
/// RocksDB text, file paths, an exception's what()) must not reach the
/// client: logs `detail` with a new request id and answers
/// `{"error":{"code":"internal","message":"internal error (request <id>)"}}`
/// with `X-Request-Id: <id>`.
http_response internal_error_response(std::string_view detail,
                                      unsigned version = 11,
                                      bool keep_alive = true);

/// A parsed query string: each parameter once, in a map. Repeated or
/// malformed parameters are errors (`invalid_parameter`, field = the name).
struct query_string {
  std::map<std::string, std::string, std::less<>> params;

  /// The value of `name`, if given.
  const std::string* find(std::string_view name) const;
};

/// Splits a request target into path and parsed query. The path is returned
/// still percent-encoded (segments are decoded by the router).
caf::error parse_target(std::string_view target, std::string& path,
                        query_string& query);

/// The credential of an `Authorization: Bearer <token>` header (scheme
/// case-insensitive, surrounding blanks trimmed): nullopt without the
/// header, an empty string when it is not a non-empty Bearer credential.
std::optional<std::string> bearer_token(const http_request& req);

/// "If-Match: *" as parse_precondition returns it: the target must exist,
/// whatever its version.
inline constexpr uint64_t any_version_precondition = ~uint64_t{0};

/// The version an If-Match / If-None-Match header names: nullopt without
/// either; `"3"`, `3` and `W/"3"` name version 3; If-None-Match `*` means
/// "must not exist" (0); If-Match `*` is any_version_precondition.
/// Anything else (a list of ETags, 0, garbage) is invalid_parameter with
/// the header's name as field.
caf::expected<std::optional<uint64_t>>
parse_precondition(const http_request& req);

/// Rejects parameters outside `allowed` (invalid_parameter, field = name).
caf::error check_known_params(const query_string& q,
                              const std::vector<std::string_view>& allowed);

} // namespace herald::http
